import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import { PGlitePool } from './pglite-pool.ts';
import { PreparedStatementPool } from './prepared-pool.ts';
import type { Database } from './schema.ts';

export type Engine = 'pglite' | 'postgres';
export type Tx = Transaction<Database>;
export type Db = Kysely<Database>;

/**
 * The one handle to the database, whichever engine is behind it. `db` runs single statements; `tx` runs a function
 * inside one transaction and commits only if it returns. Both engines return the same JS types: int8 and numeric as
 * strings, date as 'YYYY-MM-DD', timestamptz as Date, jsonb parsed.
 */
export interface Store {
  engine: Engine;
  db: Db;
  tx<T>(fn: (trx: Tx) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const DATE_OID = 1082;
const INT8_OID = 20;

export interface StoreOptions {
  databaseUrl?: string | undefined;
  /** Embedded data folder; ignored with databaseUrl. `memory://` keeps it in memory (tests). */
  dataDir?: string;
  /** Start an embedded database from a dump made by dumpDataDir (tests). */
  loadDataDir?: Blob | File;
  poolSize?: number;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options.poolSize ?? 10) : openPGlite(options);
}

function wrap(engine: Engine, db: Db, close: () => Promise<void>): Store {
  return {
    engine,
    db,
    tx: (fn) => db.transaction().execute(fn),
    async ping() {
      await sql`select 1`.execute(db);
    },
    close,
  };
}

function openPostgres(url: string, poolSize: number): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    application_name: 'vigil',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === DATE_OID || oid === INT8_OID ? (v: string) => v : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A server restart kills idle connections; pg reports it on the pool and the next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new PreparedStatementPool(pool) }) });
  return wrap('postgres', db, () => db.destroy());
}

async function openPGlite(options: StoreOptions): Promise<Store> {
  const inMemory = !options.dataDir || options.dataDir === 'memory://';
  let lock: DataDirLock | undefined;
  if (!inMemory) lock = acquireDataDirLock(options.dataDir!);
  try {
    const pglite = new PGlite({
      ...(inMemory ? {} : { dataDir: options.dataDir }),
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
      parsers: { [DATE_OID]: (v: string) => v, [INT8_OID]: (v: string) => v },
    });
    await pglite.waitReady;
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new PGlitePool(pglite) }) });
    const store = wrap('pglite', db, async () => {
      try {
        await db.destroy();
        await pglite.close();
      } finally {
        lock?.release();
      }
    });
    Object.defineProperty(store, 'pglite', { value: pglite, enumerable: false });
    return store;
  } catch (err) {
    lock?.release();
    throw err;
  }
}

/** The PGlite instance behind an embedded store (tests dump it to make templates). */
export function pgliteOf(store: Store): PGlite | undefined {
  return (store as Store & { pglite?: PGlite }).pglite;
}

/** The URL of another database on the same server (tests and benchmarks make throwaway ones). */
export function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
