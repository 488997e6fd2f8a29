import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startFaultyGateway, type FaultyGateway } from '../support/gateway-fault.ts';

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
    await g.sendAround('A08', ['GOOD-1', 'POISON-1', 'GOOD-2']);
    await g.settled(['GOOD-1', 'POISON-1', 'GOOD-2']);
    const poison = (await g.stateOf('POISON-1'))!;
    assert.equal(poison.attempts, 3);
    assert.match(poison.reason_code ?? '', /^batch-/);
    assert.deepEqual(await g.stepsOf('POISON-1'), ['received', 'retrying', 'retrying', 'dead-letter']);
  });
});
