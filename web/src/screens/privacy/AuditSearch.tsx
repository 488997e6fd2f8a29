import { useEffect, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { query } from '../../api/client.ts';
import type { AuditEventView, AuditPage } from '../../api/types.ts';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Choice, SelectField, TextField } from '../../components/Field.tsx';
import { Page } from '../../components/Page.tsx';
import { OutcomePill, Pill } from '../../components/Pill.tsx';
import { answerState, useApi } from '../../hooks/use-api.ts';
import { useSession } from '../../session/session.tsx';
import { dateTime, localInputToIso } from '../../text/time.ts';
import { plural, roleName } from '../../text/words.ts';
import { ColumnHeads } from '../../components/ColumnHeads.tsx';

const PAGE_SIZE = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const KNOWN_ACTIONS = [
  'patient.read',
  'patient.search',
  'patient.search-hit',
  'patient.*',
  'break-glass.start',
  'break-glass.end',
  'break-glass.review',
  'break-glass.*',
  'auth.login',
  'auth.logout',
  'auth.*',
  'audit.*',
  'directory.*',
  'account.*',
];

interface Filters {
  patient: string;
  actor: string;
  action: string;
  outcome: string;
  from: string;
  to: string;
  breakGlass: boolean;
}

function filtersFrom(params: URLSearchParams): Filters {
  return {
    patient: params.get('patient') ?? '',
    actor: params.get('actor') ?? '',
    action: params.get('action') ?? '',
    outcome: params.get('outcome') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    breakGlass: params.get('break_glass') === 'true',
  };
}

/** The API's query for these filters (times as ISO instants; the form keeps local wall time). */
export function auditQuery(f: Filters, extra: Record<string, string | number | undefined> = {}): string {
  return query({
    patient: f.patient.trim(),
    actor: f.actor.trim(),
    action: f.action.trim(),
    outcome: f.outcome,
    from: localInputToIso(f.from),
    to: localInputToIso(f.to),
    break_glass: f.breakGlass ? 'true' : undefined,
    ...extra,
  });
}

function paramsOf(f: Filters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ patient: f.patient.trim(), actor: f.actor.trim(), action: f.action.trim(), outcome: f.outcome, from: f.from, to: f.to })) if (v) out[k] = v;
  if (f.breakGlass) out.break_glass = 'true';
  return out;
}

/**
 * Audit search: who did what to which patient, when, with what outcome. Filters live in the address (Back and reload
 * work, and other screens link here with a filter set); pages follow the server's cursor, newest first.
 */
