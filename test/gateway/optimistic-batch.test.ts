import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startFaultyGateway, type FaultyGateway } from '../support/gateway-fault.ts';
import { PERSON_2 } from '../support/hl7-builder.ts';

/**
 * A batch is worked without a savepoint per message. A message that fails half-way (here: its patient's identifier
 * can never be written, after its record row was) must leave nothing behind: the batch is rolled back and worked
 * again with savepoints, the others are processed once, and the failing one is retried on its own account until it
 * goes to dead letter, with the failure counted as its own rather than its batch's.
 */
const T = { timeout: 60_000 };
let g: FaultyGateway;

// The fault: the failing message's patient identifier can never be written (its record row was, just before).
before(async () => {
  g = await startFaultyGateway('patient_identifiers', sql`IF NEW.value = ${sql.lit(PERSON_2.mrn)} THEN RAISE EXCEPTION 'injected fault'; END IF;`);
});

after(async () => {
  await g?.close();
});

const db = () => g.t.vigil.store.db;
const metric = async (name: string) => {
  const text = await (await fetch(`${g.t.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
};

describe('a message that fails half-way through a batch worked without savepoints', () => {
  it('leaves none of its writes, lets the others through once, and is retried on its own account', T, async () => {
    await g.sendAround('A04', ['OK-1', 'HALF-1', 'OK-2']);
    await g.settled(['OK-1', 'HALF-1', 'OK-2']);

    const failing = (await g.stateOf('HALF-1'))!;
    assert.equal(failing.attempts, 3);
    assert.equal(failing.reason_code, 'internal-error', 'the failure is the message’s own, found under its savepoint');
    assert.deepEqual(await g.stepsOf('HALF-1'), ['received', 'retrying', 'retrying', 'dead-letter']);

    // Nothing of the failing message's person was kept, though its record row was written before the fault.
    const records = await sql<{ n: string }>`SELECT count(*) AS n FROM patient_records WHERE record_key LIKE ${`%${PERSON_2.mrn}`}`.execute(db());
    assert.equal(Number(records.rows[0]!.n), 0);
    // The good ones were applied exactly once.
    for (const control of ['OK-1', 'OK-2']) {
      const processed = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_message_events e JOIN gateway_messages m ON m.id = e.message_id WHERE m.control_id = ${control} AND e.step = 'processed'`.execute(db());
      assert.equal(Number(processed.rows[0]!.n), 1, `${control} has one processed step`);
    }
    assert.ok((await metric('vigil_gateway_batches_redone_total')) >= 1, 'the batch was worked again with savepoints');
  });
});
