import { Link, useParams } from 'react-router';
import type { AuditEventView } from '../../api/types.ts';
import { ErrorNotice, Loading } from '../../components/ErrorNotice.tsx';
import { Page } from '../../components/Page.tsx';
import { OutcomePill, Pill } from '../../components/Pill.tsx';
import { useApi } from '../../hooks/use-api.ts';
import { useSession } from '../../session/session.tsx';
import { dateTime } from '../../text/time.ts';
import { roleName } from '../../text/words.ts';

const LABELS: Record<string, string> = {
  id: 'Event id',
  v: 'Record version',
  seq: 'Seal sequence',
  recorded_at: 'Recorded at',
  action: 'Action',
  action_code: 'Action code (C R U D E)',
  resource_type: 'Resource type',
  resource_ids: 'Resource ids',
  patient_id: 'Patient id',
  actor_type: 'Actor type',
  actor_id: 'Actor id',
  actor_name: 'Actor',
  actor_roles: 'Actor roles',
  on_behalf_of: 'On behalf of',
  outcome: 'Outcome',
  reason_code: 'Reason code',
  purpose_of_use: 'Purpose of use',
  break_glass: 'Break-glass',
  organization_id: 'Organization id',
  facility_id: 'Facility id',
  session_id: 'Session id',
  client_ip: 'Client IP',
  user_agent: 'User agent',
  source_system: 'Source system',
  request_id: 'Request id',
  query: 'Query',
  details: 'Details',
};

function valueOf(key: string, value: unknown) {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return <span className="muted">—</span>;
  if (key === 'recorded_at' && typeof value === 'string') return `${dateTime(value)} (${value})`;
  if (key === 'actor_roles' && Array.isArray(value)) return value.map((r) => roleName(String(r))).join(', ');
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) return <span className="mono">{value.join(', ')}</span>;
  if (typeof value === 'object') return <pre className="json json--inline">{JSON.stringify(value, null, 2)}</pre>;
  return <span className={/_id$|^id$|^request_id$/.test(key) ? 'mono' : undefined}>{String(value)}</span>;
}

/** One audit event: every field as stored, its place in the sealed log, and the FHIR AuditEvent the export carries. */
export function AuditEventDetail() {
  const { id = '' } = useParams();
  const { may } = useSession();
  const loaded = useApi<{ event: AuditEventView; auditEvent: unknown }>(`/api/audit/events/${encodeURIComponent(id)}`);
  const event = loaded.state === 'ok' ? loaded.data.event : undefined;

  return (
    <Page title={event ? `Event: ${event.action}` : 'Audit event'} actions={<Link to="/privacy/audit">Back to the audit trail</Link>}>
      {loaded.state === 'loading' ? <Loading what="the event" /> : null}
      {loaded.state === 'error' ? <ErrorNotice error={loaded.error} title="The event could not be loaded" /> : null}
      {event && loaded.state === 'ok' ? (
        <>
          <div className="event-head">
            <OutcomePill outcome={event.outcome} />
            {event.break_glass ? <Pill tone="glass">Break-glass</Pill> : null}
            <span>{dateTime(event.recorded_at)}</span>
            <span>{event.actor_name ?? event.actor_type}</span>
          </div>

          <section className={`panel seal ${event.seq ? 'seal--sealed' : 'seal--pending'}`} aria-labelledby="seal-title" data-testid="event-seal">
            <h2 id="seal-title" className="panel__title">
              Place in the sealed log
            </h2>
            {event.seq ? (
              <p>
                Sealed as entry <strong data-testid="event-seq">#{event.seq}</strong> of the hash chain and Merkle tree. A signed checkpoint that covers it proves it
                has not been changed since.
                {may('audit.verify') ? (
                  <>
                    {' '}
                    <a href={`/api/audit/events/${event.id}/proof`}>Inclusion proof (JSON)</a>
                  </>
                ) : null}
              </p>
            ) : (
              <p>Not sealed yet. The sealer seals new events within seconds; reload to see its sequence number.</p>
            )}
          </section>

          <nav className="link-row" aria-label="Related searches">
            {event.patient_id ? (
              <>
                <Link to={`/privacy/audit?patient=${event.patient_id}`}>All events for this patient</Link>
                <Link to={`/privacy/access-report?patient=${event.patient_id}`}>Who has seen this patient’s record</Link>
              </>
            ) : null}
            {event.actor_name || event.actor_id ? <Link to={`/privacy/audit?actor=${encodeURIComponent(event.actor_name ?? event.actor_id ?? '')}`}>All events by this person</Link> : null}
          </nav>

          <section className="panel" aria-labelledby="fields-title">
            <h2 id="fields-title" className="panel__title">
              All fields
            </h2>
            <dl className="facts facts--table" data-testid="event-fields">
              {Object.entries(event).map(([key, value]) => (
                <div key={key}>
                  <dt>{LABELS[key] ?? key}</dt>
                  <dd>{valueOf(key, value)}</dd>
                </div>
              ))}
            </dl>
          </section>

          <section className="panel" aria-labelledby="fhir-title">
            <h2 id="fhir-title" className="panel__title">
              FHIR AuditEvent
            </h2>
            <p className="muted">The same event as FHIR R4 AuditEvent (IHE BALP vocabulary where it fits), exactly as the export and the verifier see it.</p>
            <pre className="json" data-testid="fhir-audit-event" tabIndex={0}>
              {JSON.stringify(loaded.data.auditEvent, null, 2)}
            </pre>
          </section>
        </>
      ) : null}
    </Page>
  );
}
