import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { query } from '../../api/client.ts';
import type { AccountSummary } from '../../api/types.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { TextField } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import { Pill } from '../../components/Pill.tsx';
import { useApi } from '../../hooks/use-api.ts';
import { shortDateTime } from '../../text/time.ts';
import { plural } from '../../text/words.ts';
import { ColumnHeads } from '../../components/ColumnHeads.tsx';
import { RoleTags } from '../../components/RoleTags.tsx';

export const ACCOUNT_LIMIT = 25;

/**
 * The support desk's first step: find an account by the start of its username (GET /api/accounts). Account data only
 * (name, roles, status, lock, last sign-in), never anything about patients. The prefix lives in the address.
 */
export function FindAccount() {
  const [params, setParams] = useSearchParams();
  const username = (params.get('username') ?? '').trim();
  const [text, setText] = useState(username);
  useEffect(() => setText(username), [username]);
  const result = useApi<{ accounts: AccountSummary[] }>(username ? `/api/accounts${query({ username, limit: ACCOUNT_LIMIT })}` : null);
  const accounts = username && result.state === 'ok' ? result.data.accounts : undefined;

  function submit(event: FormEvent) {
    event.preventDefault();
    const next = text.trim().toLowerCase();
    setParams(next ? { username: next } : {});
  }

  return (
    <Page
      title="Support desk"
      lead="Help a colleague who cannot sign in: find their account, see whether it is locked and where it is signed in, end its sessions, lift a lockout or reset the second factor. Every look and every change is audited."
      focusHeading={false}
    >
      <form className="search" role="search" onSubmit={submit} aria-label="Find an account">
        <TextField
          label="Username starts with"
          name="username"
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          hint="The first letters of the username, for example “j.doe” or “j.”."
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={64}
          autoFocus
          className="search__field"
        />
        <button type="submit" className="btn btn--primary search__button" disabled={text.trim() === ''}>
          Find
        </button>
      </form>

      {result.state === 'error' && username ? <ErrorNotice error={result.error} title="The search did not run" /> : null}

      <div role="status" aria-live="polite" className="search__status" data-testid="account-count">
        {!username
          ? null
          : result.state === 'loading'
            ? 'Searching…'
            : accounts
              ? accounts.length === 0
                ? `No username starts with “${username}”.`
                : `${plural(accounts.length, 'account')}${accounts.length === ACCOUNT_LIMIT ? ` (the first ${ACCOUNT_LIMIT}; type more of the username to narrow)` : ''}.`
              : null}
      </div>

      {accounts && accounts.length > 0 ? (
        <table className="table" data-testid="accounts">
          <ColumnHeads columns={['Account', 'Roles', 'Status', 'Last signed in']} />
          <tbody>
            {accounts.map((a) => (
              <tr key={a.personId} data-username={a.username}>
                <td>
                  <Link className="table__primary" to={`/support/accounts/${a.personId}`} state={{ from: username }}>
                    {a.displayName}
                  </Link>
                  <span className="cell__sub mono">{a.username}</span>
                </td>
                <td>
                  {a.roles.length === 0 ? (
                    <span className="muted">None</span>
                  ) : (
<RoleTags roles={a.roles} />
                  )}
                </td>
                <td>
                  <AccountStatePills status={a.status} locked={a.locked} />
                </td>
                <td className="num">{a.lastLoginAt ? shortDateTime(a.lastLoginAt) : <span className="muted">Never</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}

export function AccountStatePills({ status, locked }: { status: 'active' | 'disabled'; locked: boolean }) {
  return (
    <span className="pill-row">
      {status === 'active' ? <Pill tone="ok">Active</Pill> : <Pill tone="unknown">Disabled</Pill>}
      {locked ? <Pill tone="warn">Locked</Pill> : null}
    </span>
  );
}
