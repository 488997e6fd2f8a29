import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { api } from '../../api/client.ts';
import type { Coverage, Page as ListPage, Person } from '../../api/types.ts';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { Choice, ChoiceGroup, TextField } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import { Pill } from '../../components/Pill.tsx';
import { useApi, useMutation } from '../../hooks/use-api.ts';
import { useMe, useSession } from '../../session/session.tsx';
import { dateTime, shortDateTime } from '../../text/time.ts';
import { roleHint, roleName } from '../../text/words.ts';
import { CoverageStatePill } from './Coverage.tsx';
import { facilityName, useCareTeams, useFacilities, usePeople, useRoles } from './directory-data.ts';
import { IssueCredentials } from './IssueCredentials.tsx';
import { credentialText } from './People.tsx';
import { RoleTags } from '../../components/RoleTags.tsx';

/** One person: details, roles, facilities, status, and where they sit in care teams and coverage. */
export function PersonDetail() {
  const { id = '' } = useParams();
  const location = useLocation();
  const created = (location.state as { created?: boolean } | null)?.created === true;
  const person = useApi<Person>(`/api/admin/people/${encodeURIComponent(id)}`);
  const p = person.state === 'ok' || person.data ? person.data : undefined;

  return (
    <Page title={p ? p.displayName : 'Person'} lead={p ? <span className="mono">{p.username}</span> : undefined} actions={<Link to="/admin/people">Back to people</Link>}>
      {created ? (
        <div className="notice notice--ok" role="status" data-testid="created-notice">
          <p>
            {p && p.passwordSet
              ? 'Created, and sign-in credentials issued.'
              : 'Created. They cannot sign in yet: issue their sign-in credentials below (a password and an authenticator) and hand them over.'}
          </p>
        </div>
      ) : null}
      {person.state === 'loading' && !p ? <Loading what="the person" /> : null}
      {person.state === 'error' ? <ErrorNotice error={person.error} title="The person could not be loaded" /> : null}
      {p ? <PersonPanels person={p} onChanged={person.reload} /> : null}
    </Page>
  );
}

function PersonPanels({ person, onChanged }: { person: Person; onChanged: () => void }) {
  const { may } = useSession();
  const me = useMe();
  const canWrite = may('directory.write');
  const roles = useRoles();
  const facilities = useFacilities();
  const teams = useCareTeams(`&memberId=${person.id}`);
  const coverage = useApi<ListPage<Coverage>>(`/api/admin/coverage?limit=50&personId=${person.id}`);
  const people = usePeople();

  return (
    <div className="stack">
      <section className="panel" aria-labelledby="status-title">
        <h2 id="status-title" className="panel__title">
          Account
        </h2>
        <dl className="facts facts--columns">
          <div>
            <dt>Status</dt>
            <dd data-testid="person-status">{person.status === 'active' ? <Pill tone="ok">Active</Pill> : <Pill tone="unknown">Disabled</Pill>}</dd>
          </div>
          <div>
            <dt>Sign-in</dt>
            <dd>{credentialText(person)}</dd>
          </div>
          <div>
            <dt>Last signed in</dt>
            <dd>{person.lastLoginAt ? dateTime(person.lastLoginAt) : 'Never'}</dd>
          </div>
          <div>
            <dt>In the directory since</dt>
            <dd>{dateTime(person.createdAt)}</dd>
          </div>
        </dl>
        {canWrite ? <NameAndStatus person={person} isMe={person.id === me.id} onChanged={onChanged} /> : null}
        {may('account.read') ? (
          <p className="panel__more">
            <Link to={`/support/accounts/${person.id}`}>Sessions and lockout at the support desk</Link>
          </p>
        ) : null}
      </section>

      {may('account.issue-credentials') ? <IssueCredentials person={person} isMe={person.id === me.id} onIssued={onChanged} /> : null}

      <div className="two-col">
        <RolesPanel person={person} allRoles={roles.data?.roles ?? []} canWrite={canWrite} onChanged={onChanged} />
        <FacilitiesPanel person={person} facilities={(facilities.data?.items ?? []).filter((f) => f.organizationId === person.organizationId)} canWrite={canWrite} onChanged={onChanged} />
      </div>

      <div className="two-col">
        <section className="panel" aria-labelledby="teams-title">
          <h2 id="teams-title" className="panel__title">
            Care teams
          </h2>
          {teams.state === 'error' ? <ErrorNotice error={teams.error} /> : null}
          {teams.data && teams.data.items.length === 0 ? <p className="muted">Not a member of any care team.</p> : null}
          <ul className="plain-list">
            {(teams.data?.items ?? []).map((t) => (
              <li key={t.id}>
                <Link to={`/admin/care-teams#team-${t.id}`}>{t.name}</Link> <span className="muted">— {facilityName(facilities.data?.items, t.facilityId)}</span>
              </li>
            ))}
          </ul>
        </section>
        <section className="panel" aria-labelledby="coverage-title">
          <h2 id="coverage-title" className="panel__title">
            Coverage
          </h2>
          {coverage.state === 'error' ? <ErrorNotice error={coverage.error} /> : null}
          {coverage.data && coverage.data.items.length === 0 ? <p className="muted">No coverage windows.</p> : null}
          <ul className="plain-list">
            {(coverage.data?.items ?? []).map((c) => {
              const other = c.coveringPersonId === person.id ? c.coveredPersonId : c.coveringPersonId;
              const name = people.data?.items.find((x) => x.id === other)?.displayName ?? 'a colleague';
              return (
                <li key={c.id}>
                  {c.coveringPersonId === person.id ? `Covers for ${name}` : `Covered by ${name}`}, {shortDateTime(c.startsAt)} – {shortDateTime(c.endsAt)} <CoverageStatePill state={c.state} />
                </li>
              );
            })}
          </ul>
          <p>
            <Link to="/admin/coverage">Manage coverage</Link>
          </p>
        </section>
      </div>
    </div>
  );
}

