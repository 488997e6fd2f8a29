import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { useTestStore } from '../../test/support/test-db.ts';
import { fixedStatement } from './fixed-statement.ts';

describe('fixed statements', () => {
  const testStore = useTestStore();

  it('binds each call its own values, in every place an argument appears', async () => {
    const pair = fixedStatement((a: number, label: string | null, list: string[]) => sql<{ twice: number; label: string | null; n: number }>`
      SELECT ${a}::int + ${a}::int AS twice, ${label}::text AS label, cardinality(${list}::text[]) AS n`);
    const first = await pair(testStore().db, 2, 'x', ['a']);
    const second = await pair(testStore().db, 20, null, ['a', 'b', 'c']);
    assert.deepEqual(first.rows, [{ twice: 4, label: 'x', n: 1 }]);
    assert.deepEqual(second.rows, [{ twice: 40, label: null, n: 3 }]);
  });

  it('keeps values written into the template itself', async () => {
    const withConstant = fixedStatement((a: number) => sql<{ v: string }>`SELECT ${'fixed'}::text || ${a}::text AS v`);
    assert.deepEqual((await withConstant(testStore().db, 7)).rows, [{ v: 'fixed7' }]);
    assert.deepEqual((await withConstant(testStore().db, 8)).rows, [{ v: 'fixed8' }]);
  });

  it('runs inside the caller’s transaction', async () => {
    const insert = fixedStatement((name: string) => sql`INSERT INTO vigil_instance (id, name, demo) VALUES ('00000000-0000-7000-8000-00000000f1a0', ${name}, false)`);
    await assert.rejects(
      testStore().tx(async (trx) => {
        await insert(trx, 'rolled-back');
        throw new Error('stop');
      }),
      /stop/,
    );
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM vigil_instance WHERE name = 'rolled-back'`.execute(testStore().db);
    assert.equal(rows[0]!.n, 0);
  });

  it('refuses, on first use, an argument that did not become a parameter', async () => {
    const misused = fixedStatement((label: string, limit: number) => sql`SELECT ${label === 'x' ? 1 : 2}::int AS n LIMIT ${limit}`);
    await assert.rejects(misused(testStore().db, 'x', 1), /argument\(s\) 0 did not become parameters/);
  });

  it('refuses a builder whose parameters it cannot count (a rest parameter), unless it is told their number', async () => {
    const pair = (...args: [a: number, b: number]) => sql<{ n: number }>`SELECT ${args[0]}::int * 10 + ${args[1]}::int AS n`;
    await assert.rejects(fixedStatement(pair)(testStore().db, 1, 2), /called with 2 argument\(s\) but the statement takes 0/);
    const counted = fixedStatement(pair, 2);
    assert.deepEqual((await counted(testStore().db, 1, 2)).rows, [{ n: 12 }]);
    assert.deepEqual((await counted(testStore().db, 3, 4)).rows, [{ n: 34 }]);
  });
});
