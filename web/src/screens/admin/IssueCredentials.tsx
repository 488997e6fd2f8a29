import { useEffect, useRef, useState, type RefObject } from 'react';
import { api } from '../../api/client.ts';
import type { IssuedCredentials, Person } from '../../api/types.ts';
import { RefusalNotice } from '../../components/RefusalNotice.tsx';
import { useMutation } from '../../hooks/use-api.ts';

/**
 * "Issue sign-in credentials" (POST /api/accounts/:id/issue-credentials, security admins only): a new password and a
 * new authenticator secret, shown once to hand over. They live in this component's state only — never in the
 * address, in storage or in the console — and Close (or leaving the page) drops them.
 */
export function IssueCredentials({ person, isMe, onIssued }: { person: Person; isMe: boolean; onIssued: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [issued, setIssued] = useState<IssuedCredentials>();
  const issue = useMutation(() => api<IssuedCredentials>(`/api/accounts/${person.id}/issue-credentials`, { method: 'POST' }));
  const openButton = useRef<HTMLButtonElement>(null);
  const panelTitle = useRef<HTMLHeadingElement>(null);
  const hasCredentials = person.passwordSet || person.totpEnrolled;
  const blocked = isMe ? 'You cannot issue credentials to yourself; ask another security administrator.' : person.status !== 'active' ? 'This person is disabled: enable them before issuing credentials.' : undefined;

  useEffect(() => {
    if (issued) panelTitle.current?.focus();
  }, [issued]);

  async function confirm() {
    const answer = await issue.mutate();
    setConfirming(false);
    if (answer) {
      setIssued(answer);
      onIssued();
    }
  }

  function close() {
    setIssued(undefined);
    // Focus goes back where it came from once the panel is gone.
    requestAnimationFrame(() => openButton.current?.focus());
  }

  return (
    <section className="panel" aria-labelledby="credentials-title" data-testid="issue-credentials">
      <h2 id="credentials-title" className="panel__title">
        Sign-in credentials
      </h2>
      {issued ? (
        <OneTimeCredentials credentials={issued} displayName={person.displayName} titleRef={panelTitle} onClose={close} />
      ) : (
        <div className="panel__body">
          <p>
            {hasCredentials
              ? 'Issue new credentials when this person has forgotten their password or lost their authenticator. A new password and a new authenticator secret replace the old ones.'
              : 'This person has no password yet. Issue their credentials here — a password and an authenticator secret — and hand them over.'}
          </p>
          {!confirming ? (
            <div className="status-change">
              <button type="button" className="btn btn--primary" ref={openButton} disabled={blocked !== undefined || issue.pending} onClick={() => setConfirming(true)}>
                Issue sign-in credentials…
              </button>
              {blocked ? <p className="muted">{blocked}</p> : null}
            </div>
          ) : (
            <div className="confirm" role="group" aria-label="Confirm issuing credentials">
              <p>
                Issue new sign-in credentials to {person.displayName}?{' '}
                {hasCredentials ? 'Their current password and authenticator stop working, and their open sessions end at once. ' : 'Any open sessions end at once. '}
                You will see the new password and authenticator secret once, to hand over.
              </p>
              <div className="form-actions">
                <button type="button" className="btn btn--danger" disabled={issue.pending} onClick={() => void confirm()}>
                  Issue credentials
                </button>
                <button type="button" className="btn btn--quiet" onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </div>
            </div>
          )}
          {issue.error ? <RefusalNotice error={issue.error} failedTitle="No credentials were issued" /> : null}
        </div>
      )}
    </section>
  );
}

function OneTimeCredentials({ credentials, displayName, titleRef, onClose }: { credentials: IssuedCredentials; displayName: string; titleRef: RefObject<HTMLHeadingElement | null>; onClose: () => void }) {
  return (
    <div className="once" role="region" aria-labelledby="once-title" data-testid="one-time-credentials">
      <h3 id="once-title" className="once__title" tabIndex={-1} ref={titleRef}>
        New credentials for {displayName} — shown once
      </h3>
      <p className="once__warning">
        <strong>Shown once — hand them over securely, then close.</strong> Give them to {displayName} in person or through your organization’s approved channel, never by
        ordinary email or chat. Vigil keeps no readable copy and cannot show them again; if they are lost, issue new ones.
      </p>
      <dl className="once__facts">
        <div>
          <dt>Username</dt>
          <dd>
            <code className="secret" data-testid="issued-username">
              {credentials.username}
            </code>
          </dd>
        </div>
        <div>
          <dt>Password</dt>
          <dd>
            <code className="secret" data-testid="issued-password">
              {credentials.password}
            </code>
          </dd>
        </div>
        <div>
          <dt>Authenticator secret</dt>
          <dd>
            <code className="secret" data-testid="issued-totp-secret">
              {credentials.totpSecret}
            </code>
            <span className="fact__sub">Typed into an authenticator app as a “setup key” (time-based, six digits).</span>
          </dd>
        </div>
        <div>
          <dt>Setup link</dt>
          <dd>
            <code className="secret secret--long" data-testid="issued-otpauth-uri">
              {credentials.otpauthUri}
            </code>
            <span className="fact__sub">The same secret as an otpauth:// link, for apps that accept one.</span>
          </dd>
        </div>
      </dl>
      <p className="muted">Any sessions they had open have ended. They sign in with this username and password, then the six-digit code from the authenticator.</p>
      <div className="form-actions">
        <button type="button" className="btn btn--primary" onClick={onClose}>
          Close and clear
        </button>
      </div>
    </div>
  );
}