function NameAndStatus({ person, isMe, onChanged }: { person: Person; isMe: boolean; onChanged: () => void }) {
  const [name, setName] = useState(person.displayName);
  const [confirming, setConfirming] = useState(false);
  useEffect(() => setName(person.displayName), [person.displayName]);
  const rename = useMutation(() => api<Person>(`/api/admin/people/${person.id}`, { method: 'PATCH', body: { displayName: name.trim() } }));
  const nextStatus = person.status === 'active' ? 'disabled' : 'active';
  const setStatus = useMutation(() => api<Person>(`/api/admin/people/${person.id}`, { method: 'PATCH', body: { status: nextStatus } }));

  async function submitName(event: FormEvent) {
    event.preventDefault();
    if (!name.trim() || name.trim() === person.displayName) return;
    if (await rename.mutate()) onChanged();
  }

  return (
    <div className="account-edit">
      <form className="inline-form" onSubmit={(e) => void submitName(e)}>
        <TextField label="Full name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
        <button type="submit" className="btn btn--quiet" disabled={rename.pending || !name.trim() || name.trim() === person.displayName}>
          Save name
        </button>
      </form>
      {rename.error ? <ErrorNotice error={rename.error} title="The name was not changed" /> : null}

      <div className="status-change">
        {!confirming ? (
          <button type="button" className={person.status === 'active' ? 'btn btn--danger-outline' : 'btn btn--quiet'} onClick={() => setConfirming(true)} disabled={isMe && person.status === 'active'}>
            {person.status === 'active' ? 'Disable this person…' : 'Enable this person…'}
          </button>
        ) : (
          <div className="confirm" role="group" aria-label="Confirm status change">
            <p>
              {person.status === 'active'
                ? `Disable ${person.displayName}? They are signed out everywhere at once and cannot sign in until enabled again.`
                : `Enable ${person.displayName}? They can sign in again with their existing credentials.`}
            </p>
            <div className="form-actions">
              <button
                type="button"
                className={person.status === 'active' ? 'btn btn--danger' : 'btn btn--primary'}
                disabled={setStatus.pending}
                onClick={() =>
                  void setStatus.mutate().then((done) => {
                    setConfirming(false);
                    if (done) onChanged();
                  })
                }
              >
                {person.status === 'active' ? 'Disable' : 'Enable'}
              </button>
              <button type="button" className="btn btn--quiet" onClick={() => setConfirming(false)}>
                Keep as is
              </button>
            </div>
          </div>
        )}
        {isMe && person.status === 'active' ? <p className="muted">You cannot disable your own account.</p> : null}
        {setStatus.error ? <ErrorNotice error={setStatus.error} title="The status was not changed" /> : null}
      </div>
    </div>
  );
}

