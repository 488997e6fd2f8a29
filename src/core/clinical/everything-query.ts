import { sql } from 'kysely';
import type { Tx } from '../../store/store.ts';
import { statusCondition, type Visibility } from './result-visibility.ts';

/**
 * Everything in one patient's chart as one ordered sequence (encounters, then facts by kind, newest first), counted
 * and paged in SQL with the same visibility as any other read.
 */
export interface EverythingEntry {
  table: 'encounter' | 'fact';
  id: string;
}

const KIND_ORDER = ['condition', 'allergy', 'medication-request', 'medication-statement', 'medication-administration', 'medication-dispense', 'diagnostic-report', 'observation', 'document'];

export async function pageEverything(trx: Tx, patientId: string, visibility: Visibility, count: number, offset: number): Promise<{ total: number; entries: EverythingEntry[] }> {
  const everything = sql`
    select 'encounter' as source_table, e.id, 0 as rank, e.starts_at as at from encounters e where e.patient_id = ${patientId}::uuid
    union all
    select 'fact', f.id, 1 + coalesce(array_position(${KIND_ORDER}::text[], f.kind), 99), f.effective_at
      from clinical_facts f where f.patient_id = ${patientId}::uuid and ${statusCondition(visibility, sql`f.kind`, sql`f.status`)}`;
  const totalRow = await sql<{ total: number }>`select count(*)::int as total from (${everything}) a`.execute(trx);
  const total = totalRow.rows[0]?.total ?? 0;
  if (count === 0 || offset >= total) return { total, entries: [] };
  const rows = await sql<{ source_table: 'encounter' | 'fact'; id: string }>`
    select source_table, id from (${everything}) a order by rank, at desc nulls last, id desc limit ${count} offset ${offset}`.execute(trx);
  return { total, entries: rows.rows.map((r) => ({ table: r.source_table, id: r.id })) };
}
