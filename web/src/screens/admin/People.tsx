import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { query } from '../../api/client.ts';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { SelectField, TextField } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import { Pill } from '../../components/Pill.tsx';
import { useSession } from '../../session/session.tsx';
import { shortDateTime } from '../../text/time.ts';
import { plural, roleName } from '../../text/words.ts';
import { LIST_LIMIT, useFacilities, usePeople, useRoles } from './directory-data.ts';
import { ColumnHeads } from '../../components/ColumnHeads.tsx';
import { RoleTags } from '../../components/RoleTags.tsx';

/** Everyone who can sign in: roles, facilities, status and whether their credentials are set. */
export function People() {
  const { may } = useSession();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const role = params.get('role') ?? '';
  const status = params.get('status') ?? '';
  const [text, setText] = useState(q);
  const people = usePeople(query({ q: q.trim(), role, status }).replace(/^\?/, '&'));
  const facilities = useFacilities();
  const roles = useRoles();

  function apply(next: Record<string, string>) {
    const merged = { q, role, status, ...next };
    setParams(Object.fromEntries(Object.entries(merged).filter(([, v]) => v)));
  }
  function submit(event: FormEvent) {
    event.preventDefault();
    apply({ q: text.trim() });
  }
  const items = people.data?.items ?? [];
  const code = (id: string) => facilities.data?.items.find((f) => f.id === id)?.code ?? '?';

  return (
    <Page
      title="People"
      lead="Everyone who can sign in to Vigil, with their roles and the facilities they work at. Changes take effect on their next request and are audited."
      actions={
        may('directory.write') ? (
          <Link className="btn btn--primary" to="/admin/people/new">
            Add a person
          </Link>
        ) : undefined
      }
    >
      <form className="panel filters filters--row" onSubmit={submit} aria-label="Filter people">
        <TextField label="Name or username starts with" value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
        <SelectField label="Role" value={role} onChange={(e) => apply({ role: e.target.value })}>
          <option value="">Any role</option>
          {(roles.data?.roles ?? []).map((r) => (
            <option key={r} value={r}>
              {roleName(r)}
            </option>
          ))}
        </SelectField>
        <SelectField label="Status" value={status} onChange={(e) => apply({ status: e.target.value })}>
          <option value="">Active and disabled</option>
          <option value="active">Active</option>
          <option value="disabled">Disabled</option>
        </SelectField>
        <button type="submit" className="btn btn--quiet filters__submit">
          Filter
        </button>
      </form>

      {people.state === 'error' ? <ErrorNotice error={people.error} title="People could not be loaded" /> : null}
      {people.state === 'loading' && !people.data ? <Loading what="people" /> : null}
      {people.data ? (
        <p className="muted" role="status">
          {items.length === 0 ? 'Nobody matches.' : plural(items.length, 'person', 'people')}
          {people.data.nextCursor ? ` (the first ${LIST_LIMIT}; narrow the filter to see others)` : ''}
        </p>
      ) : null}

      {items.length > 0 ? (
        <table className="table" data-testid="people">
          <ColumnHeads columns={['Name', 'Roles', 'Facilities', 'Status', 'Sign-in', 'Last signed in']} />
          <tbody>
            {items.map((p) => (
              <tr key={p.id} data-username={p.username}>
                <td>
                  <Link className="table__primary" to={`/admin/people/${p.id}`}>
                    {p.displayName}
                  </Link>
                  <span className="cell__sub mono">{p.username}</span>
                </td>
                <td>
<RoleTags roles={p.roles} />
                </td>
                <td>{p.facilityIds.map(code).join(', ') || <span className="muted">None</span>}</td>
                <td>{p.status === 'active' ? <Pill tone="ok">Active</Pill> : <Pill tone="unknown">Disabled</Pill>}</td>
                <td>{credentialText(p)}</td>
                <td className="num">{p.lastLoginAt ? shortDateTime(p.lastLoginAt) : <span className="muted">Never</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}

export function credentialText(p: { passwordSet: boolean; totpEnrolled: boolean; lockedUntil: string | null }): string {
  if (p.lockedUntil && new Date(p.lockedUntil).getTime() > Date.now()) return 'Locked after failed attempts';
  if (!p.passwordSet) return 'No password yet';
  return p.totpEnrolled ? 'Password and authenticator' : 'Password only';
}
