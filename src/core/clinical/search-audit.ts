import { decide } from '../../controls/access/pdp.ts';
import { loadPatientRelation } from '../../controls/access/relations.ts';
import type { RequestFacts, Subject } from '../../controls/access/subject.ts';
import { recordAuditMany, type AuditEventInput } from '../../controls/audit/audit-event.ts';
import type { Tx } from '../../store/store.ts';
import type { ChartAccess } from './chart-access.ts';

/**
 * The audit events of one search, like patient search writes them: the search itself (E, with its parameters and
 * counts), and one read (R) per patient shown, naming the resources of theirs on the page, so the privacy officer's
 * access report lists every patient whose data left. A patient reached only through break-glass is flagged and
 * recorded as emergency treatment.
 */
export interface SearchShown {
  patientId: string;
  resourceIds: string[];
}

export async function recordSearch(
  trx: Tx,
  subject: Subject,
  facts: RequestFacts,
  search: { resourceType: string; query: Record<string, unknown>; total: number; shown: readonly SearchShown[]; single?: ChartAccess },
): Promise<void> {
  const hits: AuditEventInput[] = [];
  const emergencyHits: AuditEventInput[] = [];
  for (const shown of search.shown) {
    // The SQL filter let these patients through; the decision point says how (care, coverage, break-glass).
    const decision = search.single?.patientId === shown.patientId ? search.single.decision : decide({ subject, action: 'chart.read', patient: await loadPatientRelation(trx, subject, shown.patientId) });
    const event: AuditEventInput = {
      action: 'chart.search-hit',
      actionCode: 'R',
      resourceType: search.resourceType,
      resourceIds: shown.resourceIds,
      patientId: shown.patientId,
      outcome: 'success',
      reasonCode: decision.reason,
      breakGlass: decision.breakGlass,
    };
    (decision.breakGlass ? emergencyHits : hits).push(event);
  }
  const searchEvent: AuditEventInput = {
    action: 'chart.search',
    actionCode: 'E',
    resourceType: search.resourceType,
    resourceIds: search.shown.flatMap((s) => s.resourceIds),
    ...(search.single ? { patientId: search.single.patientId, breakGlass: search.single.decision.breakGlass } : {}),
    outcome: 'success',
    query: search.query,
    details: { total: search.total, returned: search.shown.reduce((n, s) => n + s.resourceIds.length, 0), patients: search.shown.length },
  };
  await recordAuditMany(trx, subject, facts, [searchEvent, ...hits]);
  if (emergencyHits.length) await recordAuditMany(trx, subject, { ...facts, purposeOfUse: 'ETREAT' }, emergencyHits);
}

/** Groups a page's resources by patient, in the order patients first appear. */
export function shownByPatient(resources: readonly { id: string; patientId: string }[]): SearchShown[] {
  const out = new Map<string, string[]>();
  for (const r of resources) out.set(r.patientId, [...(out.get(r.patientId) ?? []), r.id]);
  return [...out].map(([patientId, resourceIds]) => ({ patientId, resourceIds }));
}
