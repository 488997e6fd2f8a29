import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { loadConfig } from '../../src/config/load.ts';
import type { VigilConfig } from '../../src/config/settings.ts';
import { loadMigrations, migrate } from '../../src/store/migrate.ts';
import { databaseUrlFor, openStore, pgliteOf, type Store } from '../../src/store/store.ts';

/**
 * An isolated, migrated database for one test, on whichever engine the run uses: a PostgreSQL database cloned from a
 * migrated template when DATABASE_URL is set, otherwise an embedded data folder unpacked from a migrated dump.
 * Templates are keyed by the migrations' checksums and built once per run.
 */
export interface TestDatabase {
  engine: 'pglite' | 'postgres';
  databaseUrl: string | undefined;
  dataDir: string;
  open(): Promise<Store>;
  dispose(): Promise<void>;
}

const CACHE = resolve('test-output/.cache');

function migrationsKey(): string {
  return createHash('sha256').update(loadMigrations().map((m) => m.checksum).join(',')).digest('hex').slice(0, 12);
}

export function tempDir(prefix = 'vigil-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

async function pgliteTemplate(): Promise<Blob> {
  const file = join(CACHE, `pglite-template-${migrationsKey()}.tar`);
  if (!existsSync(file)) {
    mkdirSync(CACHE, { recursive: true });
    const store = await openStore({ dataDir: 'memory://' });
    await migrate(store, { allowDestructive: true, guardDestructive: false });
    const dump = await pgliteOf(store)!.dumpDataDir('none');
    await store.close();
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file);
  }
  return new Blob([readFileSync(file)]);
}

async function postgresTemplate(adminUrl: string): Promise<string> {
  const name = `vigil_tpl_${migrationsKey()}`;
  const admin = await openStore({ databaseUrl: adminUrl, poolSize: 1 });
  try {
    const { sql } = await import('kysely');
    await admin.tx(async (trx) => {
      await sql`select pg_advisory_xact_lock(7150912)`.execute(trx);
      const found = await sql`select 1 from pg_database where datname = ${name}`.execute(trx);
      if (found.rows.length > 0) return;
      const building = `${name}_build_${randomBytes(3).toString('hex')}`;
      // CREATE DATABASE cannot run inside a transaction block: use a side connection.
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${building}`);
        const tpl = await openStore({ databaseUrl: databaseUrlFor(adminUrl, building), poolSize: 1 });
        await migrate(tpl, { allowDestructive: true, guardDestructive: false });
        await tpl.close();
        await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      } finally {
        await client.end();
      }
    });
  } finally {
    await admin.close();
  }
  return name;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = process.env.DATABASE_URL;
  const dataDir = tempDir();
  if (adminUrl) {
    const template = await postgresTemplate(adminUrl);
    const name = `vigil_t_${randomBytes(6).toString('hex')}`;
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await client.end();
    const databaseUrl = databaseUrlFor(adminUrl, name);
    return {
      engine: 'postgres',
      databaseUrl,
      dataDir,
      open: () => openStore({ databaseUrl, poolSize: 4 }),
      async dispose() {
        const c = new pg.Client({ connectionString: adminUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const dump = await pgliteTemplate();
  const seeded = new PGlite(dataDir, { loadDataDir: dump });
  await seeded.waitReady;
  await seeded.close();
  return {
    engine: 'pglite',
    databaseUrl: undefined,
    dataDir,
    open: () => openStore({ dataDir }),
    async dispose() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A validated config for a test process: loopback, an ephemeral port, quiet logs, the test database. */
export function testConfig(db: Pick<TestDatabase, 'databaseUrl' | 'dataDir'>, overrides: Record<string, string> = {}): VigilConfig {
  return loadConfig({
    env: {
      VIGIL_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      MLLP_PORT: '0',
      VIGIL_DATA_DIR: db.dataDir,
      LOG_LEVEL: 'silent',
      VIGIL_WORKER_HEARTBEAT_MS: '200',
      VIGIL_WORKER_POLL_MS: '50',
      VIGIL_SHUTDOWN_GRACE_MS: '5000',
      VIGIL_DB_RETRY_MAX_MS: '500',
      VIGIL_WEB_DIR: resolve('dist/web'),
      ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
      ...overrides,
    },
  });
}

/** Gives the calling test file one migrated store for all its tests, closed and dropped after them. */
export function useTestStore(): () => Store {
  let db: TestDatabase | undefined;
  let store: Store | undefined;
  before(async () => {
    db = await createTestDatabase();
    store = await db.open();
  });
  after(async () => {
    await store?.close();
    await db?.dispose();
  });
  return () => {
    if (!store) throw new Error('useTestStore: the store exists only inside tests');
    return store;
  };
}
