import { sql } from 'kysely';
import type { Tx } from '../../store/store.ts';
import { FACT_COLUMNS, FACT_JOINS, toStoredFact, type FactRow } from './fact-query.ts';
import { factVisibility, type Visibility } from './result-visibility.ts';
import type { FactLinks, StoredFact } from './stored-fact.ts';

/**
 * Facts refer to each other by source key within their source (an observation names its report, an administration
 * its order). Links are resolved for the same patient only, and under the same visibility as the facts: a report
 * lists only the observations the caller may see.
 */
const key = (patientId: string, sourceId: string | null, sourceKey: string) => `${patientId} ${sourceId ?? ''} ${sourceKey}`;

export async function loadLinks(trx: Tx, facts: readonly StoredFact[], visibility: Visibility): Promise<Map<string, FactLinks>> {
  const links = new Map<string, FactLinks>();
  const reports = facts.filter((f) => f.kind === 'diagnostic-report' && f.sourceId);
  const fulfilments = facts.filter((f) => (f.kind === 'medication-administration' || f.kind === 'medication-dispense') && f.sourceId && typeof f.body['orderKey'] === 'string');
  const patients = [...new Set([...reports, ...fulfilments].map((f) => f.patientId))];
  const sources = [...new Set([...reports, ...fulfilments].map((f) => f.sourceId!))];

  if (reports.length > 0) {
    const rows = await sql<{ id: string; patient_id: string; source_id: string; report_key: string }>`
      select f.id, f.patient_id, f.source_id, f.report_key
      from clinical_facts f join patients p on p.id = f.patient_id
      where f.kind = 'observation' and f.patient_id = any(${patients}::uuid[]) and f.source_id = any(${sources}::uuid[])
        and f.report_key = any(${reports.map((r) => r.sourceKey)}::text[])
        and ${factVisibility(visibility, 'f')}
      order by f.source_key`.execute(trx);
    const byReport = new Map<string, string[]>();
    for (const r of rows.rows) {
      const k = key(r.patient_id, r.source_id, r.report_key);
      byReport.set(k, [...(byReport.get(k) ?? []), r.id]);
    }
    for (const report of reports) links.set(report.id, { results: byReport.get(key(report.patientId, report.sourceId, report.sourceKey)) ?? [] });
  }

  if (fulfilments.length > 0) {
    const rows = await sql<{ id: string; patient_id: string; source_id: string; source_key: string }>`
      select f.id, f.patient_id, f.source_id, f.source_key from clinical_facts f
      where f.kind = 'medication-request' and f.patient_id = any(${patients}::uuid[]) and f.source_id = any(${sources}::uuid[])
        and f.source_key = any(${fulfilments.map((f) => f.body['orderKey'] as string)}::text[])`.execute(trx);
    const byKey = new Map(rows.rows.map((r) => [key(r.patient_id, r.source_id, r.source_key), r.id]));
    for (const f of fulfilments) {
      const requestId = byKey.get(key(f.patientId, f.sourceId, f.body['orderKey'] as string));
      if (requestId) links.set(f.id, { requestId });
    }
  }
  return links;
}

/**
 * The chart's reports with their observations, read whole in one statement (index `clinical_facts_observation_report`), under
 * the same visibility as the reports: report id → its observations the caller may see, by source key.
 */
export async function reportObservations(trx: Tx, patientId: string, reports: readonly StoredFact[], visibility: Visibility): Promise<Map<string, StoredFact[]>> {
  const out = new Map<string, StoredFact[]>(reports.map((r) => [r.id, []]));
  const keyed = reports.filter((r) => r.sourceId);
  if (keyed.length === 0) return out;
  const rows = await sql<FactRow & { report_key: string }>`
    select ${FACT_COLUMNS}, f.report_key
    from clinical_facts f ${FACT_JOINS}
    where f.patient_id = ${patientId}::uuid and f.kind = 'observation'
      and f.source_id = any(${[...new Set(keyed.map((r) => r.sourceId!))]}::uuid[])
      and f.report_key = any(${[...new Set(keyed.map((r) => r.sourceKey))]}::text[])
      and ${factVisibility(visibility, 'f')}
    order by f.source_key`.execute(trx);
  const reportOf = new Map(keyed.map((r) => [key(r.patientId, r.sourceId, r.sourceKey), r.id]));
  for (const row of rows.rows) {
    const reportId = reportOf.get(key(row.patient_id, row.source_id, row.report_key));
    if (reportId) out.get(reportId)!.push(toStoredFact(row));
  }
  return out;
}
