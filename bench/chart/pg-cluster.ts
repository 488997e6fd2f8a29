import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../test/support/free-port.ts';
import { initClusterFolder } from '../../test/support/pg-cluster.ts';

/**
 * The chart bench's own PostgreSQL cluster: initdb into a temporary folder, a free port on 127.0.0.1, the server's
 * default settings (fsync and synchronous_commit on, so the audit event's commit costs what it costs in production),
 * and gone again at the end. Debian's server binaries are run as the `postgres` user when the bench runs as root,
 * because initdb refuses root.
 */
export interface ChartCluster {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  /** URL of the bench database (created by startChartCluster). */
  url: string;
  version: string;
  /** The settings that decide what a commit and a read cost, as the running server reports them. */
  settings: string;
  /** Process id of the postmaster: the root of the server's process tree, for CPU accounting. */
  postmasterPid: number;
  /** Stops the server (immediate) and removes its folder. Synchronous, idempotent: safe from exit and signal paths. */
  destroy(): void;
}

export const BENCH_DATABASE = 'vigil_chart_bench';

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'vigil-chart-bench', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

export interface ClusterOptions {
  /** Load pg_stat_statements (with planning time) and create it in the bench database: `--pg-statements`. */
  statements?: boolean;
}

export async function startChartCluster(options: ClusterOptions = {}): Promise<ChartCluster> {
  const { root, dataDir: data, run: tool } = initClusterFolder('vigil-chart-pg-');
  let gone = false;
  const destroy = () => {
    if (gone) return;
    gone = true;
    try {
      tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '20', 'stop']);
    } catch {
      // never started, or already stopped
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const tracking = options.statements ? ' -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on' : '';
    tool('pg_ctl', ['-D', data, '-l', join(root, 'server.log'), '-w', '-t', '30', '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${root}${tracking}`, 'start']);
    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await query(adminUrl, `CREATE DATABASE ${BENCH_DATABASE}`);
    if (options.statements) await query(`postgres://postgres@127.0.0.1:${port}/${BENCH_DATABASE}`, 'CREATE EXTENSION pg_stat_statements');
    const [{ version }] = (await query<{ version: string }>(adminUrl, 'SELECT version() AS version')) as [{ version: string }];
    const settings = await query<{ name: string; setting: string }>(
      adminUrl,
      `SELECT name, current_setting(name) AS setting FROM pg_settings
        WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'shared_buffers', 'work_mem', 'jit') ORDER BY name`,
    );
    return {
      adminUrl,
      url: `postgres://postgres@127.0.0.1:${port}/${BENCH_DATABASE}`,
      version: version.split(' on ')[0] ?? version,
      settings: settings.map((s) => `${s.name}=${s.setting}`).join(', '),
      postmasterPid: Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
      destroy,
    };
  } catch (err) {
    destroy();
    throw err;
  }
}

/** Runs one statement as the superuser against the bench database (VACUUM cannot run inside Kysely's transactions). */
export async function benchStatement(url: string, text: string): Promise<void> {
  await query(url, text);
}

/** Forgets the statement statistics gathered so far (`--pg-statements`). */
export async function resetStatements(url: string): Promise<void> {
  await query(url, 'SELECT pg_stat_statements_reset()');
}

/**
 * Prints the statements run against the bench database since the last reset, per request: calls, rows, and the
 * server's planning and execution time (COMMIT's includes its WAL flush). Statement texts carry placeholders for every
 * value, so nothing printed is data.
 */
export async function printStatements(url: string, requests: number, label: string): Promise<void> {
  const rows = await query<{ calls: string; rows: string; exec_ms: number; plan_ms: number; text: string }>(
    url,
    `SELECT s.calls, s.rows, s.total_exec_time AS exec_ms, s.total_plan_time AS plan_ms, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 120) AS text
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE d.datname = current_database() AND s.query NOT ILIKE '%pg_stat_statements%'
      ORDER BY s.total_exec_time + s.total_plan_time DESC`,
  );
  const per = (v: number) => (v / requests).toFixed(2).padStart(7);
  const exec = rows.reduce((a, r) => a + r.exec_ms, 0);
  const plan = rows.reduce((a, r) => a + r.plan_ms, 0);
  console.log(`  ${label}: server time per request: execute ${per(exec)} ms, plan ${per(plan)} ms; ${(rows.reduce((a, r) => a + Number(r.calls), 0) / requests).toFixed(1)} statements per request`);
  console.log(`      calls/req  rows/req  exec ms/req  plan ms/req  statement`);
  for (const r of rows.slice(0, 20)) {
    console.log(`      ${per(Number(r.calls))}  ${per(Number(r.rows))}  ${per(r.exec_ms)}      ${per(r.plan_ms)}      ${r.text}`);
  }
}
