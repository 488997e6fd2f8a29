import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { databaseUrlFor } from '../../src/store/store.ts';
import { freePort } from '../../test/support/free-port.ts';
import { initClusterFolder } from '../../test/support/pg-cluster.ts';
import { treeCpuByKind, treeCpuSeconds } from '../support/cpu.ts';

/**
 * A PostgreSQL cluster made for one gateway bench run and destroyed after it. Unlike the test suite's cluster
 * (test/support/pg-cluster.ts, fsync off for speed) this one keeps PostgreSQL's default settings, fsync and
 * synchronous_commit on: an ACK promises the message is on disk, so the commit is what is being measured.
 */
export interface BenchCluster {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  port: number;
  /** The directory of the server's Unix socket: `viaSocket` turns a URL of this cluster into one that connects there. */
  socketDir: string;
  version: string;
  /** The settings that decide the cost of a commit, read from the running server. */
  durability: string;
  /** CPU seconds used by the whole server so far (postmaster, backends live and ended, background processes). */
  cpuSeconds(): number;
  /** cpuSeconds by kind of process: `backend` (client connections), each background process by name, `ended`. */
  cpuByKind(): Record<string, number>;
  urlOf(database: string): string;
  createDatabase(name: string, template?: string): Promise<void>;
  dropDatabase(name: string): Promise<void>;
  /**
   * Turns autovacuum on or off for the whole cluster (ALTER SYSTEM, then a reload). A worker already vacuuming
   * finishes its table.
   */
  setAutovacuum(on: boolean): Promise<void>;
  /** Whether pg_stat_statements is loaded (ClusterOptions.statements). */
  statements: boolean;
  /** Stops the server (immediate) and removes its folder; safe to call more than once, and synchronous for exit paths. */
  destroy(): void;
}

/**
 * What a PostgreSQL child process is, from its title: `postgres: checkpointer`, `postgres: autovacuum worker`, …; a
 * client connection's title names its user and database instead (`postgres: postgres gw_drain_w2 127.0.0.1(…) idle`).
 */
function postgresKind(title: string): string {
  const name = title.replace(/^postgres:\s*/, '');
  const background = ['checkpointer', 'background writer', 'walwriter', 'autovacuum launcher', 'autovacuum worker', 'logical replication launcher'];
  return background.find((b) => name.startsWith(b)) ?? 'backend';
}