function RolesPanel({ person, allRoles, canWrite, onChanged }: { person: Person; allRoles: string[]; canWrite: boolean; onChanged: () => void }) {
  return (
    <ChecklistPanel
      readView={
        canWrite ? null : (
<RoleTags roles={person.roles} />
        )
      }
      current={person.roles}
      options={allRoles.map((r) => ({ id: r, label: roleName(r), hint: roleHint(r) }))}
      legend="Roles this person holds"
      whenRemoving="Removing a role ends this person’s sessions: they sign in again with the roles that remain."
      save={(roles) => api<Person>(`/api/admin/people/${person.id}/roles`, { method: 'PUT', body: { roles } })}
      what="roles"
      onChanged={onChanged}
    />
  );
}

function FacilitiesPanel({ person, facilities, canWrite, onChanged }: { person: Person; facilities: { id: string; name: string; code: string }[]; canWrite: boolean; onChanged: () => void }) {
  return (
    <ChecklistPanel
      readView={canWrite ? null : <p>{person.facilityIds.map((id) => facilities.find((f) => f.id === id)?.name ?? id).join(', ') || 'None'}</p>}
      current={person.facilityIds}
      options={facilities.map((f) => ({ id: f.id, label: f.name, hint: f.code }))}
      legend="Works at"
      hint="Patient access applies only at these facilities."
      save={(facilityIds) => api<Person>(`/api/admin/people/${person.id}`, { method: 'PATCH', body: { facilityIds } })}
      what="facilities"
      onChanged={onChanged}
    />
  );
}

/**
 * A panel over what a person holds (roles, facilities): `readView` for a reader who may not change it, otherwise a set
 * of checkboxes saved as a whole, which says so once it is saved.
 */
function ChecklistPanel({
  readView,
  current,
  options,
  legend,
  hint,
  whenRemoving,
  save,
  what,
  onChanged,
}: {
  /** Shown instead of the form; null when the reader may change the list. */
  readView: ReactNode;
  current: string[];
  options: { id: string; label: string; hint?: string }[];
  legend: string;
  hint?: string;
  /** Said under the boxes while an item is being taken away. */
  whenRemoving?: string;
  save: (ids: string[]) => Promise<unknown>;
  what: 'roles' | 'facilities';
  onChanged: () => void;
}) {
  const [ids, setIds] = useState<string[]>(current);
  useEffect(() => setIds(current), [current]);
  const mutation = useMutation(() => save(ids));
  const [saved, setSaved] = useState(false);
  const changed = [...ids].sort().join() !== [...current].sort().join();
  const removing = current.some((id) => !ids.includes(id));
  const What = what[0]!.toUpperCase() + what.slice(1);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    if (await mutation.mutate()) {
      setSaved(true);
      onChanged();
    }
  }

  const titleId = `${what}-title`;
  return (
    <section className="panel" aria-labelledby={titleId}>
      <h2 id={titleId} className="panel__title">
        {What}
      </h2>
      {readView ?? (
        <form className="form" onSubmit={(e) => void submit(e)}>
          <ChoiceGroup legend={legend} hint={hint} className="choices--stacked">
            {options.map((o) => (
              <Choice key={o.id} type="checkbox" checked={ids.includes(o.id)} onChange={(e) => setIds((list) => (e.target.checked ? [...list, o.id] : list.filter((x) => x !== o.id)))} label={o.label} hint={o.hint} />
            ))}
          </ChoiceGroup>
          {removing && whenRemoving ? <p className="muted">{whenRemoving}</p> : null}
          {mutation.error ? <ErrorNotice error={mutation.error} title={`The ${what} were not changed`} /> : null}
          <div className="form-actions">
            <button type="submit" className="btn btn--primary" disabled={!changed || mutation.pending}>
              Save {what}
            </button>
            {saved && !changed ? (
              <span className="saved" role="status">
                {What} saved.
              </span>
            ) : null}
          </div>
        </form>
      )}
    </section>
  );
}
