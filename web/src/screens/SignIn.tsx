import { Fragment, useState, type FormEvent } from 'react';
import { Navigate, useLocation } from 'react-router';
import type { ApiError } from '../api/client.ts';
import { ErrorNotice } from '../components/ErrorNotice.tsx';
import { TextField } from '../components/Field.tsx';
import { Page } from '../components/Page.tsx';
import { homeFor, useSession, type SignOutNotice } from '../session/session.tsx';

const NOTICES: Record<SignOutNotice, { tone: 'info' | 'warn'; text: string }> = {
  'signed-out': { tone: 'info', text: 'You have signed out. Your session is closed on the server.' },
  expired: {
    tone: 'warn',
    text: 'Your session has ended: it was idle too long, reached its time limit, or was ended by an administrator. Sign in again to carry on where you were.',
  },
  csrf: { tone: 'warn', text: 'This tab could not prove it belongs to your session, so Vigil refused the change. Sign in again to carry on.' },
};

/**
 * Username and password; then, when the server answers `mfa_required` (privileged roles), the six-digit code from
 * the authenticator. The password is kept in memory only between the two steps.
 */
export function SignInScreen() {
  const session = useSession();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  const [step, setStep] = useState<'password' | 'totp'>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError>();
  const [tried, setTried] = useState(false);
  const notice = session.state.phase === 'signed-out' ? session.state.notice : null;
  // Back to the screen the session ended on; a deliberate sign-out starts afresh. Fixed when the screen opens.
  const [returnTo] = useState(() => (notice !== 'signed-out' && from && from !== '/sign-in' ? from : undefined));

  if (session.state.phase === 'signed-in') return <Navigate to={returnTo ?? homeFor(session.may)} replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    if (pending || username.trim() === '' || password === '' || (step === 'totp' && totp.length !== 6)) return;
    setPending(true);
    setError(undefined);
    const result = await session.signIn({ username, password, ...(step === 'totp' ? { totp } : {}) });
    setPending(false);
    if (result.ok) return; // the next render goes on to returnTo or home
    if (result.mfaRequired) {
      setTried(false);
      setStep('totp');
      setTotp('');
      return;
    }
    setError(result.error);
    if (step === 'totp' && result.error.code === 'auth.invalid_credentials') {
      // The password stopped working between the steps (locked, disabled): start again.
      setStep('password');
      setPassword('');
    }
  }

  return (
    <Page title="Sign in" focusHeading={false} lead="Vigil is for the staff of this hospital. Every sign-in and every access to a patient’s record is recorded.">
      <div className="signin">
        {notice ? (
          <div className={`notice notice--${NOTICES[notice].tone}`} role="status" data-testid="signin-notice" data-notice={notice}>
            <p>{NOTICES[notice].text}</p>
          </div>
        ) : null}
        <form className="panel signin__form" onSubmit={(e) => void submit(e)} noValidate aria-describedby={error ? 'signin-error' : undefined}>
          {step === 'password' ? (
            <Fragment key="password">
              <TextField label="Username" name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
              <TextField label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
              {tried && (username.trim() === '' || password === '') ? <p className="field__error">Enter your username and password.</p> : null}
              <button className="btn btn--primary btn--block" type="submit" disabled={pending}>
                {pending ? 'Signing in…' : 'Sign in'}
              </button>
            </Fragment>
          ) : (
            <Fragment key="totp">
              <div className="signin__step" data-testid="totp-step">
                <p className="signin__step-title">Second factor</p>
                <p>
                  Your role needs a second factor. Enter the six-digit code your authenticator app shows for Vigil now (signed in as <strong>{username}</strong>).
                </p>
              </div>
              <TextField
                label="Authenticator code"
                name="totp"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]{6}"
                maxLength={6}
                required
                value={totp}
                onChange={(e) => setTotp(e.target.value.replace(/\D/g, ''))}
                hint="Six digits. A code works once; if it was just used, wait for the next one."
                error={tried && totp.length !== 6 ? 'Enter all six digits.' : undefined}
                autoFocus
                className="field--code"
              />
              <div className="form-actions">
                <button className="btn btn--primary" type="submit" disabled={pending}>
                  {pending ? 'Checking…' : 'Verify and sign in'}
                </button>
                <button
                  className="btn btn--quiet"
                  type="button"
                  onClick={() => {
                    setStep('password');
                    setPassword('');
                    setError(undefined);
                    setTried(false);
                  }}
                >
                  Start again
                </button>
              </div>
            </Fragment>
          )}
          {error ? (
            <div id="signin-error">
              <ErrorNotice error={error} title={error.code === 'auth.invalid_totp' ? 'That code did not work' : 'Not signed in'} />
            </div>
          ) : null}
        </form>
        <p className="signin__help">Forgotten your password, or lost your authenticator? Support staff can unlock your account or reset your second factor.</p>
      </div>
    </Page>
  );
}
