import { useState, type ReactNode } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { api, query } from '../../api/client.ts';
import type { AccountState, AccountSummary, SessionSummary } from '../../api/types.ts';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { RefusalNotice } from '../../components/RefusalNotice.tsx';
import { Page } from '../../components/Page.tsx';
import { Pill } from '../../components/Pill.tsx';
import { useApi, useMutation } from '../../hooks/use-api.ts';
import { useMe, useSession } from '../../session/session.tsx';
import { agoText, clock, shortDateTime, untilText } from '../../text/time.ts';
import { plural, roleName, SECOND_FACTOR_ROLES, sessionEndText } from '../../text/words.ts';
import { ColumnHeads } from '../../components/ColumnHeads.tsx';

/**
 * One account at the support desk: its sign-in state and sessions (GET /api/accounts/:id/sessions, never a token),
 * and the three things support can do about it. Each change asks for confirmation, then shows the server's answer;
 * a refusal is explained in plain words. The server decides every change (support may not unlock or reset a
 * privileged account, nor their own).
 */
export function AccountDesk() {
  const { personId = '' } = useParams();
  const from = (useLocation().state as { from?: string } | null)?.from;
  const account = useApi<AccountState>(`/api/accounts/${encodeURIComponent(personId)}/sessions`);
  const a = account.data;
  // Name and roles come from the account search; its first row for the exact username is this account.
  const summary = useApi<{ accounts: AccountSummary[] }>(a ? `/api/accounts${query({ username: a.username, limit: 1 })}` : null);
  const who = summary.data?.accounts.find((x) => x.personId === a?.personId);
  const back = `/support${query({ username: from ?? a?.username })}`;

  return (
    <Page
      title={who?.displayName ?? a?.username ?? 'Account'}
      lead={
        a ? (
          <>
            <span className="mono" data-testid="account-username">
              {a.username}
            </span>
            {who ? <span> · {who.roles.length ? who.roles.map(roleName).join(', ') : 'No roles'}</span> : null}
          </>
        ) : undefined
      }
      actions={<Link to={back}>Back to the search</Link>}
    >
      {account.state === 'loading' && !a ? <Loading what="the account" /> : null}
      {account.state === 'error' ? <ErrorNotice error={account.error} title="The account could not be loaded" /> : null}
      {a ? <AccountPanels account={a} roles={who?.roles} displayName={who?.displayName ?? a.username} onChanged={account.reload} /> : null}
    </Page>
  );
}

