import type { Insertable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
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

function rowOf(subject: Subject | null | undefined, facts: RequestFacts, event: AuditEventInput, recordedAt: Date): Insertable<AuditEventsTable> {
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
    query: event.query ? JSON.stringify(event.query) : null,
    details: event.details ? JSON.stringify(event.details) : null,
  };
}

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
  await db
    .with('event', (qb) => qb.insertInto('audit.events').values(rows).returning(['id', 'recorded_at']))
    .insertInto('audit.pending')
    .columns(['event_id', 'recorded_at'])
    .expression((eb) => eb.selectFrom('event').select(['event.id', 'event.recorded_at']))
    .execute();
  return rows.map((r) => r.id);
}

/** Writes one event in the caller's transaction (see recordAuditMany). */
export async function recordAudit(db: Db | Tx, subject: Subject | null | undefined, facts: RequestFacts, event: AuditEventInput): Promise<string> {
  const [id] = await recordAuditMany(db, subject, facts, [event]);
  return id!;
}
