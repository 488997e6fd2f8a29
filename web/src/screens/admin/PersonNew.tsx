import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api/client.ts';
import type { Person } from '../../api/types.ts';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { Choice, ChoiceGroup, SelectField, TextField } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import { useMutation } from '../../hooks/use-api.ts';
import { useMe } from '../../session/session.tsx';
import { roleHint, roleName } from '../../text/words.ts';
import { useFacilities, useOrganizations, useRoles } from './directory-data.ts';

const USERNAME = /^[a-z0-9._-]{2,64}$/;

/** A new person with roles and facilities. Credentials are issued on the person's page; until then they cannot sign in. */
export function PersonNew() {
  const me = useMe();
  const navigate = useNavigate();
  const organizations = useOrganizations();
  const facilities = useFacilities();
  const roles = useRoles();
  const [displayName, setDisplayName] = useState('');
  const [username, setUsername] = useState('');
  const [organizationId, setOrganizationId] = useState(me.organizationId);
  const [chosenRoles, setChosenRoles] = useState<string[]>([]);
  const [facilityIds, setFacilityIds] = useState<string[]>([]);
  const [tried, setTried] = useState(false);
  const create = useMutation(() =>
    api<Person>('/api/admin/people', { method: 'POST', body: { username: username.trim(), displayName: displayName.trim(), organizationId, roles: chosenRoles, facilityIds } }),
  );

  const problems = {
    displayName: displayName.trim() ? undefined : 'Give the name colleagues know them by.',
    username: USERNAME.test(username.trim()) ? undefined : '2 to 64 characters: lower-case letters, digits, dot, dash or underscore.',
    roles: chosenRoles.length > 0 ? undefined : 'Choose at least one role.',
  };
  const orgFacilities = (facilities.data?.items ?? []).filter((f) => f.organizationId === organizationId);
  const toggle = (list: string[], value: string, on: boolean) => (on ? [...list, value] : list.filter((v) => v !== value));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    if (problems.displayName || problems.username || problems.roles) return;
    const person = await create.mutate();
    if (person) navigate(`/admin/people/${person.id}`, { state: { created: true } });
  }

  return (
    <Page title="Add a person" focusHeading={false} lead="Give them only the roles their work needs. Usernames never change: the audit trail names people by them." actions={<Link to="/admin/people">Back to people</Link>}>
      <form className="panel form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="form__grid">
          <TextField label="Full name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={200} error={tried ? problems.displayName : undefined} autoFocus />
          <TextField
            label="Username"
            value={username}
            onChange={(e) => setUsername(e.target.value.toLowerCase())}
            autoCapitalize="none"
            spellCheck={false}
            maxLength={64}
            hint="Lower-case letters, digits, dot, dash or underscore."
            error={tried ? problems.username : undefined}
          />
          {organizations.data && organizations.data.items.length > 1 ? (
            <SelectField label="Organization" value={organizationId} onChange={(e) => setOrganizationId(e.target.value)}>
              {organizations.data.items.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </SelectField>
          ) : null}
        </div>

        {roles.state === 'loading' ? <Loading what="roles" /> : null}
        {roles.data ? (
          <ChoiceGroup legend="Roles" error={tried ? problems.roles : undefined} className="choices--grid">
            {roles.data.roles.map((r) => (
              <Choice key={r} type="checkbox" value={r} checked={chosenRoles.includes(r)} onChange={(e) => setChosenRoles((list) => toggle(list, r, e.target.checked))} label={roleName(r)} hint={roleHint(r)} />
            ))}
          </ChoiceGroup>
        ) : null}

        <ChoiceGroup legend="Facilities" hint="Where they work. Patient access applies only at these facilities." className="choices--grid">
          {orgFacilities.length === 0 ? <p className="muted">This organization has no facilities yet.</p> : null}
          {orgFacilities.map((f) => (
            <Choice key={f.id} type="checkbox" value={f.id} checked={facilityIds.includes(f.id)} onChange={(e) => setFacilityIds((list) => toggle(list, f.id, e.target.checked))} label={f.name} hint={f.code} />
          ))}
        </ChoiceGroup>

        <p className="muted">Vigil does not set passwords here. Once the person is created, issue their sign-in credentials (a password and an authenticator) on their page; until then they cannot sign in.</p>
        {create.error ? <ErrorNotice error={create.error} title="The person was not created" /> : null}
        <div className="form-actions">
          <button type="submit" className="btn btn--primary" disabled={create.pending}>
            {create.pending ? 'Creating…' : 'Create person'}
          </button>
          <Link className="btn btn--quiet" to="/admin/people">
            Cancel
          </Link>
        </div>
      </form>
    </Page>
  );
}