function AccountPanels({ account, roles, displayName, onChanged }: { account: AccountState; roles: string[] | undefined; displayName: string; onChanged: () => void }) {
  const me = useMe();
  const { may } = useSession();
  const isMe = account.personId === me.id;
  const open = account.sessions.filter((s) => s.status === 'active');
  const ended = account.sessions.filter((s) => s.status !== 'active');
  const needsSecondFactor = (roles ?? []).some((r) => SECOND_FACTOR_ROLES.has(r));
  const id = account.personId;

  return (
    <div className="stack">
      {isMe ? (
        <div className="notice notice--info" role="status">
          <p>This is your own account. Nobody may unlock it or reset its second factor on their own behalf: ask a colleague. Ending its sessions signs you out here too.</p>
        </div>
      ) : null}

      <section className="panel" aria-labelledby="state-title" data-testid="account-state">
        <h2 id="state-title" className="panel__title">
          Sign-in state
        </h2>
        <dl className="facts facts--columns">
          <div>
            <dt>Account</dt>
            <dd>{account.status === 'active' ? <Pill tone="ok">Active</Pill> : <Pill tone="unknown">Disabled: cannot sign in</Pill>}</dd>
          </div>
          <div>
            <dt>Lockout</dt>
            <dd data-testid="lock-state">
              {account.locked && account.lockedUntil ? (
                <>
                  <Pill tone="warn">Locked</Pill> until {clock(account.lockedUntil)}
                  <span className="fact__sub">{untilText(account.lockedUntil)}</span>
                </>
              ) : (
                'Not locked'
              )}
            </dd>
          </div>
          <div>
            <dt>Failed attempts in a row</dt>
            <dd data-testid="failures">{account.consecutiveFailures}</dd>
          </div>
          <div>
            <dt>Second factor</dt>
            <dd data-testid="mfa-state">{account.mfaEnrolled ? <Pill tone="ok">Authenticator enrolled</Pill> : <Pill tone="unknown">None enrolled</Pill>}</dd>
          </div>
          <div>
            <dt>Last signed in</dt>
            <dd>
              {account.lastLoginAt ? (
                <>
                  {shortDateTime(account.lastLoginAt)}
                  <span className="fact__sub">{agoText(account.lastLoginAt)}</span>
                </>
              ) : (
                'Never'
              )}
            </dd>
          </div>
        </dl>
      </section>

      <section className="panel" aria-labelledby="sessions-title">
        <h2 id="sessions-title" className="panel__title">
          Open sessions
        </h2>
        <p className="muted" role="status" data-testid="open-count">
          {open.length === 0 ? 'No open sessions: this account is not signed in anywhere.' : `${plural(open.length, 'open session')}. Vigil shows where and when, never a token.`}
        </p>
        {open.length > 0 ? <SessionTable sessions={open} testId="open-sessions" /> : null}
        {ended.length > 0 ? (
          <details className="disclosure">
            <summary>Recently ended sessions ({ended.length})</summary>
            <SessionTable sessions={ended} testId="ended-sessions" ended />
          </details>
        ) : null}
      </section>

      <section className="panel" aria-labelledby="actions-title">
        <h2 id="actions-title" className="panel__title">
          What you can do
        </h2>
        <div className="desk-actions">
          {may('account.revoke-sessions') ? (
            <DeskAction
              testId="action-end-sessions"
              title="End all sessions"
              what="Signs this person out everywhere: every browser and API client."
              button="End all sessions…"
              disabledWhy={open.length === 0 ? 'There is no open session to end.' : undefined}
              confirm={`End all ${plural(open.length, 'open session')} of ${displayName}? Each stops working on its next request. They can sign in again with their password${account.mfaEnrolled ? ' and authenticator' : ''}.`}
              confirmButton="End them now"
              danger
              run={async () => {
                const r = await api<{ revoked: number }>(`/api/accounts/${id}/sessions/revoke`, { method: 'POST' });
                return r.revoked === 0 ? 'There were no open sessions to end.' : `Ended ${plural(r.revoked, 'session')}. Each one stops working on its next request.`;
              }}
              onDone={onChanged}
            />
          ) : null}
          {may('account.unlock') ? (
            <DeskAction
              testId="action-unlock"
              title="Lift a lockout"
              what="After five failed sign-ins in a row the account locks for a while. Unlocking lifts the lock and sets the failure count back to zero."
              button="Unlock…"
              disabledWhy={!account.locked && account.consecutiveFailures === 0 ? 'Not locked, and no failed attempts to clear.' : undefined}
              confirm={`Unlock ${displayName}? Do this only once you are sure the request comes from them: unlocking also lets anyone guessing the password try again.`}
              confirmButton="Unlock"
              run={async () => {
                await api<{ locked: boolean }>(`/api/accounts/${id}/unlock`, { method: 'POST' });
                return 'Unlocked. The failure count is back to zero; they can sign in again.';
              }}
              onDone={onChanged}
            />
          ) : null}
          {may('account.reset-mfa') ? (
            <DeskAction
              testId="action-reset-mfa"
              title="Reset the second factor"
              what="For a lost or replaced phone: removes the authenticator linked to this account."
              button="Reset second factor…"
              disabledWhy={!account.mfaEnrolled ? 'No authenticator is enrolled.' : undefined}
              confirm={
                <>
                  Reset {displayName}’s second factor? Their authenticator stops working for Vigil at once.{' '}
                  {needsSecondFactor
                    ? 'Their roles need a second factor at every sign-in, so they cannot sign in at all'
                    : 'They can still sign in with their password, but cannot break the glass or do anything else that asks for a code,'}{' '}
                  until a security administrator issues new sign-in credentials.
                  {open.length > 0 ? ' Their open sessions stay open: end them too if the phone was lost or stolen.' : ''}
                </>
              }
              confirmButton="Reset second factor"
              danger
              run={async () => {
                await api<{ mfaEnrolled: boolean }>(`/api/accounts/${id}/reset-mfa`, { method: 'POST' });
                return 'Second factor removed. A security administrator gives them a new authenticator by issuing new sign-in credentials.';
              }}
              onDone={onChanged}
            />
          ) : null}
        </div>
      </section>
    </div>
  );
}

