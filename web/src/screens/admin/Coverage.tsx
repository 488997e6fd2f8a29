import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../../api/client.ts';
import type { Coverage as CoverageWindow, CoverageState, Page as ListPage, Person } from '../../api/types.ts';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { SelectField, TextField } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import { Pill } from '../../components/Pill.tsx';
import { useApi, useMutation } from '../../hooks/use-api.ts';
import { useSession } from '../../session/session.tsx';
import { isoToLocalInput, localInputToIso, shortDateTime, untilText } from '../../text/time.ts';
import { plural, roleName } from '../../text/words.ts';
import { CARE_ROLES, COVERING_ROLES, personName, usePeople } from './directory-data.ts';
import { ColumnHeads } from '../../components/ColumnHeads.tsx';

const MAX_DAYS = 31;
const TABS: { state: CoverageState | 'all'; label: string }[] = [
  { state: 'active', label: 'Active now' },
  { state: 'upcoming', label: 'Upcoming' },
  { state: 'ended', label: 'Ended' },
  { state: 'all', label: 'All' },
];

export function CoverageStatePill({ state }: { state: string }) {
  if (state === 'active') return <Pill tone="ok">Active</Pill>;
  if (state === 'upcoming') return <Pill tone="info">Upcoming</Pill>;
  return <Pill tone="unknown">Ended</Pill>;
}

/**
 * Coverage windows: one clinician acts for a colleague's patients from a start to an end, never longer than 31 days,
 * and not a moment after the end. A window that has started stays on record; it can be cut short, not erased.
 */
export function Coverage() {
  const { may } = useSession();
  const canWrite = may('directory.write');
  const [params, setParams] = useSearchParams();
  const tab = TABS.find((t) => t.state === params.get('state'))?.state ?? 'active';
  const windows = useApi<ListPage<CoverageWindow>>(`/api/admin/coverage?limit=200${tab === 'all' ? '' : `&state=${tab}`}`);
  const people = usePeople('&status=active');
  const allPeople = usePeople();

  return (
    <Page title="Coverage" lead={`Let one clinician act for a colleague’s patients for a bounded time (at most ${MAX_DAYS} days). Access ends with the window.`}>
      {canWrite ? <NewCoverage people={people.data?.items ?? []} onCreated={windows.reload} /> : null}

      <div className="tabs" role="group" aria-label="Which windows">
        {TABS.map((t) => (
          <button key={t.state} type="button" className={t.state === tab ? 'tabs__tab tabs__tab--active' : 'tabs__tab'} aria-pressed={t.state === tab} onClick={() => setParams(t.state === 'active' ? {} : { state: t.state })}>
            {t.label}
          </button>
        ))}
      </div>

      {windows.state === 'error' ? <ErrorNotice error={windows.error} title="Coverage could not be loaded" /> : null}
      {windows.state === 'loading' && !windows.data ? <Loading what="coverage" /> : null}
      {windows.data ? (
        <p className="muted" role="status">
          {windows.data.items.length === 0 ? 'No coverage windows here.' : plural(windows.data.items.length, 'window')}
        </p>
      ) : null}
      {windows.data && windows.data.items.length > 0 ? (
        <table className="table" data-testid="coverage" data-state={windows.current ? tab : undefined} aria-busy={!windows.current}>
          <ColumnHeads columns={['Covering', 'Covers for', 'From', 'Until', 'State']} action={canWrite && 'Actions'} />
          <tbody>
            {windows.data.items.map((c) => (
              <CoverageRow key={c.id} window={c} people={allPeople.data?.items} canWrite={canWrite} onChanged={windows.reload} />
            ))}
          </tbody>
        </table>
      ) : null}
    </Page>
  );
}

