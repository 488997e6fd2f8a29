import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseHl7Batch } from '../../src/adapters/hl7v2/parse.ts';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { tempDir } from '../support/test-db.ts';

/** Files dropped in a source's folder: split into messages, archived, normalized; the file moves to .done/. */
const T = { timeout: 120_000 };
let t: TestVigil;
let drop: string;

async function until<T>(what: string, probe: () => Promise<T | false | undefined> | T | false | undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  drop = tempDir();
  t = await startTestVigil({ overrides: { VIGIL_DROP_DIR: drop } });
  await t.vigil.store.tx(async (trx) => {
    await t.vigil.gateway.registry.add(trx, { name: 'mirth-batch', kind: 'file' }, { actorName: 'test' });
  });
});

after(async () => t?.close());

describe('drop folder', () => {
  it('splits an HL7 batch file into messages, normalizes them, and moves the file to .done', T, async () => {
    const folder = join(drop, 'mirth-batch');
    mkdirSync(folder, { recursive: true });
    // Written under a temporary name first, as senders are told to: a half-written file is never taken.
    writeFileSync(join(folder, 'adt.hl7.part'), 'MSH|');
    copyFileSync('test/fixtures/hl7/mirth_simplesender_TestADT.hl7', join(folder, 'adt.hl7'));
    await until('the file to be taken', () => existsSync(join(folder, '.done')) && readdirSync(join(folder, '.done')).length === 1);
    assert.ok(existsSync(join(folder, 'adt.hl7.part')), 'a .part file is left alone');
    // The sample repeats messages: the inbox keeps one row per distinct (control id, content) and notes each repeat.
    const batch = parseHl7Batch(readFileSync('test/fixtures/hl7/mirth_simplesender_TestADT.hl7'));
    const distinct = new Set(batch.messages.map((m) => `${m.header.controlId}\u0000${m.toString()}`)).size;
    const stored = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages WHERE transport = 'file'`.execute(t.vigil.store.db);
    assert.equal(Number(stored.rows[0]!.n), distinct);
    const repeats = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_message_events WHERE step = 'delivered-again'`.execute(t.vigil.store.db);
    assert.equal(Number(repeats.rows[0]!.n), batch.messages.length - distinct);
    await until('the inbox to drain', async () => (await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages WHERE state IN ('received', 'retrying')`.execute(t.vigil.store.db)).rows[0]!.n === '0');
    const states = await sql<{ state: string; n: string }>`SELECT state, count(*) AS n FROM gateway_messages GROUP BY state`.execute(t.vigil.store.db);
    assert.deepEqual(states.rows.map((r) => [r.state, Number(r.n)]), [['processed', distinct]]);
  });

  it('keeps a file dropped for an unregistered source in quarantine', T, async () => {
    const folder = join(drop, 'nobody');
    mkdirSync(folder, { recursive: true });
    copyFileSync('test/fixtures/hl7/mscvt_ADT-A01-01.hl7', join(folder, 'a01.hl7'));
    await until('the file to be taken', () => existsSync(join(folder, '.done')));
    const row = await t.vigil.store.db.selectFrom('gateway_messages').select(['state', 'reason_code', 'source_id']).where('transport', '=', 'file').where('source_id', 'is', null).executeTakeFirstOrThrow();
    assert.deepEqual(row, { state: 'quarantined', reason_code: 'unregistered-source', source_id: null });
  });
});
