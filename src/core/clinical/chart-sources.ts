import { sql } from 'kysely';
import type { Tx } from '../../store/store.ts';

/** What stands behind one patient's chart: which sources hold which identifiers, and which of their feeds are stale. */
export interface IdentifierSource {
  sourceId: string;
  sourceName: string;
  /** The source itself merged this record into another (ADT A40): the identifier is history, kept for tracing. */
  retired: boolean;
}

export interface ChartIdentifier {
  system: string;
  value: string;
  /** Empty for identifiers entered in Vigil's directory rather than received. */
  sources: IdentifierSource[];
}

export interface StaleFeed {
  sourceId: string;
  sourceName: string;
  staleSince: string;
  lastMessageAt: string | null;
}

interface IdentifierRow {
  system: string;
  value: string;
  source_id: string | null;
  source_name: string | null;
  retired: boolean;
}

export async function identifiersWithSources(trx: Tx, patientId: string): Promise<ChartIdentifier[]> {
  const rows = await sql<IdentifierRow>`
    select i.system, i.value, r.source_id, s.name as source_name, (r.retired_into is not null) as retired
      from patient_record_identifiers i join patient_records r on r.id = i.record_id join gateway_sources s on s.id = r.source_id
     where r.patient_id = ${patientId}::uuid
    union all
    select pi.system, pi.value, null, null, false from patient_identifiers pi where pi.patient_id = ${patientId}::uuid and pi.record_id is null
    order by 1, 2, 4`.execute(trx);
  const out = new Map<string, ChartIdentifier>();
  for (const r of rows.rows) {
    const key = `${r.system}|${r.value}`;
    const entry = out.get(key) ?? { system: r.system, value: r.value, sources: [] };
    if (r.source_id && r.source_name && !entry.sources.some((s) => s.sourceId === r.source_id)) entry.sources.push({ sourceId: r.source_id, sourceName: r.source_name, retired: r.retired });
    out.set(key, entry);
  }
  return [...out.values()];
}

/** Feeds that sent anything about this patient (records, facts, encounters) and are stale now. */
export async function staleFeeds(trx: Tx, patientId: string): Promise<StaleFeed[]> {
  const rows = await sql<{ source_id: string; name: string; stale_since: Date; last_message_at: Date | null }>`
    select s.id as source_id, s.name, fd.stale_since, fd.last_message_at
      from gateway_feeds fd join gateway_sources s on s.id = fd.source_id
     where fd.stale_since is not null and fd.source_id in (
       select source_id from patient_records where patient_id = ${patientId}::uuid
       union select source_id from clinical_facts where patient_id = ${patientId}::uuid and source_id is not null
       union select source_id from encounters where patient_id = ${patientId}::uuid and source_id is not null)
     order by s.name`.execute(trx);
  return rows.rows.map((r) => ({ sourceId: r.source_id, sourceName: r.name, staleSince: r.stale_since.toISOString(), lastMessageAt: r.last_message_at?.toISOString() ?? null }));
}
