import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { RawMllpClient } from '../support/raw-mllp-client.ts';
import { adt, NORTH, PERSON_1, PERSON_2 } from '../support/hl7-builder.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { sendForAck } from '../support/mllp-send.ts';
import { waitFor } from '../support/wait.ts';

/**
 * A message that makes its whole batch fail (here: recording its outcome always fails) must not stop the inbox. The
 * batch rolls back; the processor then works the batch's messages one by one, the others are processed, and the bad
 * one has each failure counted until it goes to dead letter, where an operator finds it.
 */
const T = { timeout: 60_000 };
let t: TestVigil;
let client: RawMllpClient;
const db = () => t.vigil.store.db;

before(async () => {
  t = await startTestVigil({ overrides: { VIGIL_GATEWAY_MAX_ATTEMPTS: '3', VIGIL_GATEWAY_RETRY_BASE_MS: '20', VIGIL_WORKER_POLL_MS: '50' } });
  await t.vigil.store.tx((trx) => t.vigil.gateway.registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: NORTH.app, msh4: NORTH.facility }, { actorName: 'test' }));
  // The fault: the timeline step that records POISON-1 as processed can never be written.
  await sql`
    CREATE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.step = 'processed' AND EXISTS (SELECT 1 FROM gateway_messages WHERE id = NEW.message_id AND control_id = 'POISON-1') THEN
        RAISE EXCEPTION 'injected fault';
      END IF;
      RETURN NEW;
    END $$`.execute(db());
  await sql`CREATE TRIGGER test_poison BEFORE INSERT ON gateway_message_events FOR EACH ROW EXECUTE FUNCTION test_poison()`.execute(db());
  client = await RawMllpClient.connect(t.vigil.mllpPort()!);
});

after(async () => {
  client?.destroy();
  await t?.close();
});

const stateOf = async (control: string) => (await db().selectFrom('gateway_messages').select(['state', 'attempts', 'reason_code']).where('control_id', '=', control).executeTakeFirst()) ?? undefined;

describe('a message that fails its whole batch', () => {
  it('does not hold up the others, and goes to dead letter after the attempt limit', T, async () => {
    // Sent back to back, so the worker is likely to claim them together.
    for (const [control, person] of [['GOOD-1', PERSON_1], ['POISON-1', PERSON_2], ['GOOD-2', PERSON_1]] as const) {
      assert.equal((await sendForAck(client, adt(NORTH, 'A08', person, control, '20240301080000'))).get('MSA-1'), 'AA');
    }
    await waitFor('the good messages to be processed', async () => (await stateOf('GOOD-1'))?.state === 'processed' && (await stateOf('GOOD-2'))?.state === 'processed', 30_000);
    await waitFor('the bad one to reach dead letter', async () => (await stateOf('POISON-1'))?.state === 'dead-letter', 30_000);
    const poison = (await stateOf('POISON-1'))!;
    assert.equal(poison.attempts, 3);
    assert.match(poison.reason_code ?? '', /^batch-/);
    const steps = await sql<{ step: string }>`SELECT e.step FROM gateway_message_events e JOIN gateway_messages m ON m.id = e.message_id WHERE m.control_id = 'POISON-1' ORDER BY e.id`.execute(db());
    assert.deepEqual(steps.rows.map((r) => r.step), ['received', 'retrying', 'retrying', 'dead-letter']);
  });
});
