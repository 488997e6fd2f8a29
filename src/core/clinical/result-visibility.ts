import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { clientMayDo, decide, reachesFor, type PatientRelation } from '../../controls/access/pdp.ts';
import { SECURITY_LABELS, type Action } from '../../controls/access/policy.ts';
import { patientRowFilter } from '../../controls/access/relations.ts';
import type { Subject } from '../../controls/access/subject.ts';

/**
 * Which facts a caller may see besides the chart itself. Results (observations and reports) are disclosed per status:
 * a preliminary result is a different disclosure from a final one. Every rule here becomes a SQL condition, so facts
 * a caller may not see are never read, counted or paged.
 */
export type ResultAction = 'result.view-preliminary' | 'result.view-final' | 'result.view-corrected';
export const RESULT_ACTIONS: readonly ResultAction[] = ['result.view-preliminary', 'result.view-final', 'result.view-corrected'];
export const RESULT_KINDS: readonly string[] = ['observation', 'diagnostic-report'];

const FINAL_STATUSES = ['final', 'amended', 'appended'];
const CORRECTED_STATUSES = ['corrected'];
const SETTLED_STATUSES = [...FINAL_STATUSES, ...CORRECTED_STATUSES];

/**
 * Anything not final, amended or corrected is treated as preliminary: registered, partial, cancelled, retracted
 * (entered-in-error) and unknown results were never verified, so they need the most trusted disclosure.
 */
export function resultActionFor(status: string): ResultAction {
  if (FINAL_STATUSES.includes(status)) return 'result.view-final';
  if (CORRECTED_STATUSES.includes(status)) return 'result.view-corrected';
  return 'result.view-preliminary';
}

export function isResultKind(kind: string): boolean {
  return RESULT_KINDS.includes(kind);
}

/**
 * Per result action: `true` (always, wherever the chart is visible), a SQL condition over the patient `p` (only for
 * those patients), or null (never). And the security labels the reader opens on a fact: a fact whose source labelled
 * it (a restricted document) is seen only by a reader who opens every one of its labels, as a label on the patient
 * closes the chart; null when labels close nothing to this reader.
 */
export type Visibility = Record<ResultAction, true | RawBuilder<SqlBool> | null> & { openedLabels: readonly string[] | null };

/** For one patient whose relation is loaded: the decision point rules on each action with the same facts. */
export function visibilityFor(subject: Subject, relation: PatientRelation): Visibility {
  const out = { openedLabels: labelsOpenedBy(subject) } as Visibility;
  for (const action of RESULT_ACTIONS) out[action] = decide({ subject, action, patient: relation }).permit ? true : null;
  return out;
}

/** Across patients: an action whose grant reaches as far as chart.read adds nothing; otherwise its own row filter. */
export function crossPatientVisibility(subject: Subject): Visibility {
  const out = { openedLabels: labelsOpenedBy(subject) } as Visibility;
  for (const action of RESULT_ACTIONS) out[action] = crossPatientGate(subject, action);
  return out;
}

/**
 * The labels `subject`'s roles open, or null when labels close nothing to it: clients and organization-wide compliance
 * work, as the decision point rules for a label on the patient (pdp.ts).
 */
export function labelsOpenedBy(subject: Subject): readonly string[] | null {
  if (subject.kind === 'client' || reachesFor(subject.roles, 'chart.read').has('organization')) return null;
  return Object.entries(SECURITY_LABELS)
    .filter(([, spec]) => (spec.roles as readonly string[]).some((r) => subject.roles.includes(r)))
    .map(([label]) => label);
}

function crossPatientGate(subject: Subject, action: Action): true | RawBuilder<SqlBool> | null {
  if (subject.kind === 'client') return clientMayDo(subject.scopes, action) ? true : null;
  const own = reachesFor(subject.roles, action);
  if (own.size === 0) return null;
  const chart = reachesFor(subject.roles, 'chart.read');
  if (own.size === chart.size && [...own].every((r) => chart.has(r))) return true;
  return patientRowFilter(subject, action);
}

export function withheldActions(visibility: Visibility): ResultAction[] {
  return RESULT_ACTIONS.filter((a) => visibility[a] === null);
}

/**
 * SQL: the fact is visible under `visibility`: its result status is disclosed to the reader, and the reader opens every
 * label its source put on it. `alias` names the relation holding the fact's `kind`, `status` and `security_labels`.
 */
export function factVisibility(visibility: Visibility, alias: string): RawBuilder<SqlBool> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  const status = statusCondition(visibility, column('kind'), column('status'));
  if (visibility.openedLabels === null) return status;
  return sql<SqlBool>`(${status} and ${column('security_labels')} <@ ${[...visibility.openedLabels]}::text[])`;
}

/** SQL: the fact's result status (kind and status given as column references) is disclosed under `visibility`. */
function statusCondition(visibility: Visibility, kind: RawBuilder<unknown>, status: RawBuilder<unknown>): RawBuilder<SqlBool> {
  const gates = RESULT_ACTIONS.map((a) => visibility[a]);
  if (gates.every((g) => g === true)) return sql<SqlBool>`true`;
  const parts: RawBuilder<SqlBool>[] = [];
  const add = (statusMatch: RawBuilder<SqlBool>, gate: true | RawBuilder<SqlBool> | null) => {
    if (gate === true) parts.push(statusMatch);
    else if (gate) parts.push(sql<SqlBool>`(${statusMatch} and ${gate})`);
  };
  add(sql<SqlBool>`${status} = any(${FINAL_STATUSES}::text[])`, visibility['result.view-final']);
  add(sql<SqlBool>`${status} = any(${CORRECTED_STATUSES}::text[])`, visibility['result.view-corrected']);
  add(sql<SqlBool>`not (${status} = any(${SETTLED_STATUSES}::text[]))`, visibility['result.view-preliminary']);
  const results = parts.length > 0 ? sql.join(parts, sql` or `) : sql`false`;
  return sql<SqlBool>`(not (${kind} = any(${[...RESULT_KINDS]}::text[])) or ${results})`;
}

/**
 * SQL over `patients p`: the patients whose chart `subject` may open, security labels included (unlike the patient
 * row filter, which serves identity fields that labels do not close). Null when the subject reaches no chart at all.
 */
export function chartRowFilter(subject: Subject): RawBuilder<SqlBool> | null {
  const reach = patientRowFilter(subject, 'chart.read');
  if (!reach) return null;
  const opened = labelsOpenedBy(subject);
  if (opened === null) return reach;
  return sql<SqlBool>`(${reach} and p.security_labels <@ ${[...opened]}::text[])`;
}
