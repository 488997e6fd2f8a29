import { useEffect, useRef, type ReactNode } from 'react';

/**
 * One screen: sets the document title, and puts keyboard and screen-reader focus on the screen's heading when it
 * opens, so moving between screens is announced like a page load.
 */
export function Page({ title, lead, actions, children, focusHeading = true }: { title: string; lead?: ReactNode; actions?: ReactNode; children: ReactNode; focusHeading?: boolean }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Vigil`;
  }, [title]);
  useEffect(() => {
    if (focusHeading) heading.current?.focus({ preventScroll: true });
  }, [focusHeading]);
  return (
    <div className="screen">
      <header className="screen__header">
        <div>
          <h1 className="screen__title" tabIndex={-1} ref={heading}>
            {title}
          </h1>
          {lead ? <p className="screen__lead">{lead}</p> : null}
        </div>
        {actions ? <div className="screen__actions">{actions}</div> : null}
      </header>
      {children}
    </div>
  );
}
