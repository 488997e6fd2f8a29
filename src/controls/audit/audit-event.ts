import { sql, type Selectable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { fixedStatement } from '../../store/fixed-statement.ts';
import type { AuditEventsTable } from '../../store/schema.ts';
import type { Db, Tx } from '../../store/store.ts';
import type { RequestFacts, Subject } from '../access/subject.ts';

/**
 * One audit event, shaped to map one-to-one onto FHIR AuditEvent (IHE BALP): action code C/R/U/D/E, outcome, the
 * agent (actor, roles, on-behalf-of), the entity (resource type and ids, patient), purpose of use, and where the
 * request came from. Events are written by the code that does the access, inside its transaction.
 */
export type AuditActionCode = 'C' | 'R' | 'U' | 'D' | 'E';
export type AuditOutcome = 'success' | 'denied' | 'error';

export interface AuditEventInput {
  /** Vigil action, e.g. `patient.read`, `auth.login`, `audit.search` (see docs/audit-actions.md). */
  action: string;
  actionCode: AuditActionCode;
  resourceType: string;
  resourceIds?: readonly string[];
  patientId?: string | null;
  outcome: AuditOutcome;
  reasonCode?: string | null;
  breakGlass?: boolean;
  sourceSystem?: string | null;
  /** Search parameters as the caller sent them (the audit trail is a protected store; the app log never sees this). */
  query?: Record<string, unknown> | null;
  details?: Record<string, unknown> | null;
  /** Overrides for events that are not made by the request's subject (e.g. the subject is not yet known at sign-in). */
  actor?: Partial<AuditActor>;
  facilityId?: string | null;
}

export interface AuditActor {
  actorType: 'person' | 'client' | 'system' | 'anonymous';
  actorId: string | null;
  actorName: string | null;
  actorRoles: readonly string[];
  onBehalfOf: string | null;
  organizationId: string | null;
  sessionId: string | null;
}

export function actorOf(subject: Subject | null | undefined): AuditActor {
  if (!subject) return { actorType: 'anonymous', actorId: null, actorName: null, actorRoles: [], onBehalfOf: null, organizationId: null, sessionId: null };
  if (subject.kind === 'client') return { actorType: 'client', actorId: subject.id, actorName: subject.name, actorRoles: [], onBehalfOf: null, organizationId: null, sessionId: null };
  return {
    actorType: 'person',
    actorId: subject.id,
    actorName: subject.username,
    actorRoles: [...subject.roles],
    onBehalfOf: null,
    organizationId: subject.organizationId,
    sessionId: subject.sessionId,
  };
}

export const SYSTEM_FACTS: RequestFacts = { requestId: 'system', clientIp: null, userAgent: null, purposeOfUse: 'TREAT' };

/** An event's row as the insert reads it from JSON (jsonb_to_recordset): every column of audit.events. */
type EventRow = Omit<Selectable<AuditEventsTable>, 'query' | 'details'> & { query: Record<string, unknown> | null; details: Record<string, unknown> | null };

function rowOf(subject: Subject | null | undefined, facts: RequestFacts, event: AuditEventInput, recordedAt: Date): EventRow {
  const actor = { ...actorOf(subject), ...event.actor };
  return {
    id: uuidv7(),
    recorded_at: recordedAt,
    action: event.action,
    action_code: event.actionCode,
    resource_type: event.resourceType,
    resource_ids: [...(event.resourceIds ?? [])],
    patient_id: event.patientId ?? null,
    actor_type: actor.actorType,
    actor_id: actor.actorId,
    actor_name: actor.actorName,
    actor_roles: [...actor.actorRoles],
    on_behalf_of: actor.onBehalfOf,
    outcome: event.outcome,
    reason_code: event.reasonCode ?? null,
    purpose_of_use: facts.purposeOfUse,
    break_glass: event.breakGlass ?? false,
    organization_id: actor.organizationId,
    facility_id: event.facilityId ?? null,
    session_id: actor.sessionId,
    client_ip: facts.clientIp,
    user_agent: facts.userAgent,
    source_system: event.sourceSystem ?? null,
    request_id: facts.requestId,
    query: event.query ?? null,
    details: event.details ?? null,
  };
}

/**
 * The events and their place in the sealing queue, in one statement whose text is the same for any number of events
 * (see fixedStatement): the rows travel as one JSON parameter. Built as a Kysely insert of N rows it was a new text of
 * 25 parameters a row for each N, compiled on every call and prepared once per N on every connection.
 */
const insertEvents = fixedStatement(
  (rowsJson: string) => sql`
    WITH x AS (
      SELECT * FROM jsonb_to_recordset(${rowsJson}::jsonb) AS x(id uuid, recorded_at timestamptz, action text, action_code text,
        resource_type text, resource_ids text[], patient_id uuid, actor_type text, actor_id text, actor_name text, actor_roles text[],
        on_behalf_of text, outcome text, reason_code text, purpose_of_use text, break_glass boolean, organization_id uuid, facility_id uuid,
        session_id uuid, client_ip text, user_agent text, source_system text, request_id text, query jsonb, details jsonb)),
    event AS (
      INSERT INTO audit.events (id, recorded_at, action, action_code, resource_type, resource_ids, patient_id, actor_type, actor_id,
        actor_name, actor_roles, on_behalf_of, outcome, reason_code, purpose_of_use, break_glass, organization_id, facility_id, session_id,
        client_ip, user_agent, source_system, request_id, query, details)
      SELECT id, recorded_at, action, action_code, resource_type, resource_ids, patient_id, actor_type, actor_id,
        actor_name, actor_roles, on_behalf_of, outcome, reason_code, purpose_of_use, break_glass, organization_id, facility_id, session_id,
        client_ip, user_agent, source_system, request_id, query, details FROM x
      RETURNING id, recorded_at)
    INSERT INTO audit.pending (event_id, recorded_at) SELECT id, recorded_at FROM event`,
);

/**
 * Writes events and queues them for sealing, in one statement (one round trip on the request path). Call it with
 * the transaction that reads or writes the data: if the events cannot be written the transaction fails and the data
 * is not returned (no audit, no data).
 */
export async function recordAuditMany(db: Db | Tx, subject: Subject | null | undefined, facts: RequestFacts, events: readonly AuditEventInput[]): Promise<string[]> {
  if (events.length === 0) return [];
  // Millisecond precision, set here: the sealed bytes must be reproducible from the row on either engine.
  const recordedAt = new Date();
  const rows = events.map((event) => rowOf(subject, facts, event, recordedAt));
  await insertEvents(db, JSON.stringify(rows));
  return rows.map((r) => r.id);
}

/** Writes one event in the caller's transaction (see recordAuditMany). */
export async function recordAudit(db: Db | Tx, subject: Subject | null | undefined, facts: RequestFacts, event: AuditEventInput): Promise<string> {
  const [id] = await recordAuditMany(db, subject, facts, [event]);
  return id!;
}
