import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { MigrationError } from '../errors.ts';
import { useTestStore } from '../../test/support/test-db.ts';
import { loadMigrations, migrate, migrationStatus, parseMigration } from './migrate.ts';

const testStore = useTestStore();

// Test migrations are numbered after the shipped ones: N + 1, N + 2, …
const N = loadMigrations().length;
const extra = (n: number, body: string) => parseMigration(`${String(n).padStart(4, '0')}_test_${n}.sql`, body);

test('the shipped migrations are numbered without gaps and none of them drops data', () => {
  const migrations = loadMigrations();
  assert.ok(migrations.length >= 1);
  migrations.forEach((m, i) => assert.equal(m.version, i + 1));
  assert.deepEqual(migrations.filter((m) => m.destructive).map((m) => m.name), []);
});

test('a migrated database is current and migrating again changes nothing', async () => {
  const status = await migrationStatus(testStore());
  assert.equal(status.current, true);
  const again = await migrate(testStore(), { allowDestructive: false, guardDestructive: true });
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
  const migrations = [...loadMigrations(), extra(N + 1, 'CREATE TABLE scratch_a (id int);'), extra(N + 2, 'DROP TABLE scratch_a;')];
  await assert.rejects(
    migrate(testStore(), { allowDestructive: false, guardDestructive: true, migrations }),
    (err: unknown) => err instanceof MigrationError && err.code === 'migration-destructive' && new RegExp(`${N + 2}_test_${N + 2} can drop data`).test(err.message),
  );
  const status = await migrationStatus(testStore(), migrations);
  assert.deepEqual(status.pending, [N + 1, N + 2], 'all or nothing: the harmless migration was rolled back too');
  const applied = await migrate(testStore(), { allowDestructive: true, guardDestructive: true, migrations });
  assert.deepEqual(applied.applied.map((m) => m.version), [N + 1, N + 2]);
  const gone = await sql<{ t: string | null }>`select to_regclass('scratch_a')::text as t`.execute(testStore().db);
  assert.equal(gone.rows[0]!.t, null);
});

test('a migration edited after it was applied is caught by its checksum', async () => {
  // The earlier test applied N + 1 and N + 2; this build knows them too.
  const known = [...loadMigrations(), extra(N + 1, 'CREATE TABLE scratch_a (id int);'), extra(N + 2, 'DROP TABLE scratch_a;')];
  const edited = known.map((m) => (m.version === 1 ? { ...m, checksum: 'different' } : m));
  await assert.rejects(migrate(testStore(), { allowDestructive: true, guardDestructive: false, migrations: edited }), /was changed after it was applied/);
});

test('a database migrated by a newer build is reported ahead, and this build refuses to migrate it', async () => {
  const older = loadMigrations().slice(0, N - 1);
  const status = await migrationStatus(testStore(), older);
  assert.equal(status.current, false);
  assert.ok(status.unknown.length > 0);
  await assert.rejects(migrate(testStore(), { allowDestructive: false, guardDestructive: false, migrations: older }), /a newer Vigil migrated it/);
});

test('a failing migration leaves the database as it was', async () => {
  const migrations = [...loadMigrations(), extra(N + 1, 'CREATE TABLE scratch_a (id int);'), extra(N + 2, 'DROP TABLE scratch_a;'), extra(N + 3, 'CREATE TABLE scratch_b (id int);\nSELECT no_such_function();')];
  await assert.rejects(migrate(testStore(), { allowDestructive: true, guardDestructive: false, migrations }));
  const found = await sql<{ t: string | null }>`select to_regclass('scratch_b')::text as t`.execute(testStore().db);
  assert.equal(found.rows[0]!.t, null);
  assert.deepEqual((await migrationStatus(testStore(), migrations)).pending, [N + 3]);
});
