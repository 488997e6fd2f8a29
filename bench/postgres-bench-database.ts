import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { redactDatabaseUrl } from '../src/config/load.ts';
import { databaseUrlFor } from '../src/store/store.ts';

/** A database made for one bench run on the server named by DATABASE_URL, dropped afterwards. */
export interface BenchDatabase {
  name: string;
  /** DATABASE_URL pointing at the fresh database. */
  url: string;
  /** The server's version, e.g. "PostgreSQL 15.18 (Debian 15.18-0+deb12u1)", for the results file. */
  serverVersion: string;
  drop(): Promise<void>;
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'vigil-bench', connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Bench databases not dropped yet: an interrupted run drops them (dropAllBenchDatabases). */
const live = new Set<BenchDatabase>();

/** Creates `vigil_bench_<random>` using the server and credentials of `adminUrl`. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `vigil_bench_${randomBytes(6).toString('hex')}`;
  const serverVersion = await withClient(adminUrl, async (client) => {
    // The name is generated above from hex digits only, so it is safe to place in the statement.
    await client.query(`CREATE DATABASE ${name}`);
    const result = await client.query<{ version: string }>('SELECT version() AS version');
    // "PostgreSQL 15.18 (Debian ...) on x86_64-pc-linux-gnu, compiled by ...": the part before " on " is enough.
    return (result.rows[0]?.version ?? 'unknown').split(' on ')[0]!;
  });
  let dropped = false;
  const database: BenchDatabase = {
    name,
    url: databaseUrlFor(adminUrl, name),
    serverVersion,
    async drop() {
      if (dropped) return;
      dropped = true;
      live.delete(database);
      // FORCE (PostgreSQL 13+) ends any connection a crashed target may have left behind.
      await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
  live.add(database);
  return database;
}

/** Drops every bench database this process made and has not dropped yet; a failed drop is passed over. */
export async function dropAllBenchDatabases(): Promise<void> {
  await Promise.all([...live].map((d) => d.drop().catch(() => undefined)));
}

/**
 * Creates a bench database, runs `use` on it and drops it afterwards, saying so on the console. When the database
 * cannot be created, `use` is not run and the reason comes back instead of the server's version.
 */
export async function withBenchDatabase(adminUrl: string, use: (database: BenchDatabase) => Promise<void>): Promise<{ serverVersion: string } | { createError: string }> {
  let database: BenchDatabase;
  try {
    database = await createBenchDatabase(adminUrl);
  } catch (err) {
    return { createError: err instanceof Error ? err.message : String(err) };
  }
  try {
    await use(database);
  } finally {
    await database.drop().then(
      () => console.log(`  dropped ${database.name}`),
      (err: unknown) => console.log(`  could not drop ${database.name}: ${err instanceof Error ? err.message : String(err)}`),
    );
  }
  return { serverVersion: database.serverVersion };
}

/** The URL with any password hidden, for printing. */
export const redactUrl = redactDatabaseUrl;