function SessionTable({ sessions, testId, ended = false }: { sessions: SessionSummary[]; testId: string; ended?: boolean }) {
  return (
    <table className="table table--dense" data-testid={testId}>
      <ColumnHeads columns={['Kind', 'Signed in', 'Last seen', ended ? 'How it ended' : 'Ends at the latest', 'Second factor', 'From']} />
      <tbody>
        {sessions.map((s) => (
          <tr key={s.id} data-kind={s.kind}>
            <td>{s.kind === 'web' ? 'Browser' : 'API client'}</td>
            <td className="num">{shortDateTime(s.createdAt)}</td>
            <td className="num">
              {shortDateTime(s.lastSeenAt)}
              <span className="cell__sub">{agoText(s.lastSeenAt)}</span>
            </td>
            <td>{ended ? `${sessionEndText(s.status, s.revokedReason)}${s.revokedAt ? `, ${shortDateTime(s.revokedAt)}` : ''}` : shortDateTime(s.absoluteExpiresAt)}</td>
            <td>{s.mfaAt ? `Given ${shortDateTime(s.mfaAt)}` : <span className="muted">Password only</span>}</td>
            <td>
              {s.clientIp ? <span className="mono">{s.clientIp}</span> : <span className="muted">Unknown</span>}
              {s.userAgent ? <span className="cell__sub">{clientName(s.userAgent)}</span> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** "Chrome on Linux" from a user-agent string: enough for "is that you?", without the noise. */
export function clientName(userAgent: string): string {
  const app = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrom(e|ium)\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : /^curl\//.test(userAgent)
            ? 'curl'
            : /node|undici/i.test(userAgent)
              ? 'a Node.js program'
              : userAgent.slice(0, 40);
  const os = /Windows/.test(userAgent) ? 'Windows' : /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Mac OS X/.test(userAgent) ? 'macOS' : /Linux/.test(userAgent) ? 'Linux' : '';
  return os ? `${app} on ${os}` : app;
}

/** One support action: what it does, a confirm step, then the server's answer or its refusal in plain words. */
function DeskAction(props: {
  testId: string;
  title: string;
  what: string;
  button: string;
  disabledWhy: string | undefined;
  confirm: ReactNode;
  confirmButton: string;
  danger?: boolean;
  run: () => Promise<string>;
  onDone: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [answer, setAnswer] = useState<string>();
  const action = useMutation(props.run);

  async function go() {
    setAnswer(undefined);
    const message = await action.mutate();
    setConfirming(false);
    if (message !== undefined) {
      setAnswer(message);
      props.onDone();
    }
  }

  return (
    <div className="desk-action" data-testid={props.testId}>
      <div className="desk-action__text">
        <h3 className="desk-action__title">{props.title}</h3>
        <p className="desk-action__what">{props.what}</p>
        {props.disabledWhy && !confirming ? <p className="desk-action__now">{props.disabledWhy}</p> : null}
      </div>
      {!confirming ? (
        <div className="desk-action__do">
          <button
            type="button"
            className={props.danger ? 'btn btn--danger-outline' : 'btn btn--quiet'}
            disabled={props.disabledWhy !== undefined || action.pending}
            onClick={() => {
              setAnswer(undefined);
              action.clearError();
              setConfirming(true);
            }}
          >
            {props.button}
          </button>
        </div>
      ) : (
        <div className="confirm" role="group" aria-label={`Confirm: ${props.title}`}>
          <p>{props.confirm}</p>
          <div className="form-actions">
            <button type="button" className={props.danger ? 'btn btn--danger' : 'btn btn--primary'} disabled={action.pending} onClick={() => void go()}>
              {props.confirmButton}
            </button>
            <button type="button" className="btn btn--quiet" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {answer ? (
        <div className="notice notice--ok" role="status" data-testid="action-answer">
          <p>{answer}</p>
        </div>
      ) : null}
      {action.error ? <RefusalNotice error={action.error} /> : null}
    </div>
  );
}
