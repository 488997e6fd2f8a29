import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { ArchiveKeys } from '../../src/controls/keys/archive-keys.ts';
import { LocalKeyring } from '../../src/controls/keys/keyring.ts';
import { storeArrival } from '../../src/gateway/inbox.ts';
import { SourceRegistry } from '../../src/gateway/sources.ts';
import { adt, LAB, NORTH, oru, type Person } from '../support/hl7-builder.ts';
import { withProcessor } from '../support/processor-harness.ts';
import { createTestDatabase, tempDir } from '../support/test-db.ts';
import { runVigil, type VigilProcess } from '../support/vigil-process.ts';

/**
 * Two and four worker processes on one PostgreSQL server share an inbox: every message is processed by exactly one
 * of them, once, and the work is spread across them. (Throughput per worker count is measured in bench/gateway.)
 */
const PEOPLE = 150;

async function run(workers: number): Promise<void> {
  const db = await createTestDatabase();
  const store = await db.open();
  const kek = randomBytes(32);
  const kekFile = join(tempDir(), 'kek');
  writeFileSync(kekFile, kek.toString('base64'), { mode: 0o600 });
  const processes: VigilProcess[] = [];
  try {
    const registry = new SourceRegistry();
    const archive = new ArchiveKeys(LocalKeyring.single(kek));
    const ids = await store.tx(async (trx) => ({
      adt: (await registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: NORTH.app, msh4: NORTH.facility }, { actorName: 'test' })).id,
      lab: (await registry.add(trx, { name: 'north-lab', kind: 'hl7v2', msh3: LAB.app, msh4: LAB.facility }, { actorName: 'test' })).id,
    }));
    let total = 0;
    for (let i = 0; i < PEOPLE; i++) {
      const p: Person = { mrn: `W-${i}`, family: `Worker${i % 29}`, given: `Given${i % 13}`, birthDate: `19${String(30 + (i % 60)).padStart(2, '0')}0${1 + (i % 9)}2${i % 10}`, sex: i % 2 ? 'M' : 'F', phone: `555${String(i).padStart(7, '0')}` };
      const messages: [string, string, string][] = [[ids.adt, `W-A-${i}`, adt(NORTH, 'A01', p, `W-A-${i}`, '20240301080000', `WV-${i}`)]];
      for (let r = 0; r < 3; r++) messages.push([ids.lab, `W-O-${i}-${r}`, oru(LAB, p, `W-O-${i}-${r}`, `2024030110${r}000`, `WO-${i}-${r}`, [{ code: '2093-3', name: 'Cholesterol', value: String(140 + r), unit: 'mg/dL', status: 'F' }], 'F')]);
      for (const [sourceId, control, text] of messages) {
        await storeArrival(store.db, archive, { sourceId, transport: 'mllp', peer: null, raw: Buffer.from(text), messageType: null, controlId: control, profileVersion: 1, ackCode: 'AA', actor: 'test' });
        total++;
      }
    }
    const env = { DATABASE_URL: db.databaseUrl!, VIGIL_ENV: 'test', HOST: '127.0.0.1', PORT: '0', MLLP_PORT: 'off', LOG_LEVEL: 'info', VIGIL_KEK_FILE: kekFile, VIGIL_WORKER_POLL_MS: '20', VIGIL_GATEWAY_BATCH_SIZE: '8', VIGIL_GATEWAY_RETRY_BASE_MS: '50' };
    for (let w = 0; w < workers; w++) processes.push(runVigil(`workers-${workers}-${w}`, ['start', '--role', 'worker'], env));
    const deadline = Date.now() + 240_000;
    for (;;) {
      const open = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages WHERE state <> 'processed'`.execute(store.db);
      if (open.rows[0]!.n === '0') break;
      if (Date.now() > deadline) {
        const left = await sql<{ state: string; n: string }>`SELECT state, count(*) AS n FROM gateway_messages GROUP BY state`.execute(store.db);
        assert.fail(`the inbox did not drain: ${JSON.stringify(left.rows)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const steps = await sql<{ actor: string; n: string }>`SELECT actor, count(*) AS n FROM gateway_message_events WHERE step = 'processed' GROUP BY actor`.execute(store.db);
    assert.equal(steps.rows.reduce((sum, r) => sum + Number(r.n), 0), total, 'one processed step per message: none twice');
    assert.ok(steps.rows.length >= 2, `the work was shared (${steps.rows.length} of ${workers} workers took messages)`);
    const once = await sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT message_id FROM gateway_message_events WHERE step = 'processed' GROUP BY message_id HAVING count(*) > 1) x`.execute(store.db);
    assert.equal(once.rows[0]!.n, '0');
    const patients = await sql<{ n: string }>`SELECT count(*) AS n FROM patients`.execute(store.db);
    assert.equal(Number(patients.rows[0]!.n), PEOPLE);
    const versions = await sql<{ n: string }>`SELECT count(*) AS n FROM clinical_fact_versions`.execute(store.db);
    assert.equal(Number(versions.rows[0]!.n), PEOPLE * 3 * 2);
  } finally {
    for (const p of processes) await p.stop();
    await store.close();
    await db.dispose();
  }
}

describe('several worker processes on one PostgreSQL server', () => {
  it('two workers process every message exactly once', { timeout: 300_000 }, () => run(2));
  it('four workers process every message exactly once', { timeout: 300_000 }, () => run(4));
  it('a message whose patient another worker holds is left for later, not waited for, and its neighbours go on', { timeout: 120_000 }, async () => {
    await withProcessor({ workerId: 'lane-test' }, async ({ store, processor, arrive: storeAs }) => {
      const busy: Person = { mrn: 'LANE-1', family: 'Held', given: 'Ada', birthDate: '19700101', sex: 'F', phone: '5550000001' };
      const free: Person = { mrn: 'LANE-2', family: 'Free', given: 'Bram', birthDate: '19710202', sex: 'M', phone: '5550000002' };
      const arrive = (control: string, text: string) => storeAs(text, control);
      await arrive('L-1', adt(NORTH, 'A01', busy, 'L-1', '20240301080000', 'LV-1'));
      await processor.runOnce();
      const key = await sql<{ k: string }>`SELECT system || '|' || value AS k FROM patient_identifiers WHERE value = 'LANE-1'`.execute(store.db);
      assert.equal(key.rows.length, 1, 'the first registration made the identifier known');

      await arrive('L-2', adt(NORTH, 'A08', { ...busy, phone: '5559999999' }, 'L-2', '20240301090000', 'LV-1'));
      await arrive('L-3', adt(NORTH, 'A01', free, 'L-3', '20240301090000', 'LV-2'));
      const stateOf = async (control: string) =>
        (await sql<{ state: string }>`SELECT state FROM gateway_messages WHERE control_id = ${control}`.execute(store.db)).rows[0]!.state;
      // Another worker's open transaction holds the busy patient's identifier lock. Were the batch to wait for it, this
      // would never return (the lock is let go only after the batch).
      await store.db.transaction().execute(async (other) => {
        await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key.rows[0]!.k}, 7))`.execute(other);
        assert.equal(await processor.runOnce(), 2, 'both messages were claimed');
        assert.equal(await stateOf('L-3'), 'processed', 'the other patient’s message went on');
        assert.equal(await stateOf('L-2'), 'received', 'the held patient’s message was left untouched');
      });
      const steps = await sql<{ n: string }>`
        SELECT count(*) AS n FROM gateway_message_events e JOIN gateway_messages m ON m.id = e.message_id WHERE m.control_id = 'L-2' AND e.step <> 'received'`.execute(store.db);
      assert.equal(steps.rows[0]!.n, '0', 'no attempt, retry or failure was recorded for the message left for later');
      await processor.runOnce();
      assert.equal(await stateOf('L-2'), 'processed', 'once the lock is free, the message is worked');
      const phone = await sql<{ phone: string | null }>`SELECT p.phone FROM patients p JOIN patient_identifiers i ON i.patient_id = p.id WHERE i.value = 'LANE-1'`.execute(store.db);
      assert.equal(phone.rows[0]!.phone, '5559999999', 'and its update reached the patient');
    });
  });
});
