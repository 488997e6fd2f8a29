import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client.ts';
import type { CareTeam, Person } from '../../api/types.ts';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { SelectField, TextField } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import { useMutation } from '../../hooks/use-api.ts';
import { useSession } from '../../session/session.tsx';
import { plural, roleName } from '../../text/words.ts';
import { facilityName, useCareTeams, useFacilities, usePeople } from './directory-data.ts';
import { ColumnHeads } from '../../components/ColumnHeads.tsx';

/** Care teams and their members: membership is what puts a clinician in a patient's care. */
export function CareTeams() {
  const { may } = useSession();
  const canWrite = may('directory.write');
  const teams = useCareTeams();
  const facilities = useFacilities();
  const people = usePeople('&status=active');

  return (
    <Page title="Care teams" lead="A clinician can open the records of patients assigned to their care teams, at the team’s facility. Members must work at that facility.">
      {canWrite ? <NewTeam facilities={facilities.data?.items ?? []} onCreated={teams.reload} /> : null}
      {teams.state === 'error' ? <ErrorNotice error={teams.error} title="Care teams could not be loaded" /> : null}
      {teams.state === 'loading' && !teams.data ? <Loading what="care teams" /> : null}
      {teams.data && teams.data.items.length === 0 ? <p className="panel panel--quiet">No care teams yet.</p> : null}
      <div className="stack">
        {(teams.data?.items ?? []).map((team) => (
          <TeamCard key={team.id} team={team} facility={facilityName(facilities.data?.items, team.facilityId)} people={people.data?.items ?? []} canWrite={canWrite} onChanged={teams.reload} />
        ))}
      </div>
    </Page>
  );
}

function NewTeam({ facilities, onCreated }: { facilities: { id: string; name: string; code: string }[]; onCreated: () => void }) {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [facilityId, setFacilityId] = useState('');
  const create = useMutation(() => api<CareTeam>('/api/admin/care-teams', { method: 'POST', body: { name: name.trim(), facilityId } }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim() || !facilityId) return;
    if (await create.mutate()) {
      setName('');
      setOpen(false);
      onCreated();
    }
  }

  if (!open) {
    return (
      <p>
        <button type="button" className="btn btn--quiet" onClick={() => setOpen(true)}>
          New care team…
        </button>
      </p>
    );
  }
  return (
    <form className="panel inline-form" onSubmit={(e) => void submit(e)} aria-label="New care team">
      <TextField label="Team name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} autoFocus />
      <SelectField label="Facility" value={facilityId} onChange={(e) => setFacilityId(e.target.value)}>
        <option value="">Choose…</option>
        {facilities.map((f) => (
          <option key={f.id} value={f.id}>
            {f.name} ({f.code})
          </option>
        ))}
      </SelectField>
      <div className="form-actions">
        <button type="submit" className="btn btn--primary" disabled={create.pending || !name.trim() || !facilityId}>
          Create team
        </button>
        <button type="button" className="btn btn--quiet" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
      {create.error ? <ErrorNotice error={create.error} title="The team was not created" /> : null}
    </form>
  );
}

function TeamCard({ team, facility, people, canWrite, onChanged }: { team: CareTeam; facility: string; people: Person[]; canWrite: boolean; onChanged: () => void }) {
  const [adding, setAdding] = useState('');
  const add = useMutation(() => api<CareTeam>(`/api/admin/care-teams/${team.id}/members/${adding}`, { method: 'POST' }));
  const remove = useMutation((personId: string) => api<CareTeam>(`/api/admin/care-teams/${team.id}/members/${personId}`, { method: 'DELETE' }));
  const candidates = people.filter((p) => p.facilityIds.includes(team.facilityId) && !team.members.some((m) => m.personId === p.id));

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!adding) return;
    if (await add.mutate()) {
      setAdding('');
      onChanged();
    }
  }

  return (
    <section className="panel team" id={`team-${team.id}`} aria-labelledby={`team-title-${team.id}`} data-testid="care-team">
      <header className="team__head">
        <h2 id={`team-title-${team.id}`} className="panel__title">
          {team.name}
        </h2>
        <span className="muted">
          {facility} · {plural(team.members.length, 'member')}
        </span>
      </header>
      {team.members.length > 0 ? (
        <table className="table table--dense">
          <ColumnHeads columns={['Member', 'Roles']} action={canWrite && 'Actions'} />
          <tbody>
            {team.members.map((m) => (
              <tr key={m.personId}>
                <td>
                  <Link to={`/admin/people/${m.personId}`}>{m.displayName}</Link> <span className="muted mono">{m.username}</span>
                </td>
                <td>{m.roles.map(roleName).join(', ')}</td>
                {canWrite ? (
                  <td className="cell--actions">
                    <button type="button" className="btn btn--quiet btn--small" disabled={remove.pending} onClick={() => void remove.mutate(m.personId).then((t) => t && onChanged())} aria-label={`Remove ${m.displayName} from ${team.name}`}>
                      Remove
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No members yet.</p>
      )}
      {remove.error ? <ErrorNotice error={remove.error} title="The member was not removed" /> : null}
      {canWrite ? (
        <form className="inline-form" onSubmit={(e) => void submit(e)} aria-label={`Add a member to ${team.name}`}>
          <SelectField label="Add a member" value={adding} onChange={(e) => setAdding(e.target.value)} hint={candidates.length === 0 ? 'Everyone at this facility is already a member.' : 'People who work at this facility.'}>
            <option value="">Choose a person…</option>
            {candidates.map((p) => (
              <option key={p.id} value={p.id}>
                {p.displayName} — {p.roles.map(roleName).join(', ')}
              </option>
            ))}
          </SelectField>
          <button type="submit" className="btn btn--quiet" disabled={!adding || add.pending}>
            Add
          </button>
        </form>
      ) : null}
      {add.error ? <ErrorNotice error={add.error} title="The member was not added" /> : null}
    </section>
  );
}
