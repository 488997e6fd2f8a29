import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { MigrationError } from '../errors.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-db.ts';
import { loadMigrations, migrate, migrationStatus, parseMigration } from './migrate.ts';
import type { Store } from './store.ts';

let db: TestDatabase;
let store: Store;
before(async () => {
  db = await createTestDatabase();
  store = await db.open();
});
after(async () => {
  await store.close();
  await db.dispose();
});

const extra = (n: number, body: string) => parseMigration(`${String(n).padStart(4, '0')}_test_${n}.sql`, body);

test('the shipped migrations are numbered without gaps and none of them drops data', () => {
  const migrations = loadMigrations();
  assert.ok(migrations.length >= 1);
  migrations.forEach((m, i) => assert.equal(m.version, i + 1));
  assert.deepEqual(migrations.filter((m) => m.destructive).map((m) => m.name), []);
});

test('a migrated database is current and migrating again changes nothing', async () => {
  const status = await migrationStatus(store);
  assert.equal(status.current, true);
  const again = await migrate(store, { allowDestructive: false, guardDestructive: true });
  assert.deepEqual(again.applied, []);
});

test('destructive statements are recognised, also behind the explicit marker', () => {
  assert.equal(extra(9, 'ALTER TABLE jobs DROP COLUMN payload;').destructive, true);
  assert.equal(extra(9, 'drop table jobs;').destructive, true);
  assert.equal(extra(9, 'TRUNCATE jobs;').destructive, true);
  assert.equal(extra(9, 'DELETE FROM jobs WHERE true;').destructive, true);
  assert.equal(extra(9, 'ALTER TABLE jobs ALTER COLUMN queue TYPE varchar(10);').destructive, true);
  assert.equal(extra(9, '-- vigil:destructive\nUPDATE jobs SET payload = null;').destructive, true);
  assert.equal(extra(9, '-- we never drop table here\nCREATE INDEX x ON jobs (queue);').destructive, false);
});

test('production refuses a migration that can drop data unless --allow-destructive, and applies nothing', async () => {
  const migrations = [...loadMigrations(), extra(2, 'CREATE TABLE scratch_a (id int);'), extra(3, 'DROP TABLE scratch_a;')];
  await assert.rejects(
    migrate(store, { allowDestructive: false, guardDestructive: true, migrations }),
    (err: unknown) => err instanceof MigrationError && err.code === 'migration-destructive' && /3_test_3 can drop data/.test(err.message),
  );
  const status = await migrationStatus(store, migrations);
  assert.deepEqual(status.pending, [2, 3], 'all or nothing: the harmless migration 2 was rolled back too');
  const applied = await migrate(store, { allowDestructive: true, guardDestructive: true, migrations });
  assert.deepEqual(applied.applied.map((m) => m.version), [2, 3]);
  const gone = await sql<{ t: string | null }>`select to_regclass('scratch_a')::text as t`.execute(store.db);
  assert.equal(gone.rows[0]!.t, null);
});

test('a migration edited after it was applied is caught by its checksum', async () => {
  // The earlier test applied 2 and 3; this build knows them too.
  const known = [...loadMigrations(), extra(2, 'CREATE TABLE scratch_a (id int);'), extra(3, 'DROP TABLE scratch_a;')];
  const edited = known.map((m) => (m.version === 1 ? { ...m, checksum: 'different' } : m));
  await assert.rejects(migrate(store, { allowDestructive: true, guardDestructive: false, migrations: edited }), /was changed after it was applied/);
});

test('a database migrated by a newer build is reported ahead, and this build refuses to migrate it', async () => {
  const older = loadMigrations().slice(0, 1);
  const status = await migrationStatus(store, older);
  assert.equal(status.current, false);
  assert.ok(status.unknown.length > 0);
  await assert.rejects(migrate(store, { allowDestructive: false, guardDestructive: false, migrations: older }), /a newer Vigil migrated it/);
});

test('a failing migration leaves the database as it was', async () => {
  const migrations = [...loadMigrations(), extra(2, 'CREATE TABLE scratch_a (id int);'), extra(3, 'DROP TABLE scratch_a;'), extra(4, 'CREATE TABLE scratch_b (id int);\nSELECT no_such_function();')];
  await assert.rejects(migrate(store, { allowDestructive: true, guardDestructive: false, migrations }));
  const found = await sql<{ t: string | null }>`select to_regclass('scratch_b')::text as t`.execute(store.db);
  assert.equal(found.rows[0]!.t, null);
  assert.deepEqual((await migrationStatus(store, migrations)).pending, [4]);
});
