import { sql } from 'kysely';
import type { Tx } from '../../store/store.ts';
import type { Position } from './chart-cursor.ts';
import { FACT_SORT_KEY } from './fact-query.ts';
import { factVisibility, type Visibility } from './result-visibility.ts';

/**
 * Everything in one patient's chart as one ordered sequence (encounters, then facts by kind, each newest first),
 * counted and paged in SQL with the same visibility as any other read. Pages are keyset pages: the cursor is the
 * (part, time, id) of the last entry sent, and each part is read from its index with a LIMIT, so a late page costs
 * what the first does.
 */
export interface EverythingEntry {
  table: 'encounter' | 'fact';
  id: string;
}

/** Part 0 is the encounters; part i > 0 the facts of KIND_ORDER[i - 1]. */
const KIND_ORDER = ['condition', 'allergy', 'medication-request', 'medication-statement', 'medication-administration', 'medication-dispense', 'diagnostic-report', 'observation', 'document'];
const ENCOUNTER_KEY = sql`coalesce(e.starts_at, '-infinity'::timestamptz)`;

export async function countEverything(trx: Tx, patientId: string, visibility: Visibility): Promise<number> {
  const row = await sql<{ total: number }>`
    select (select count(*) from encounters e where e.patient_id = ${patientId}::uuid)::int
      + (select count(*) from clinical_facts f where f.patient_id = ${patientId}::uuid and ${factVisibility(visibility, 'f')})::int as total`.execute(trx);
  return row.rows[0]?.total ?? 0;
}

export async function pageEverything(trx: Tx, patientId: string, visibility: Visibility, count: number, after?: Position): Promise<{ entries: EverythingEntry[]; last: Position | null }> {
  if (count === 0) return { entries: [], last: null };
  const from = after?.rank ?? 0;
  const beyond = (rank: number, key: ReturnType<typeof sql>, id: ReturnType<typeof sql>) =>
    after && rank === after.rank ? sql`and (${key}, ${id}) < (${after.at}::timestamptz, ${after.id}::uuid)` : sql``;
  const parts = [];
  if (from === 0) {
    parts.push(sql`(select 'encounter' as source_table, e.id, 0 as rank, ${ENCOUNTER_KEY} as at from encounters e
      where e.patient_id = ${patientId}::uuid ${beyond(0, ENCOUNTER_KEY, sql`e.id`)}
      order by ${ENCOUNTER_KEY} desc, e.id desc limit ${count + 1})`);
  }
  KIND_ORDER.forEach((kind, i) => {
    const rank = i + 1;
    if (rank < from) return;
    parts.push(sql`(select 'fact' as source_table, f.id, ${rank}::int as rank, ${FACT_SORT_KEY} as at from clinical_facts f
      where f.patient_id = ${patientId}::uuid and f.kind = ${kind} and ${factVisibility(visibility, 'f')} ${beyond(rank, FACT_SORT_KEY, sql`f.id`)}
      order by ${FACT_SORT_KEY} desc, f.id desc limit ${count + 1})`);
  });
  const rows = await sql<{ source_table: 'encounter' | 'fact'; id: string; rank: number; at: string }>`
    select source_table, id, rank, at::text as at from (${sql.join(parts, sql` union all `)}) a
    order by rank, a.at desc, id desc limit ${count + 1}`.execute(trx);
  const page = rows.rows.slice(0, count);
  const lastRow = rows.rows.length > count ? page[page.length - 1] : undefined;
  return {
    entries: page.map((r) => ({ table: r.source_table, id: r.id })),
    last: lastRow ? { rank: lastRow.rank, at: lastRow.at, id: lastRow.id } : null,
  };
}
