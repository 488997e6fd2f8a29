import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { RawMllpClient } from '../support/raw-mllp-client.ts';
import { adt, PERSON_1, PERSON_2, type Sender } from '../support/hl7-builder.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { sendForAck } from '../support/mllp-send.ts';
import { waitFor } from '../support/wait.ts';
import { freePort } from '../support/free-port.ts';
import { OPERATOR, OPERATOR_FACTS } from '../support/operator-subject.ts';

/**
 * HL7 enhanced acknowledgment mode end to end: the sender gets the accept acknowledgment (CA) on its connection when
 * the message is stored, and, once Vigil has worked the message, an application acknowledgment (AA, or AE for a
 * message that could not be processed) sent as a message of its own to the address its profile names, when MSH-16
 * asks for one for that outcome. A receiver that is down or refuses gets it again later, and after the last attempt
 * the message's timeline says it failed.
 */
const T = { timeout: 60_000 };
const ADT: Sender = { app: 'EASTADT', facility: 'EAST' };
const DOWN: Sender = { app: 'WESTADT', facility: 'WEST' };
let t: TestVigil;
let client: RawMllpClient;
let receiver: FakeReceiver;

/** A sending system's own listener for application acknowledgments: records each frame, answers CA or what it is told. */
class FakeReceiver {
  readonly frames: string[] = [];
  answer = 'CA';
  private constructor(private readonly server: net.Server) {}

