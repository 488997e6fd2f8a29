import pg from 'pg';
import { selfCpuSeconds } from '../support/cpu.ts';

/**
 * A physical limit for goal 2: what PostgreSQL spends a message on the rows alone. After a drain, every row the
 * workers wrote is in the database; this writes the same rows again into empty copies of their tables (same columns,
 * indexes, unique and check constraints, and foreign keys to the drained tables), in transactions of one batch of
 * messages each, one statement per table per batch: a processor that resolved everything in memory and sent its
 * writes set-based could not send fewer. Rows are split into batches in the order they were written.
 *
 * Updates and deletes are repeated as the drain made them: the inbox rows' state (not in place: `state` is indexed),
 * the facts' new versions (not in place: a new version changes indexed columns), and for other tables the drain's
 * count of updates, in place, and its deletes. The copies have no triggers. Reading the source rows (an index probe
 * per batch and table) is counted in, so the floor is slightly above what the writes alone cost.
 */
export interface RowFloorTable {
  table: string;
  /** Rows a message: inserted, updated and deleted by the drain, written again here. */
  inserted: number;
  updated: number;
  deleted: number;
  /** Wall time of this table's statements, µs a message (one session, so about PostgreSQL's CPU plus a round trip each). */
  wallMicros: number;
}

export interface RowFloor {
  messages: number;
  batches: number;
  batchSize: number;
  seconds: number;
  /** CPU µs a message: PostgreSQL (every process of the cluster) and this client. */
  postgresMicros: number;
  clientMicros: number;
  statementsPerBatch: number;
  /** Wall time of BEGIN and COMMIT (the WAL flush), µs a message. */
  commitMicros: number;
  /** By wall time, highest first. */
  tables: RowFloorTable[];
}

