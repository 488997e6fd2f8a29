import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useSession } from '../session/session.tsx';
import { Page } from './Page.tsx';

/** Screens for signed-in people: anyone else goes to sign-in, and comes back here afterwards. */
export function RequireSignIn({ children }: { children: ReactNode }) {
  const { state } = useSession();
  const location = useLocation();
  if (state.phase === 'checking') {
    return (
      <p className="loading" role="status">
        Checking your session…
      </p>
    );
  }
  if (state.phase === 'signed-out') return <Navigate to="/sign-in" replace state={{ from: `${location.pathname}${location.search}` }} />;
  return <>{children}</>;
}

/**
 * A screen whose API needs one of `actions`. Without it the screen says so instead of showing forms the server would
 * refuse; the server decides regardless.
 */
export function RequirePermission({ actions, what, children }: { actions: string[]; what: string; children: ReactNode }) {
  const { may } = useSession();
  if (actions.some((a) => may(a))) return <>{children}</>;
  return (
    <Page title="Not part of your role">
      <div className="notice notice--info" role="status">
        <p>Your roles do not include {what}. If you need it for your work, ask your security administrator.</p>
      </div>
    </Page>
  );
}
