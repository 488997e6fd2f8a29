import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { MigrationError } from '../errors.ts';
import type { Store } from './store.ts';

/**
 * Versioned SQL migrations, one dialect for both engines. Files are `NNNN_name.sql` in ./migrations; each is applied
 * once, in order, and recorded with a checksum so an edited migration is caught instead of silently diverging.
 * A migration that can lose data (DROP TABLE/COLUMN/SCHEMA, TRUNCATE, DELETE, or the marker `-- vigil:destructive`)
 * needs an explicit allowDestructive where the caller requires it (production).
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
  destructive: boolean;
}

export interface MigrationStatus {
  applied: number[];
  pending: number[];
  /** Versions in the database that this build does not know: a newer build migrated it. */
  unknown: number[];
  current: boolean;
}

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const DESTRUCTIVE = /\b(drop\s+(table|column|schema|database|materialized\s+view)|truncate|delete\s+from|alter\s+column\s+\S+\s+(set\s+data\s+)?type)\b/i;

function stripComments(text: string): string {
  return text.replace(/--.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

export function parseMigration(fileName: string, text: string): Migration {
  const match = FILE.exec(fileName);
  if (!match) throw new MigrationError('migration-name', `Migration file ${fileName} must be named NNNN_name.sql.`);
  return {
    version: Number(match[1]),
    name: match[2]!,
    sql: text,
    checksum: createHash('sha256').update(text).digest('hex'),
    destructive: /--\s*vigil:destructive\b/.test(text) || DESTRUCTIVE.test(stripComments(text)),
  };
}

export function loadMigrations(dir = DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const migrations = files.map((f) => parseMigration(f, readFileSync(join(dir, f), 'utf8')));
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new MigrationError('migration-gap', `Migrations must be numbered 1, 2, 3… without gaps; ${m.version} is out of place.`);
  });
  return migrations;
}

const ENSURE_TABLE = sql`CREATE TABLE IF NOT EXISTS vigil_schema_migrations (
  version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
  destructive boolean NOT NULL DEFAULT false, applied_at timestamptz NOT NULL DEFAULT now())`;

// One lock id for "someone is migrating": several processes may start at once against one server.
const MIGRATION_LOCK = 7_150_911;

export async function migrationStatus(store: Store, migrations = loadMigrations()): Promise<MigrationStatus> {
  const exists = await sql<{ t: string | null }>`select to_regclass('vigil_schema_migrations')::text as t`.execute(store.db);
  const applied = exists.rows[0]?.t
    ? (await store.db.selectFrom('vigil_schema_migrations').select('version').orderBy('version').execute()).map((r) => r.version)
    : [];
  const known = new Set(migrations.map((m) => m.version));
  const done = new Set(applied);
  const pending = migrations.filter((m) => !done.has(m.version)).map((m) => m.version);
  const unknown = applied.filter((v) => !known.has(v));
  return { applied, pending, unknown, current: pending.length === 0 && unknown.length === 0 };
}

export interface MigrateOptions {
  allowDestructive: boolean;
  /** Refuse destructive migrations unless allowDestructive (production). */
  guardDestructive: boolean;
  migrations?: Migration[];
}

export interface MigrateResult {
  applied: Migration[];
}

/** Applies every pending migration in one transaction, under an advisory lock, or none of them. */
export async function migrate(store: Store, options: MigrateOptions): Promise<MigrateResult> {
  const migrations = options.migrations ?? loadMigrations();
  return store.tx(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await ENSURE_TABLE.execute(trx);
    const rows = await trx.selectFrom('vigil_schema_migrations').select(['version', 'checksum']).execute();
    const byVersion = new Map(rows.map((r) => [r.version, r.checksum]));
    const known = new Set(migrations.map((m) => m.version));
    const newer = rows.filter((r) => !known.has(r.version)).map((r) => r.version);
    if (newer.length > 0) {
      throw new MigrationError(
        'migration-ahead',
        `The database has migration ${Math.max(...newer)}, which this build does not know: a newer Vigil migrated it. Run that version or newer.`,
      );
    }
    for (const m of migrations) {
      const checksum = byVersion.get(m.version);
      if (checksum !== undefined && checksum !== m.checksum) {
        throw new MigrationError(
          'migration-edited',
          `Migration ${m.version}_${m.name} was changed after it was applied. Restore it and add a new migration instead.`,
        );
      }
    }
    const pending = migrations.filter((m) => !byVersion.has(m.version));
    const blocked = pending.filter((m) => m.destructive);
    if (options.guardDestructive && !options.allowDestructive && blocked.length > 0) {
      throw new MigrationError(
        'migration-destructive',
        `Migration ${blocked[0]!.version}_${blocked[0]!.name} can drop data. Take a backup, then run \`vigil migrate --allow-destructive\`.`,
      );
    }
    for (const m of pending) {
      await sql.raw(m.sql).execute(trx);
      await trx
        .insertInto('vigil_schema_migrations')
        .values({ version: m.version, name: m.name, checksum: m.checksum, destructive: m.destructive })
        .execute();
    }
    return { applied: pending };
  });
}
