import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { useTestStore } from '../../test/support/test-db.ts';

const testStore = useTestStore();

test('a transaction commits everything it did when its function returns', async () => {
  await testStore().tx(async (trx) => {
    await trx.insertInto('vigil_instance').values({ id: '00000000-0000-7000-8000-000000000001', name: 'one', demo: false }).execute();
    await trx.insertInto('vigil_instance').values({ id: '00000000-0000-7000-8000-000000000002', name: 'two', demo: false }).execute();
  });
  const rows = await testStore().db.selectFrom('vigil_instance').select('name').where('name', 'in', ['one', 'two']).execute();
  assert.equal(rows.length, 2);
});

test('a transaction that throws leaves nothing behind', async () => {
  await assert.rejects(
    testStore().tx(async (trx) => {
      await trx.insertInto('vigil_instance').values({ id: '00000000-0000-7000-8000-000000000003', name: 'three', demo: false }).execute();
      throw new Error('changed my mind');
    }),
    /changed my mind/,
  );
  const rows = await testStore().db.selectFrom('vigil_instance').select('name').where('name', '=', 'three').execute();
  assert.equal(rows.length, 0);
});

test('both engines return the same JavaScript types', async () => {
  const r = await sql<{ big: string; day: string; at: Date; doc: { a: number[] }; num: string; flag: boolean }>`
    select 9007199254740993::int8 as big, date '2024-02-29' as day, timestamptz '2024-03-01T12:00:00Z' as at,
           '{"a":[1,2]}'::jsonb as doc, 1.50::numeric as num, true as flag`.execute(testStore().db);
  const row = r.rows[0]!;
  assert.equal(row.big, '9007199254740993', 'int8 keeps every digit as a string');
  assert.equal(row.day, '2024-02-29', 'a date is a calendar day, not a Date at local midnight');
  assert.ok(row.at instanceof Date);
  assert.equal(row.at.toISOString(), '2024-03-01T12:00:00.000Z');
  assert.deepEqual(row.doc, { a: [1, 2] });
  assert.equal(row.num, '1.50');
  assert.equal(row.flag, true);
});

test('FOR UPDATE SKIP LOCKED and advisory locks work on this engine', async () => {
  await testStore().db.insertInto('jobs').values({ id: '00000000-0000-7000-8000-0000000000a1', queue: 'q', payload: '{}', locked_by: null, locked_until: null, last_error_code: null, finished_at: null }).execute();
  const claimed = await testStore().tx(async (trx) => {
    const got = await sql<{ id: string }>`select id from jobs where queue = 'q' for update skip locked`.execute(trx);
    const lock = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(42) as ok`.execute(trx);
    assert.equal(lock.rows[0]!.ok, true);
    return got.rows.length;
  });
  assert.equal(claimed, 1);
});

test('ping answers while the database is reachable', async () => {
  await testStore().ping();
});
