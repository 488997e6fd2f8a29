import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, csrfToken, onSessionEnd, type SessionEnd } from '../api/client.ts';
import type { CookieLogin, Me } from '../api/types.ts';

/**
 * Who is signed in, in this tab. The session itself is an httpOnly cookie the page cannot read; the page keeps the
 * session's CSRF token (sessionStorage, this tab only) and the answer of GET /auth/me. Without a token in this tab the
 * page does not ask the server at all (a signed-out visitor causes no failed request), and a 401 from any call
 * brings back the sign-in screen with a message.
 */
export type SignOutNotice = 'signed-out' | SessionEnd;

export type SessionState =
  | { phase: 'checking' }
  | { phase: 'signed-out'; notice: SignOutNotice | null }
  | { phase: 'signed-in'; me: Me };

export type SignInResult = { ok: true } | { ok: false; mfaRequired: true } | { ok: false; mfaRequired: false; error: ApiError };

interface SessionApi {
  state: SessionState;
  signIn(input: { username: string; password: string; totp?: string }): Promise<SignInResult>;
  signOut(): Promise<void>;
  /** The permissions of the signed-in person (empty when signed out). */
  may(action: string): boolean;
}

const SessionContext = createContext<SessionApi | undefined>(undefined);

async function fetchMe(): Promise<Me> {
  const me = await api<Me | { kind: 'client' }>('/auth/me', { sessionCheck: false });
  if (me.kind !== 'person') throw new ApiError(403, 'not-a-person', 'This screen is for people; system clients use the API.', null);
  return me;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>(() => (csrfToken.get() ? { phase: 'checking' } : { phase: 'signed-out', notice: null }));

  // A reload in a tab that was signed in: ask who we are, once.
  useEffect(() => {
    if (state.phase !== 'checking') return;
    let cancelled = false;
    fetchMe().then(
      (me) => !cancelled && setState({ phase: 'signed-in', me }),
      (err: unknown) => {
        if (cancelled) return;
        csrfToken.clear();
        setState({ phase: 'signed-out', notice: err instanceof ApiError && err.status === 401 ? 'expired' : null });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [state.phase]);

  useEffect(
    () =>
      onSessionEnd((why) => {
        csrfToken.clear();
        setState((current) => (current.phase === 'signed-in' ? { phase: 'signed-out', notice: why } : current));
      }),
    [],
  );

  const signIn = useCallback(async (input: { username: string; password: string; totp?: string }): Promise<SignInResult> => {
    try {
      const login = await api<CookieLogin>('/auth/login', {
        method: 'POST',
        body: { username: input.username, password: input.password, ...(input.totp ? { totp: input.totp } : {}), mode: 'cookie' },
        sessionCheck: false,
      });
      csrfToken.set(login.csrf_token);
      const me = await fetchMe();
      setState({ phase: 'signed-in', me });
      return { ok: true };
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError(0, 'client', 'Signing in failed. Try again.', null);
      if (error.code === 'auth.mfa_required') return { ok: false, mfaRequired: true };
      return { ok: false, mfaRequired: false, error };
    }
  }, []);

  const signOut = useCallback(async () => {
    try {
      await api<void>('/auth/logout', { method: 'POST', sessionCheck: false });
    } catch {
      // The cookie may already be gone (expired, revoked): signing out locally is still right.
    }
    csrfToken.clear();
    setState({ phase: 'signed-out', notice: 'signed-out' });
  }, []);

  const value = useMemo<SessionApi>(() => {
    const permissions = new Set(state.phase === 'signed-in' ? state.me.permissions : []);
    return { state, signIn, signOut, may: (action) => permissions.has(action) };
  }, [state, signIn, signOut]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** The signed-in person; only for screens behind RequireSignIn. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.phase !== 'signed-in') throw new Error('useMe on a screen that does not require sign-in');
  return state.me;
}

/** Where a person lands after signing in: the first area their permissions open. */
export function homeFor(may: (action: string) => boolean): string {
  if (may('break-glass.review')) return '/privacy/break-glass';
  if (may('audit.read')) return '/privacy/audit';
  if (may('patient.search')) return '/patients';
  if (may('directory.read')) return '/admin/people';
  if (may('account.read')) return '/support';
  if (may('feed.read')) return '/integration/feeds';
  return '/me';
}
