import { decide, type Decision, type PatientRelation } from '../../controls/access/pdp.ts';
import { loadPatientRelation } from '../../controls/access/relations.ts';
import type { RequestFacts, Subject } from '../../controls/access/subject.ts';
import { recordAudit, type AuditEventInput } from '../../controls/audit/audit-event.ts';
import { NotFoundError } from '../../errors.ts';
import type { Store, Tx } from '../../store/store.ts';
import { DeniedAccess } from '../patients/patient-service.ts';
import { isResultKind, resultActionFor, visibilityFor, type ResultAction, type Visibility } from './result-visibility.ts';

/**
 * Asking the decision point about one patient's chart: the relation is loaded once in the caller's transaction and
 * every action (chart.read, each result status) is decided over it. A refusal is a DeniedAccess carrying its audit
 * event, written by `auditedRefusals` after the read's transaction has rolled back.
 */
export interface ChartAccess {
  patientId: string;
  relation: PatientRelation;
  decision: Decision;
  visibility: Visibility;
}

/** What a refusal names: the resource asked for, not the patient behind it (an unknown id reveals nothing). */
export interface Target {
  resourceType: string;
  id: string;
}

function noRelation(id: string): PatientRelation {
  return { patientId: id, exists: false, securityLabels: [], facilityIds: [], activeEncounterFacilityIds: [], inCare: false, coverage: 'none', breakGlass: null };
}

function refusal(action: string, reason: string, target: Target, patientId: string | null): DeniedAccess {
  return new DeniedAccess(reason, {
    action,
    actionCode: 'R',
    resourceType: target.resourceType,
    resourceIds: [target.id.slice(0, 64)],
    patientId,
    outcome: 'denied',
    reasonCode: reason,
  });
}

/**
 * `patientId` null: the resource asked for does not exist. The decision is asked anyway, so a caller who could not
 * see the patient gets the same 403 for a missing id as for a forbidden one; only a caller who could see any patient
 * (revealsExistence) is told 404.
 */
export async function authorizeChart(trx: Tx, subject: Subject, patientId: string | null, target: Target): Promise<ChartAccess> {
  const relation = patientId ? await loadPatientRelation(trx, subject, patientId) : noRelation(target.id);
  const decision = decide({ subject, action: 'chart.read', patient: relation });
  if (!decision.permit) throw refusal('chart.read', decision.reason, target, relation.exists ? patientId : null);
  if (!relation.exists || !patientId) throw new NotFoundError('No resource of this type has this id.');
  return { patientId, relation, decision, visibility: visibilityFor(subject, relation) };
}

/** A result's status needs its own action; the refusal carries the decision point's reason for that action. */
function requireResultAction(access: ChartAccess, subject: Subject, status: string, target: Target): ResultAction {
  const action = resultActionFor(status);
  if (access.visibility[action] === null) {
    const reason = decide({ subject, action, patient: access.relation }).reason;
    throw refusal(action, reason, target, access.patientId);
  }
  return action;
}

/**
 * The action reading one fact is, once the caller may read it: a fact its source labelled (a restricted document) only
 * by a caller who opens every one of its labels (refused as the decision point refuses a label on the patient), and a
 * result only under the action of its status (see requireResultAction). Both are checked again in the read's SQL
 * (factVisibility), since the fact may change after this header was read.
 */
export function requireFactRead(access: ChartAccess, subject: Subject, fact: { kind: string; status: string; labels: readonly string[] }, target: Target): ResultAction | 'chart.read' {
  const opened = access.visibility.openedLabels;
  if (opened !== null && fact.labels.some((l) => !opened.includes(l))) throw refusal('chart.read', 'deny-sensitive-label', target, access.patientId);
  return isResultKind(fact.kind) ? requireResultAction(access, subject, fact.status, target) : 'chart.read';
}

/** An access that only break-glass allowed is emergency treatment, whatever the caller declared. */
export function factsFor(facts: RequestFacts, decision: Decision): RequestFacts {
  return decision.breakGlass ? { ...facts, purposeOfUse: 'ETREAT' } : facts;
}

/** The success event of one read of one patient's data. */
export function readEvent(access: ChartAccess, action: string, resourceType: string, resourceIds: readonly string[], details?: Record<string, unknown>): AuditEventInput {
  return {
    action,
    actionCode: 'R',
    resourceType,
    resourceIds,
    patientId: access.patientId,
    outcome: 'success',
    reasonCode: access.decision.reason,
    breakGlass: access.decision.breakGlass,
    ...(details ? { details } : {}),
  };
}

export async function recordRead(trx: Tx, subject: Subject, facts: RequestFacts, access: ChartAccess, event: AuditEventInput): Promise<void> {
  await recordAudit(trx, subject, factsFor(facts, access.decision), event);
}

/** Runs `fn`; a refusal is recorded in a transaction of its own (the read's has rolled back) and rethrown. */
export async function auditedRefusals<T>(store: Store, subject: Subject, facts: RequestFacts, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DeniedAccess) await store.tx((trx) => recordAudit(trx, subject, facts, err.event));
    throw err;
  }
}