interface TableStat {
  schema: string;
  name: string;
  ins: number;
  upd: number;
  del: number;
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const copyName = (t: TableStat) => quoteIdent(`${t.schema}__${t.name}`);
const original = (t: TableStat) => `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
/** Tables the workers update with a new row version rather than in place, and the change that forces it. */
const NOT_IN_PLACE: Record<string, string> = {
  'public.clinical_facts': 'effective_at = f.effective_at + interval \'1 microsecond\', content_hash = md5(f.content_hash), updated_at = now()',
};

export async function measureRowFloor(url: string, postgresCpuSeconds: () => number, messages: number, batchSize: number): Promise<RowFloor> {
  const client = new pg.Client({ connectionString: url, application_name: 'vigil-gateway-bench-row-floor' });
  await client.connect();
  try {
    const stats = (
      await client.query<{ schema: string; name: string; ins: string; upd: string; del: string }>(
        `SELECT schemaname AS schema, relname AS name, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del
           FROM pg_stat_user_tables
          WHERE schemaname IN ('public', 'audit') AND (n_tup_ins > 0 OR n_tup_upd > 0)
          ORDER BY schemaname, relname`,
      )
    ).rows.map((r): TableStat => ({ schema: r.schema, name: r.name, ins: Number(r.ins), upd: Number(r.upd), del: Number(r.del) }));
    const batches = Math.ceil(messages / batchSize);
    await client.query('DROP SCHEMA IF EXISTS floor_copy CASCADE; DROP SCHEMA IF EXISTS floor_src CASCADE; CREATE SCHEMA floor_copy; CREATE SCHEMA floor_src');

    interface Statement {
      table: string;
      text: string;
    }
    const inserts: Statement[] = [];
    const afterInserts: Statement[] = [];
    for (const t of stats) {
      const key = `${t.schema}.${t.name}`;
      const columns = (
        await client.query<{ column_name: string }>(
          `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND is_generated = 'NEVER' ORDER BY ordinal_position`,
          [t.schema, t.name],
        )
      ).rows.map((r) => quoteIdent(r.column_name));
      const list = columns.join(', ');
      const order = key === 'public.gateway_messages' ? 'processed_at NULLS LAST, id' : 'ctid';
      await client.query(
        `CREATE TABLE floor_src.${copyName(t)} AS SELECT ${list}, (row_number() OVER (ORDER BY ${order}) - 1) * ${batches} / count(*) OVER () AS floor_batch FROM ${original(t)}`,
      );
      await client.query(`CREATE INDEX ON floor_src.${copyName(t)} (floor_batch)`);
      await client.query(`ANALYZE floor_src.${copyName(t)}`);
      await client.query(`CREATE TABLE floor_copy.${copyName(t)} (LIKE ${original(t)} INCLUDING ALL)`);
      const fks = (
        await client.query<{ def: string }>(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'`, [original(t)])
      ).rows;
      for (const fk of fks) await client.query(`ALTER TABLE floor_copy.${copyName(t)} ADD ${fk.def}`);
      const hasId = columns.includes('"id"');

      if (t.ins === 0) {
        // Rows that were there before the drain (the inbox): copied unchanged, then updated as the drain updated them.
        await client.query(`INSERT INTO floor_copy.${copyName(t)} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM floor_src.${copyName(t)}`);
        if (key === 'public.gateway_messages') {
          await client.query(`UPDATE floor_copy.${copyName(t)} SET state = 'received', processed_at = NULL`);
          afterInserts.push({
            table: key,
            text: `UPDATE floor_copy.${copyName(t)} g SET state = s.state, processed_at = s.processed_at, attempts = s.attempts, next_attempt_at = s.next_attempt_at
               FROM floor_src.${copyName(t)} s WHERE s.floor_batch = $1 AND g.id = s.id`,
          });
        }
        continue;
      }
      inserts.push({ table: key, text: `INSERT INTO floor_copy.${copyName(t)} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM floor_src.${copyName(t)} WHERE floor_batch = $1` });
      if (t.upd > 0 && hasId) {
        const perBatch = Math.max(1, Math.round(t.upd / batches));
        const change = NOT_IN_PLACE[key] ?? 'id = f.id';
        // The rows updated are the batch's own and those of the batches just before (a patient seen again).
        afterInserts.push({
          table: key,
          text: `UPDATE floor_copy.${copyName(t)} f SET ${change}
             WHERE f.id IN (SELECT id FROM floor_src.${copyName(t)} WHERE floor_batch BETWEEN $1 - 8 AND $1 ORDER BY floor_batch DESC, id LIMIT ${perBatch})`,
        });
      }
      if (t.del > 0) {
        const perBatch = Math.max(1, Math.round(t.del / batches));
        const id = hasId ? 'id' : columns[0]!;
        afterInserts.push({ table: key, text: `DELETE FROM floor_copy.${copyName(t)} WHERE ${id} IN (SELECT ${id} FROM floor_src.${copyName(t)} WHERE floor_batch = $1 LIMIT ${perBatch})` });
      }
    }
    await client.query('CHECKPOINT');
    // The copies start empty and grow faster than statistics follow: without this, an update by key may be planned as
    // a scan of the whole copy, which no processor would send. The workers' own statements probe by key.
    await client.query('SET enable_seqscan = off; SET enable_hashjoin = off; SET enable_mergejoin = off');

    const statements = [...inserts, ...afterInserts];
    const pgBefore = postgresCpuSeconds();
    const selfBefore = selfCpuSeconds();
    const started = performance.now();
    const spent = statements.map(() => 0);
    let commits = 0;
    for (let b = 0; b < batches; b++) {
      let t0 = performance.now();
      await client.query('BEGIN');
      commits += performance.now() - t0;
      for (let i = 0; i < statements.length; i++) {
        t0 = performance.now();
        await client.query({ name: `floor_${i}`, text: statements[i]!.text, values: [b] });
        spent[i]! += performance.now() - t0;
      }
      t0 = performance.now();
      await client.query('COMMIT');
      commits += performance.now() - t0;
    }
    const seconds = (performance.now() - started) / 1000;
    const postgresMicros = ((postgresCpuSeconds() - pgBefore) * 1e6) / messages;
    const clientMicros = ((selfCpuSeconds() - selfBefore) * 1e6) / messages;
    return {
      messages,
      batches,
      batchSize,
      seconds,
      postgresMicros,
      clientMicros,
      statementsPerBatch: statements.length + 2,
      commitMicros: (commits * 1000) / messages,
      tables: stats
        .map((t) => {
          const table = `${t.schema}.${t.name}`;
          const wallMs = statements.reduce((sum, st, i) => (st.table === table ? sum + spent[i]! : sum), 0);
          return { table, inserted: t.ins / messages, updated: t.upd / messages, deleted: t.del / messages, wallMicros: (wallMs * 1000) / messages };
        })
        .filter((t) => t.wallMicros > 0)
        .sort((a, b) => b.wallMicros - a.wallMicros),
    };
  } finally {
    await client.query('DROP SCHEMA IF EXISTS floor_copy CASCADE; DROP SCHEMA IF EXISTS floor_src CASCADE').catch(() => undefined);
    await client.end();
  }
}