  static async start(): Promise<FakeReceiver> {
    const server = net.createServer();
    const receiver = new FakeReceiver(server);
    server.on('connection', (socket) => {
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString('utf8');
        let end: number;
        while ((end = buffered.indexOf('\x1c\r')) >= 0) {
          const frame = buffered.slice(buffered.indexOf('\x0b') + 1, end);
          buffered = buffered.slice(end + 2);
          receiver.frames.push(frame);
          const control = frame.split('\r')[0]!.split('|')[9] ?? '';
          socket.write(`\x0bMSH|^~\\&|EAST|EAST|VIGIL|VIGIL|20240101000000||ACK|R${control}|P|2.5.1\rMSA|${receiver.answer}|${control}\r\x1c\r`);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The same message in enhanced mode: MSH-15 (accept) and MSH-16 (application) acknowledgment conditions. */
function enhanced(message: string, accept: string, application: string): string {
  const [msh, ...rest] = message.split('\r');
  return [`${msh}|||${accept}|${application}`, ...rest].join('\r');
}

const db = () => t.vigil.store.db;
const ackRow = (control: string) =>
  sql<{ state: string; ack_code: string; attempts: number; last_error: string | null }>`
    SELECT a.state, a.ack_code, a.attempts, a.last_error FROM gateway_app_acks a JOIN gateway_messages m ON m.id = a.message_id WHERE m.control_id = ${control}`
    .execute(db())
    .then((r) => r.rows[0]);
const steps = (control: string) =>
  sql<{ step: string }>`SELECT e.step FROM gateway_message_events e JOIN gateway_messages m ON m.id = e.message_id WHERE m.control_id = ${control} ORDER BY e.id`
    .execute(db())
    .then((r) => r.rows.map((x) => x.step));

before(async () => {
  receiver = await FakeReceiver.start();
  t = await startTestVigil({ overrides: { VIGIL_GATEWAY_MAX_ATTEMPTS: '2', VIGIL_GATEWAY_RETRY_BASE_MS: '20', VIGIL_WORKER_POLL_MS: '50' } });
  const down = await freePort();
  await t.vigil.store.tx(async (trx) => {
    await t.vigil.gateway.registry.add(trx, { name: 'east-adt', kind: 'hl7v2', msh3: ADT.app, msh4: ADT.facility, profile: { applicationAcks: { host: '127.0.0.1', port: receiver.port } } }, { actorName: 'test' });
    await t.vigil.gateway.registry.add(trx, { name: 'west-adt', kind: 'hl7v2', msh3: DOWN.app, msh4: DOWN.facility, profile: { applicationAcks: { host: '127.0.0.1', port: down } } }, { actorName: 'test' });
  });
  client = await RawMllpClient.connect(t.vigil.mllpPort()!);
});

after(async () => {
  client?.destroy();
  await t?.close();
  await receiver?.close();
});

describe('application acknowledgments (enhanced mode)', () => {
  it('answers CA at once and sends AA to the sender’s listener once the message is processed', T, async () => {
    const accept = await sendForAck(client, enhanced(adt(ADT, 'A04', PERSON_1, 'E-1', '20240301080000'), 'AL', 'AL'));
    assert.equal(accept.get('MSA-1'), 'CA');
    await waitFor('the application acknowledgment', async () => receiver.frames.some((f) => f.includes('MSA|AA|E-1')));
    const frame = receiver.frames.find((f) => f.includes('MSA|AA|E-1'))!;
    assert.match(frame, /^MSH\|\^~\\&\|VIGIL\|CENTRAL\|EASTADT\|EAST\|/, 'from the application the message was sent to, back to its sender');
    await waitFor('the row to say sent', async () => (await ackRow('E-1'))?.state === 'sent');
    assert.ok((await steps('E-1')).includes('application-ack-sent'));
  });

  it('sends none when MSH-16 does not want one for the outcome, and none in original mode', T, async () => {
    assert.equal((await sendForAck(client, enhanced(adt(ADT, 'A08', PERSON_1, 'E-2', '20240301090000'), 'AL', 'ER'))).get('MSA-1'), 'CA');
    assert.equal((await sendForAck(client, adt(ADT, 'A08', PERSON_1, 'E-3', '20240301100000'))).get('MSA-1'), 'AA');
    await waitFor('E-2 to be settled', async () => (await ackRow('E-2'))?.state === 'not-wanted');
    await waitFor('E-3 to be processed', async () => (await db().selectFrom('gateway_messages').select('state').where('control_id', '=', 'E-3').executeTakeFirst())?.state === 'processed');
    assert.equal(await ackRow('E-3'), undefined, 'original mode: the one ACK was the answer on the connection');
    assert.ok(!receiver.frames.some((f) => f.includes('|E-2') || f.includes('|E-3')));
  });

  it('sends AE for a message that could not be processed, with the reason and never its content', T, async () => {
    assert.equal((await sendForAck(client, enhanced(adt(ADT, 'A04', PERSON_2, 'E-4', '20240301110000'), 'AL', 'AL'))).get('MSA-1'), 'CA');
    await waitFor('E-4 to be acknowledged', async () => (await ackRow('E-4'))?.state === 'sent');
    // As if the worker had given up on it: the acknowledgment follows the state the message ended in.
    await db().deleteFrom('gateway_app_acks').where('message_id', 'in', db().selectFrom('gateway_messages').select('id').where('control_id', '=', 'E-4')).execute();
    await db().updateTable('gateway_messages').set({ state: 'quarantined', reason_code: 'unmappable', reason: 'PID-3 carries no identifier the profile maps.' }).where('control_id', '=', 'E-4').execute();
    const { enqueueApplicationAcks } = await import('../../src/gateway/application-acks.ts');
    const id = (await db().selectFrom('gateway_messages').select('id').where('control_id', '=', 'E-4').executeTakeFirstOrThrow()).id;
    await enqueueApplicationAcks(db(), [id]);
    await waitFor('the AE', async () => receiver.frames.some((f) => f.includes('MSA|AE|E-4')));
    const frame = receiver.frames.find((f) => f.includes('MSA|AE|E-4'))!;
    assert.match(frame, /ERR\|.*PID-3 carries no identifier the profile maps\./);
    assert.ok(!frame.includes(PERSON_2.family) && !frame.includes(PERSON_2.mrn), 'the acknowledgment never quotes the patient');
  });

  it('sends AA after AE when an operator reprocesses the message and it is processed, and nothing more on a replay', T, async () => {
    assert.equal((await sendForAck(client, enhanced(adt(ADT, 'A04', PERSON_2, 'E-6', '20240301113000'), 'AL', 'AL'))).get('MSA-1'), 'CA');
    await waitFor('E-6 to be acknowledged', async () => (await ackRow('E-6'))?.state === 'sent');
    const id = (await db().selectFrom('gateway_messages').select('id').where('control_id', '=', 'E-6').executeTakeFirstOrThrow()).id;
    // As if it had failed and the sender had been told so: the AE is what the sender last heard.
    const { enqueueApplicationAcks } = await import('../../src/gateway/application-acks.ts');
    await db().deleteFrom('gateway_app_acks').where('message_id', '=', id).execute();
    await db().updateTable('gateway_messages').set({ state: 'quarantined', reason_code: 'unmappable', reason: 'PID-3 carries no identifier the profile maps.' }).where('id', '=', id).execute();
    await enqueueApplicationAcks(db(), [id]);
    await waitFor('the AE', async () => (await ackRow('E-6'))?.state === 'sent' && receiver.frames.some((f) => f.includes('MSA|AE|E-6')));

    const { OperatorConsole } = await import('../../src/gateway/operator-console.ts');
    const operator = new OperatorConsole(t.vigil.store, t.vigil.gateway.registry, t.vigil.gateway.archive);
    assert.deepEqual((await operator.reprocess(OPERATOR, OPERATOR_FACTS, [id])).queued, [id]);
    await waitFor('the AA that follows the AE', async () => receiver.frames.some((f) => f.includes('MSA|AA|E-6')));
    await waitFor('the row to say AA sent', async () => {
      const row = await ackRow('E-6');
      return row?.state === 'sent' && row.ack_code === 'AA';
    });
    assert.deepEqual((await steps('E-6')).filter((s) => s === 'application-ack-sent').length, 3, 'AA, AE, then AA again, each on the timeline');

    // Worked once more with the same outcome: the sender already has its answer.
    const before = receiver.frames.length;
    await operator.replay(OPERATOR, OPERATOR_FACTS, 'east-adt', '2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z');
    await waitFor('the replayed messages to be worked', async () => (await db().selectFrom('gateway_messages').select('state').where('control_id', '=', 'E-6').executeTakeFirstOrThrow()).state === 'processed' && (await steps('E-6')).filter((s) => s === 'processed').length === 3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.frames.slice(before).filter((f) => f.includes('|E-6')).length, 0, 'no second AA for a replay that ended as before');
  });

  it('retries a receiver that refuses, and marks the acknowledgment failed on the timeline after the last attempt', T, async () => {
    receiver.answer = 'CR';
    assert.equal((await sendForAck(client, enhanced(adt(ADT, 'A08', PERSON_1, 'E-5', '20240301120000'), 'AL', 'AL'))).get('MSA-1'), 'CA');
    await waitFor('E-5 to fail', async () => (await ackRow('E-5'))?.state === 'failed', 30_000);
    const row = (await ackRow('E-5'))!;
    assert.equal(row.attempts, 2);
    assert.match(row.last_error ?? '', /answered CR/);
    assert.ok((await steps('E-5')).includes('application-ack-failed'));
    assert.equal(receiver.frames.filter((f) => f.includes('MSA|AA|E-5')).length, 2, 'sent once per attempt');
    receiver.answer = 'CA';
  });

  it('retries a receiver that is not listening, then fails, without holding up the sender or the worker', T, async () => {
    assert.equal((await sendForAck(client, enhanced(adt(DOWN, 'A04', PERSON_2, 'W-1', '20240301130000'), 'AL', 'AL'))).get('MSA-1'), 'CA');
    await waitFor('W-1 to fail', async () => (await ackRow('W-1'))?.state === 'failed', 30_000);
    assert.match((await ackRow('W-1'))!.last_error ?? '', /cannot connect to 127\.0\.0\.1:\d+/);
    assert.equal((await db().selectFrom('gateway_messages').select('state').where('control_id', '=', 'W-1').executeTakeFirstOrThrow()).state, 'processed', 'the message itself is processed');
  });
});
