import assert from 'node:assert/strict';
import { sql, type RawBuilder } from 'kysely';
import { adt, NORTH, PERSON_1, PERSON_2 } from './hl7-builder.ts';
import { sendForAck } from './mllp-send.ts';
import { waitFor } from './wait.ts';
import { RawMllpClient } from './raw-mllp-client.ts';
import { startTestVigil, type TestVigil } from './in-process.ts';

/**
 * A Vigil with one registered ADT source, a fault planted in the database by a trigger, and an MLLP client: the
 * setting of the tests that make a message fail inside the processor. Fast retries, three attempts.
 */
export interface FaultyGateway {
  t: TestVigil;
  client: RawMllpClient;
  stateOf(control: string): Promise<{ state: string; attempts: number; reason_code: string | null } | undefined>;
  stepsOf(control: string): Promise<string[]>;
  /** Sends a good, a failing and a good ADT message back to back (so the worker is likely to claim them together); each is accepted (AA). */
  sendAround(event: 'A04' | 'A08', controls: readonly [good1: string, failing: string, good2: string]): Promise<void>;
  /** Waits until both good messages are processed and the failing one has reached dead letter. */
  settled(controls: readonly [good1: string, failing: string, good2: string]): Promise<void>;
  close(): Promise<void>;
}

/** `fault` is the trigger function's body; it runs BEFORE INSERT on `table` for each row. */
export async function startFaultyGateway(table: string, fault: RawBuilder<unknown>): Promise<FaultyGateway> {
  const t = await startTestVigil({ overrides: { VIGIL_GATEWAY_MAX_ATTEMPTS: '3', VIGIL_GATEWAY_RETRY_BASE_MS: '20', VIGIL_WORKER_POLL_MS: '50' } });
  const db = t.vigil.store.db;
  await t.vigil.store.tx((trx) => t.vigil.gateway.registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: NORTH.app, msh4: NORTH.facility }, { actorName: 'test' }));
  await sql`CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ${fault} RETURN NEW; END $$`.execute(db);
  await sql`CREATE TRIGGER test_fault BEFORE INSERT ON ${sql.table(table)} FOR EACH ROW EXECUTE FUNCTION test_fault()`.execute(db);
  const client = await RawMllpClient.connect(t.vigil.mllpPort()!);
  const state = async (control: string) => (await db.selectFrom('gateway_messages').select('state').where('control_id', '=', control).executeTakeFirst())?.state;
  return {
    t,
    client,
    stateOf: async (control) => (await db.selectFrom('gateway_messages').select(['state', 'attempts', 'reason_code']).where('control_id', '=', control).executeTakeFirst()) ?? undefined,
    async sendAround(event, [good1, failing, good2]) {
      for (const [control, person] of [[good1, PERSON_1], [failing, PERSON_2], [good2, PERSON_1]] as const) {
        assert.equal((await sendForAck(client, adt(NORTH, event, person, control, '20240301080000'))).get('MSA-1'), 'AA');
      }
    },
    async settled([good1, failing, good2]) {
      await waitFor('the good messages to be processed', async () => (await state(good1)) === 'processed' && (await state(good2)) === 'processed', 30_000);
      await waitFor('the failing one to reach dead letter', async () => (await state(failing)) === 'dead-letter', 30_000);
    },
    stepsOf: async (control) =>
      (await sql<{ step: string }>`SELECT e.step FROM gateway_message_events e JOIN gateway_messages m ON m.id = e.message_id WHERE m.control_id = ${control} ORDER BY e.id`.execute(db)).rows.map((r) => r.step),
    async close() {
      client.destroy();
      await t.close();
    },
  };
}
