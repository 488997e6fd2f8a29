import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startFaultyGateway, type FaultyGateway } from '../support/gateway-fault.ts';
import { adt, NORTH, PERSON_1, PERSON_2 } from '../support/hl7-builder.ts';
import { sendForAck } from '../support/mllp-send.ts';
import { waitFor } from '../support/wait.ts';

/**
 * A message that makes its whole batch fail (here: recording its outcome always fails) must not stop the inbox. The
 * batch rolls back; the processor then works the batch's messages one by one, the others are processed, and the bad
 * one has each failure counted until it goes to dead letter, where an operator finds it.
 */
const T = { timeout: 60_000 };
let g: FaultyGateway;

// The fault: the timeline step that records POISON-1 as processed can never be written.
before(async () => {
  g = await startFaultyGateway(
    'gateway_message_events',
    sql`IF NEW.step = 'processed' AND EXISTS (SELECT 1 FROM gateway_messages WHERE id = NEW.message_id AND control_id = 'POISON-1') THEN
      RAISE EXCEPTION 'injected fault';
    END IF;`,
  );
});

after(async () => {
  await g?.close();
});

describe('a message that fails its whole batch', () => {
  it('does not hold up the others, and goes to dead letter after the attempt limit', T, async () => {
    // Sent back to back, so the worker is likely to claim them together.
    for (const [control, person] of [['GOOD-1', PERSON_1], ['POISON-1', PERSON_2], ['GOOD-2', PERSON_1]] as const) {
      assert.equal((await sendForAck(g.client, adt(NORTH, 'A08', person, control, '20240301080000'))).get('MSA-1'), 'AA');
    }
    await waitFor('the good messages to be processed', async () => (await g.stateOf('GOOD-1'))?.state === 'processed' && (await g.stateOf('GOOD-2'))?.state === 'processed', 30_000);
    await waitFor('the bad one to reach dead letter', async () => (await g.stateOf('POISON-1'))?.state === 'dead-letter', 30_000);
    const poison = (await g.stateOf('POISON-1'))!;
    assert.equal(poison.attempts, 3);
    assert.match(poison.reason_code ?? '', /^batch-/);
    assert.deepEqual(await g.stepsOf('POISON-1'), ['received', 'retrying', 'retrying', 'dead-letter']);
  });
});