function CoverageRow({ window: c, people, canWrite, onChanged }: { window: CoverageWindow; people: Person[] | undefined; canWrite: boolean; onChanged: () => void }) {
  const end = useMutation(() => api<CoverageWindow>(`/api/admin/coverage/${c.id}/end`, { method: 'POST', body: {} }));
  const remove = useMutation(() => api<void>(`/api/admin/coverage/${c.id}`, { method: 'DELETE' }));
  const error = end.error ?? remove.error;
  return (
    <tr data-covering={c.coveringPersonId}>
      <td>{personName(people, c.coveringPersonId)}</td>
      <td>{personName(people, c.coveredPersonId)}</td>
      <td className="num">{shortDateTime(c.startsAt)}</td>
      <td className="num">
        {shortDateTime(c.endsAt)}
        {c.state === 'active' ? <span className="cell__sub">ends {untilText(c.endsAt)}</span> : null}
      </td>
      <td>
        <CoverageStatePill state={c.state} />
      </td>
      {canWrite ? (
        <td className="cell--actions">
          {c.state === 'active' ? (
            <button type="button" className="btn btn--quiet btn--small" disabled={end.pending} onClick={() => void end.mutate().then((r) => r && onChanged())}>
              End now
            </button>
          ) : null}
          {c.state === 'upcoming' ? (
            <button type="button" className="btn btn--quiet btn--small" disabled={remove.pending} onClick={() => void remove.mutate().then(() => onChanged())}>
              Delete
            </button>
          ) : null}
          {error ? <ErrorNotice error={error} title="Not changed" /> : null}
        </td>
      ) : null}
    </tr>
  );
}

function roundedNow(): Date {
  const d = new Date();
  d.setSeconds(0, 0);
  d.setMinutes(Math.ceil(d.getMinutes() / 15) * 15);
  return d;
}

function NewCoverage({ people, onCreated }: { people: Person[]; onCreated: () => void }) {
  const [covering, setCovering] = useState('');
  const [covered, setCovered] = useState('');
  const [startsAt, setStartsAt] = useState(() => isoToLocalInput(roundedNow()));
  const [endsAt, setEndsAt] = useState(() => isoToLocalInput(new Date(roundedNow().getTime() + 12 * 3_600_000)));
  const [tried, setTried] = useState(false);
  const [done, setDone] = useState(false);
  const create = useMutation(() =>
    api<CoverageWindow>('/api/admin/coverage', { method: 'POST', body: { coveringPersonId: covering, coveredPersonId: covered, startsAt: localInputToIso(startsAt), endsAt: localInputToIso(endsAt) } }),
  );

  const start = localInputToIso(startsAt);
  const end = localInputToIso(endsAt);
  const problems = {
    covering: covering ? undefined : 'Choose who covers.',
    covered: !covered ? 'Choose whose patients they cover.' : covered === covering ? 'A person cannot cover for themselves.' : undefined,
    window: !start || !end ? 'Give a start and an end.' : end <= start ? 'The end must be after the start.' : new Date(end).getTime() - new Date(start).getTime() > MAX_DAYS * 86_400_000 ? `At most ${MAX_DAYS} days.` : undefined,
  };
  const coveringPeople = people.filter((p) => p.roles.some((r) => COVERING_ROLES.includes(r)));
  const coveredPeople = people.filter((p) => p.roles.some((r) => CARE_ROLES.includes(r)));
  const label = (p: Person) => `${p.displayName} — ${p.roles.map(roleName).join(', ')}`;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    setDone(false);
    if (problems.covering || problems.covered || problems.window) return;
    if (await create.mutate()) {
      setTried(false);
      setCovering('');
      setCovered('');
      setDone(true);
      onCreated();
    }
  }

  return (
    <form className="panel form" onSubmit={(e) => void submit(e)} aria-labelledby="new-coverage-title" noValidate>
      <h2 id="new-coverage-title" className="panel__title">
        New coverage window
      </h2>
      <div className="form__grid">
        <SelectField label="Covering clinician" value={covering} onChange={(e) => setCovering(e.target.value)} error={tried ? problems.covering : undefined}>
          <option value="">Choose…</option>
          {coveringPeople.map((p) => (
            <option key={p.id} value={p.id}>
              {label(p)}
            </option>
          ))}
        </SelectField>
        <SelectField label="Covers for" value={covered} onChange={(e) => setCovered(e.target.value)} error={tried ? problems.covered : undefined}>
          <option value="">Choose…</option>
          {coveredPeople.map((p) => (
            <option key={p.id} value={p.id}>
              {label(p)}
            </option>
          ))}
        </SelectField>
        <TextField label="From" type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} error={tried ? problems.window : undefined} />
        <TextField label="Until (access stops)" type="datetime-local" value={endsAt} onChange={(e) => setEndsAt(e.target.value)} />
      </div>
      {create.error ? <ErrorNotice error={create.error} title="The window was not created" /> : null}
      {done ? (
        <p className="notice notice--ok" role="status">
          Coverage window created.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="btn btn--primary" disabled={create.pending}>
          {create.pending ? 'Creating…' : 'Create window'}
        </button>
      </div>
    </form>
  );
}