export function AuditSearch() {
  const { may } = useSession();
  const [params, setParams] = useSearchParams();
  const applied = filtersFrom(params);
  const cursor = params.get('cursor') ?? undefined;
  const pageNumber = Number(params.get('page') ?? 1) || 1;
  const [form, setForm] = useState<Filters>(applied);
  const appliedKey = params.toString();
  useEffect(() => setForm(filtersFrom(new URLSearchParams(appliedKey))), [appliedKey]);

  const patientInvalid = form.patient.trim() !== '' && !UUID.test(form.patient.trim());
  const appliedInvalid = applied.patient.trim() !== '' && !UUID.test(applied.patient.trim());
  const path = appliedInvalid ? null : `/api/audit${auditQuery(applied, { limit: PAGE_SIZE, cursor })}`;
  const result = useApi<AuditPage>(path);
  const page = result.state === 'ok' ? result.data : undefined;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (patientInvalid) return;
    setParams(paramsOf(form));
  }
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) => setForm((f) => ({ ...f, [key]: value }));

  return (
    <Page title="Audit trail" lead="Every access to patient data, every sign-in and every change, newest first. Searching the trail is itself recorded.">
      <form className="panel filters" onSubmit={submit} aria-label="Audit search filters">
        <div className="filters__grid">
          <TextField label="Patient id" value={form.patient} onChange={(e) => set('patient', e.target.value)} spellCheck={false} error={patientInvalid ? 'A patient id looks like 0190…-…: copy it from the patient’s page or an event.' : undefined} className="filters__wide" />
          <TextField label="Person (username or id)" value={form.actor} onChange={(e) => set('actor', e.target.value)} spellCheck={false} autoCapitalize="none" />
          <TextField label="Action (e.g. patient.read, auth.*)" value={form.action} onChange={(e) => set('action', e.target.value)} list="audit-actions" spellCheck={false} />
          <datalist id="audit-actions">
            {KNOWN_ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
          <SelectField label="Outcome" value={form.outcome} onChange={(e) => set('outcome', e.target.value)}>
            <option value="">Any outcome</option>
            <option value="success">Success</option>
            <option value="denied">Denied</option>
            <option value="error">Error</option>
          </SelectField>
          <TextField label="From" type="datetime-local" value={form.from} onChange={(e) => set('from', e.target.value)} />
          <TextField label="Until" type="datetime-local" value={form.to} onChange={(e) => set('to', e.target.value)} />
        </div>
        <div className="filters__footer">
          <Choice type="checkbox" label="Emergency (break-glass) access only" checked={form.breakGlass} onChange={(e) => set('breakGlass', e.target.checked)} />
          <div className="form-actions">
            <button type="button" className="btn btn--quiet" onClick={() => setParams({})}>
              Clear
            </button>
            <button type="submit" className="btn btn--primary">
              Search
            </button>
          </div>
        </div>
      </form>

      {result.state === 'error' ? <ErrorNotice error={result.error} title="The search did not run" /> : null}

      <div className="results-bar">
        <p role="status" aria-live="polite" data-testid="audit-status">
          {result.state === 'loading' ? 'Searching…' : page ? (page.events.length === 0 ? 'No events match.' : `Page ${pageNumber}: ${plural(page.events.length, 'event')}${page.nextCursor ? ', more on the next page' : ''}.`) : null}
        </p>
        {may('audit.export') && !appliedInvalid ? (
          <a className="btn btn--quiet" href={`/api/audit/export.ndjson${auditQuery(applied)}`} download>
            Download all matching events (NDJSON)
          </a>
        ) : null}
      </div>

      {page && page.events.length > 0 ? <AuditTable events={page.events} loaded={{ state: answerState(result), query: appliedKey }} /> : null}

      {page && (cursor || page.nextCursor) ? (
        <nav className="pager" aria-label="Result pages">
          <button type="button" className="btn btn--quiet" disabled={!cursor} onClick={() => setParams(paramsOf(applied))}>
            Newest
          </button>
          <button
            type="button"
            className="btn btn--quiet"
            disabled={!page.nextCursor}
            onClick={() => page.nextCursor && setParams({ ...paramsOf(applied), cursor: page.nextCursor, page: String(pageNumber + 1) })}
          >
            Older events
          </button>
        </nav>
      ) : null}
    </Page>
  );
}

/** `loaded` says which search the rows answer and whether a newer one is still loading (tests wait on it). */
export function AuditTable({ events, showPatient = true, loaded }: { events: AuditEventView[]; showPatient?: boolean; loaded?: { state: string; query: string } }) {
  return (
    <table className="table table--dense" data-testid="audit-results" data-state={loaded?.state} data-query={loaded?.query}>
      <ColumnHeads columns={['When', 'Who', 'Action', showPatient && 'Patient', 'Outcome', 'Sealed']} />
      <tbody>
        {events.map((e) => (
          <tr key={e.id} data-action={e.action}>
            <td className="num">
              <Link to={`/privacy/audit/${e.id}`} aria-label={`Event ${e.action} at ${dateTime(e.recorded_at)}`}>
                {dateTime(e.recorded_at)}
              </Link>
            </td>
            <td>
              <span className="who">{e.actor_name ?? (e.actor_type === 'anonymous' ? 'Unknown (not signed in)' : (e.actor_id ?? e.actor_type))}</span>
              {e.actor_roles.length > 0 ? <span className="who__roles">{e.actor_roles.map(roleName).join(', ')}</span> : null}
            </td>
            <td>
              <code>{e.action}</code>
              {e.break_glass ? (
                <>
                  {' '}
                  <Pill tone="glass">Break-glass</Pill>
                </>
              ) : null}
              {e.reason_code ? <span className="cell__sub">{e.reason_code}</span> : null}
            </td>
            {showPatient ? (
              <td>{e.patient_id ? <Link className="mono" to={`/privacy/access-report?patient=${e.patient_id}`} title={e.patient_id}>{`${e.patient_id.slice(0, 8)}…`}</Link> : <span className="muted">—</span>}</td>
            ) : null}
            <td>
              <OutcomePill outcome={e.outcome} />
            </td>
            <td className="num">{e.seq ? `#${e.seq}` : <span className="muted">pending</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
