import type { ReactNode } from 'react';
import { ColumnHeads } from '../components/ColumnHeads.tsx';

/**
 * One chart section: a heading the contents links jump to, then either the section's table or a sentence saying the
 * sources sent nothing, never an empty table. `footer` follows the table only when there is one.
 */
export function SectionTable({
  id,
  title,
  count,
  empty,
  emptyText,
  columns,
  className,
  footer,
  children,
}: {
  id: string;
  title: string;
  count?: string;
  empty: boolean;
  emptyText: ReactNode;
  columns: readonly string[];
  className?: string;
  footer?: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="panel chart__section" id={`chart-${id}`} aria-labelledby={`chart-${id}-title`} data-testid={`chart-${id}`}>
      <h3 id={`chart-${id}-title`} className="chart__section-title" tabIndex={-1}>
        {title}
        {count ? <span className="chart__section-count">{count}</span> : null}
      </h3>
      {empty ? (
        <p className="chart__empty">{emptyText}</p>
      ) : (
        <>
          <table className={className ? `table table--dense chart-table ${className}` : 'table table--dense chart-table'}>
            <ColumnHeads columns={columns} />
            {children}
          </table>
          {footer}
        </>
      )}
    </section>
  );
}