/** Names built by the bench only: letters, digits and underscores, so they can be placed in DDL. */
function checkedName(name: string): string {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a bench database name: ${name}`);
  return name;
}

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'vigil-gateway-bench', connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

export interface ClusterOptions {
  /**
   * Load pg_stat_statements (statements per message and where the server's time goes; `--pg-statements`). Off for
   * the figures: tracking costs a little on every statement.
   */
  statements?: boolean;
}

export async function startBenchCluster(options: ClusterOptions = {}): Promise<BenchCluster> {
  const { root, dataDir, run } = initClusterFolder('vigil-gw-pg-');
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    try {
      run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop']);
    } catch {
      // not started, or already stopped
    }
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const tracking = options.statements ? ' -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on' : '';
    run('pg_ctl', ['-D', dataDir, '-l', join(root, 'server.log'), '-w', '-t', '30', '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${root}${tracking}`, 'start']);
    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const rows = await adminQuery<{ name: string; setting: string }>(
      adminUrl,
      `SELECT name, current_setting(name) AS setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers', 'max_connections') ORDER BY name`,
    );
    const [{ version }] = (await adminQuery<{ version: string }>(adminUrl, 'SELECT version() AS version')) as [{ version: string }];
    const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return {
      adminUrl,
      port,
      socketDir: root,
      version: version.split(' on ')[0]!,
      durability: rows.map((r) => `${r.name}=${r.setting}`).join(', '),
      cpuSeconds: () => treeCpuSeconds(postmaster),
      cpuByKind: () => treeCpuByKind(postmaster, postgresKind),
      statements: options.statements === true,
      urlOf: (database) => databaseUrlFor(adminUrl, checkedName(database)),
      async createDatabase(name, template) {
        await adminQuery(adminUrl, `CREATE DATABASE ${checkedName(name)}${template ? ` TEMPLATE ${checkedName(template)}` : ''}`);
      },
      async dropDatabase(name) {
        await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${checkedName(name)} WITH (FORCE)`);
      },
      async setAutovacuum(on) {
        await adminQuery(adminUrl, `ALTER SYSTEM SET autovacuum = ${on ? 'on' : 'off'}`);
        await adminQuery(adminUrl, 'SELECT pg_reload_conf()');
      },
      destroy,
    };
  } catch (err) {
    destroy();
    throw err;
  }
}

/** Forgets the statistics gathered so far: pg_stat_statements' (loaded and created in the database) and the tables' row counts. */
export async function resetStatements(url: string): Promise<void> {
  await adminQuery(url, 'SELECT pg_stat_statements_reset(), pg_stat_reset()');
}

/**
 * Prints the statements of Vigil's sessions since the last reset: how many per message and where the server's time
 * went (planning and execution). Statement texts have placeholders for every value, so nothing here is content.
 */
export async function printStatements(url: string, messages: number, label: string): Promise<void> {
  const rows = await adminQuery<{ calls: string; plans: string; exec_ms: number; plan_ms: number; toplevel: boolean; query: string }>(
    url,
    `SELECT s.calls, s.plans, s.total_exec_time AS exec_ms, s.total_plan_time AS plan_ms, s.toplevel, left(regexp_replace(s.query, '\\s+', ' ', 'g'), 110) AS query
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid JOIN pg_roles r ON r.oid = s.userid
      WHERE d.datname = current_database() AND s.query NOT ILIKE '%pg_stat%' AND s.query NOT ILIKE '%FROM gateway_messages GROUP BY%'
      ORDER BY s.total_exec_time + s.total_plan_time DESC`,
  );
  const calls = rows.reduce((n, r) => n + Number(r.calls), 0);
  const execMs = rows.reduce((n, r) => n + r.exec_ms, 0);
  const planMs = rows.reduce((n, r) => n + r.plan_ms, 0);
  // Top-level statements are the ones a worker sent, each a round trip; the rest run inside them (foreign-key checks).
  const sent = rows.filter((r) => r.toplevel);
  const roundTrips = sent.reduce((n, r) => n + Number(r.calls), 0);
  // A statement planned on most calls runs on custom plans; one planned rarely, on its cached generic plan.
  const planned = (r: (typeof rows)[number]) => `(${Number(r.calls) > 0 ? Math.round((100 * Number(r.plans)) / Number(r.calls)) : 0}% planned)`.padStart(15);
  const line = (r: (typeof rows)[number]) =>
    `      ${(Number(r.calls) / messages).toFixed(2).padStart(6)}/msg  exec ${((r.exec_ms * 1000) / messages).toFixed(0).padStart(5)} µs  plan ${((r.plan_ms * 1000) / messages).toFixed(0).padStart(4)} µs ${planned(r)}  ${r.query}`;
  console.log(`    ${label}: ${(calls / messages).toFixed(1)} statements per message, ${(roundTrips / messages).toFixed(2)} of them sent (round trips); server time per message: execute ${((execMs * 1000) / messages).toFixed(0)} µs, plan ${((planMs * 1000) / messages).toFixed(0)} µs`);
  console.log('    by server time:');
  for (const r of rows.slice(0, 25)) console.log(line(r));
  console.log('    sent, by count:');
  for (const r of [...sent].sort((a, b) => Number(b.calls) - Number(a.calls)).slice(0, 30)) console.log(line(r));
  await printRowWrites(url, messages);
}

/**
 * Rows written per message, per table, since the last reset: what each message costs in storage. An update that is not
 * HOT writes every index of its table again. Backends report these counts about once a second, so the last second
 * may be missing.
 */
async function printRowWrites(url: string, messages: number): Promise<void> {
  const tables = await adminQuery<{ name: string; ins: string; upd: string; hot: string; del: string; indexes: string }>(
    url,
    `SELECT t.schemaname || '.' || t.relname AS name, t.n_tup_ins AS ins, t.n_tup_upd AS upd, t.n_tup_hot_upd AS hot, t.n_tup_del AS del,
            (SELECT count(*) FROM pg_index i WHERE i.indrelid = t.relid) AS indexes
       FROM pg_stat_user_tables t WHERE t.n_tup_ins + t.n_tup_upd + t.n_tup_del > 0
      ORDER BY t.n_tup_ins + t.n_tup_upd + t.n_tup_del DESC`,
  );
  const per = (n: string) => (Number(n) / messages).toFixed(2).padStart(6);
  console.log('    rows written per message, by table (inserted, updated of which HOT, deleted; the table\'s indexes):');
  for (const t of tables.slice(0, 20)) console.log(`      ${per(t.ins)} ins ${per(t.upd)} upd (${per(t.hot)} HOT) ${per(t.del)} del  ${t.indexes.padStart(2)} idx  ${t.name}`);
}

/** The same database reached through the server's Unix socket instead of TCP on loopback (node-postgres reads `host`). */
export function viaSocket(url: string, socketDir: string): string {
  const u = new URL(url);
  u.searchParams.set('host', socketDir);
  return u.toString();
}
