import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { sql, type KyselyPlugin } from 'kysely';
import { ArchiveKeys } from '../../src/controls/keys/archive-keys.ts';
import { LocalKeyring } from '../../src/controls/keys/keyring.ts';
import { GroupCommit } from '../../src/gateway/group-commit.ts';
import { Hl7Intake } from '../../src/gateway/hl7-intake.ts';
import { storeArrivals, type Arrival } from '../../src/gateway/inbox.ts';
import { startMllpServer, type MllpServer } from '../../src/gateway/mllp/index.ts';
import { SourceRegistry } from '../../src/gateway/sources.ts';
import type { Store } from '../../src/store/store.ts';
import { adt, NORTH, PERSON_1, PERSON_2 } from '../support/hl7-builder.ts';
import { RawMllpClient } from '../support/raw-mllp-client.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-db.ts';

/**
 * Group commit at intake: messages arriving together are stored by one statement and one commit, every sender is
 * answered only after the commit that holds its message, a repeat stores nothing, and a batch that fails acknowledges
 * none of its messages.
 */
let db: TestDatabase;
let store: Store;
let archive: ArchiveKeys;
let registry: SourceRegistry;
let sourceId: string;
let servers: MllpServer[] = [];
let clients: RawMllpClient[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  store = await db.open();
  archive = new ArchiveKeys(LocalKeyring.single(randomBytes(32)));
  registry = new SourceRegistry();
  sourceId = (await store.tx((trx) => registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: NORTH.app, msh4: NORTH.facility, profile: { timeZone: 'America/New_York' } }, { actorName: 'test' }))).id;
});

afterEach(async () => {
  for (const c of clients) c.socket.destroy();
  for (const s of servers) await s.close();
  clients = [];
  servers = [];
  await store.close().catch(() => undefined);
  await db.dispose();
});

const control = (connection: number, n: number) => `GC-${connection}-${n}`;

function arrival(text: string, controlId: string | null, extra: Partial<Arrival> = {}): Arrival {
  return { sourceId, transport: 'mllp', peer: null, raw: Buffer.from(text), messageType: 'ADT^A04', controlId, profileVersion: 1, ackCode: 'AA', actor: 'test', ...extra };
}

async function listen(intake: Hl7Intake): Promise<number> {
  const server = await startMllpServer({ port: 0, idleTimeoutMs: 30_000, maxMessageBytes: 1 << 20, handler: intake.handle, ackIdentity: { application: 'VIGIL', facility: 'VIGIL' } });
  servers.push(server);
  return server.port;
}

async function connect(port: number, n: number): Promise<RawMllpClient[]> {
  const opened = await Promise.all(Array.from({ length: n }, () => RawMllpClient.connect(port)));
  clients.push(...opened);
  return opened;
}

async function countRows(): Promise<{ messages: number; received: number; commits: number }> {
  const r = await sql<{ messages: string; received: string; commits: string }>`
    SELECT (SELECT count(*) FROM gateway_messages) AS messages,
           (SELECT count(*) FROM gateway_message_events WHERE step = 'received') AS received,
           (SELECT count(DISTINCT received_at) FROM gateway_messages) AS commits`.execute(store.db);
  const row = r.rows[0]!;
  return { messages: Number(row.messages), received: Number(row.received), commits: Number(row.commits) };
}

describe('group commit at intake', () => {
  it('stores arrivals of the same moment in one commit, each with its own row, key and first timeline step', async () => {
    const commit = new GroupCommit(archive);
    const texts = Array.from({ length: 20 }, (_, i) => adt(NORTH, 'A04', i % 2 ? PERSON_1 : PERSON_2, control(0, i), '20240301083000'));
    const stored = await Promise.all(texts.map((text, i) => commit.store(store.db, arrival(text, control(0, i)))));
    assert.equal(new Set(stored.map((s) => s.id)).size, 20, 'one inbox message each');
    assert.ok(stored.every((s) => !s.duplicate));
    assert.deepEqual(await countRows(), { messages: 20, received: 20, commits: 1 });
    // Each raw copy decrypts to exactly what was sent, under the source's key for the month.
    const rows = await store.db.selectFrom('gateway_messages').select(['id', 'archive_key_id', 'raw', 'control_id']).execute();
    assert.equal(new Set(rows.map((r) => r.archive_key_id)).size, 1);
    for (const row of rows) {
      const i = Number(row.control_id!.split('-')[2]);
      assert.equal((await archive.decrypt(store.db, row.archive_key_id, row.id, row.raw)).toString(), texts[i]);
    }
  });

  it('splits a crowd into batches of at most maxBatch messages, every one of them stored', async () => {
    const commit = new GroupCommit(archive, { maxBatch: 5, maxInFlight: 1 });
    const stored = await Promise.all(Array.from({ length: 12 }, (_, i) => commit.store(store.db, arrival(adt(NORTH, 'A04', PERSON_1, control(1, i), '20240301083000'), control(1, i)))));
    assert.equal(new Set(stored.map((s) => s.id)).size, 12);
    assert.deepEqual(await countRows(), { messages: 12, received: 12, commits: 3 });
    assert.throws(() => new GroupCommit(archive, { maxBatch: 0 }), RangeError);
    assert.throws(() => new GroupCommit(archive, { maxInFlight: 0 }), RangeError);
  });

  it('a repeat in the same batch, or of a message stored before, stores nothing and answers with the first message', async () => {
    const text = adt(NORTH, 'A04', PERSON_1, 'REPEAT-1', '20240301083000');
    const [first, again] = await storeArrivals(store.db, archive, [arrival(text, 'REPEAT-1'), arrival(text, 'REPEAT-1')]);
    assert.equal(first!.duplicate, false);
    assert.deepEqual(again, { id: first!.id, duplicate: true });
    const [later, other] = await storeArrivals(store.db, archive, [arrival(text, 'REPEAT-1'), arrival(`${text}OBX|1\r`, 'REPEAT-1')]);
    assert.deepEqual(later, { id: first!.id, duplicate: true });
    assert.equal(other!.duplicate, false, 'the same control id with other content is another message');
    const steps = await store.db.selectFrom('gateway_message_events').select('step').where('message_id', '=', first!.id).orderBy('id').execute();
    assert.deepEqual(steps.map((s) => s.step), ['received', 'delivered-again', 'delivered-again']);
    assert.equal((await countRows()).messages, 2);
  });

  it('never folds together arrivals without a control id, or an operator correction and its original', async () => {
    const text = 'not parseable at all';
    const stored = await storeArrivals(store.db, archive, [arrival(text, null, { sourceId: null, quarantine: { code: 'parse-x', reason: 'r' } }), arrival(text, null, { sourceId: null, quarantine: { code: 'parse-x', reason: 'r' } })]);
    assert.equal(new Set(stored.map((s) => s.id)).size, 2);
    const original = stored[0]!.id;
    const [fixed, fixedAgain] = await storeArrivals(store.db, archive, [arrival(text, 'C-1', { corrects: original }), arrival(text, 'C-1', { corrects: original })]);
    assert.ok(!fixed!.duplicate && !fixedAgain!.duplicate && fixed!.id !== fixedAgain!.id);
  });

  it('answers many connections at once, each in order, every message stored once before its AA', async () => {
    const intake = new Hl7Intake(() => store, registry, archive, null);
    const port = await listen(intake);
    const lanes = await connect(port, 8);
    const perLane = 6;
    // Every connection pipelines its messages: the answers must come back in the order they were sent.
    lanes.forEach((lane, k) => {
      for (let n = 0; n < perLane; n++) lane.send(adt(NORTH, 'A04', k % 2 ? PERSON_1 : PERSON_2, control(k, n), '20240301083000', `V${k}${n}`));
    });
    const acks = await Promise.all(lanes.map((lane) => lane.waitForAcks(perLane, 20_000)));
    acks.forEach((list, k) => {
      assert.deepEqual(list.map((a) => a.get('MSA-2')), Array.from({ length: perLane }, (_, n) => control(k, n)), `connection ${k}: ACKs in order`);
      assert.deepEqual([...new Set(list.map((a) => a.get('MSA-1')))], ['AA']);
    });
    const rows = await countRows();
    assert.equal(rows.messages, 8 * perLane);
    assert.equal(rows.received, 8 * perLane);
    assert.ok(rows.commits < rows.messages, `messages shared commits (${rows.commits} commits for ${rows.messages} messages)`);
  });

  it('the database going away mid-batch acknowledges none of the batch, and stores nothing', async () => {
    // The pool is closed at the moment the batch's statement is built: after the messages were taken into the batch,
    // before the database has them.
    let batches = 0;
    let closing: Promise<void> | undefined;
    const failing: KyselyPlugin = {
      transformQuery(args) {
        if (args.node.kind === 'RawNode' && JSON.stringify(args.node).includes('INSERT INTO gateway_messages')) {
          batches++;
          closing ??= store.close();
        }
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const broken: Store = { ...store, db: store.db.withPlugin(failing) };
    const intake = new Hl7Intake(() => broken, registry, archive, null);
    const port = await listen(intake);
    const lanes = await connect(port, 6);
    lanes.forEach((lane, k) => lane.send(adt(NORTH, 'A04', PERSON_1, control(k, 0), '20240301083000')));
    const answers = await Promise.all(
      lanes.map(async (lane) => {
        try {
          return (await lane.waitForAcks(1, 20_000))[0]!.get('MSA-1');
        } catch {
          return 'closed';
        }
      }),
    );
    assert.ok(batches >= 1, 'a batch reached the database');
    assert.ok(!answers.includes('AA'), `no positive ACK (${answers.join(', ')})`);
    assert.deepEqual(answers, Array(6).fill('AE'), 'every sender is told its message was not accepted, so it sends it again');
    await closing;
    // Nothing was stored: reopen the database and look.
    store = await db.open();
    assert.deepEqual(await countRows(), { messages: 0, received: 0, commits: 0 });
  });

  it('a failing batch does not take the next one down: senders answered AE may send again and get AA', async () => {
    let fail = true;
    const flaky: KyselyPlugin = {
      transformQuery(args) {
        if (fail && args.node.kind === 'RawNode' && JSON.stringify(args.node).includes('INSERT INTO gateway_messages')) {
          fail = false;
          throw new Error('injected: connection lost');
        }
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const intake = new Hl7Intake(() => ({ ...store, db: store.db.withPlugin(flaky) }), registry, archive, null);
    const port = await listen(intake);
    const [lane] = await connect(port, 1);
    const text = adt(NORTH, 'A04', PERSON_2, 'RETRY-1', '20240301083000');
    lane!.send(text);
    assert.equal((await lane!.waitForAcks(1, 10_000))[0]!.get('MSA-1'), 'AE');
    lane!.send(text);
    const second = (await lane!.waitForAcks(2, 10_000))[1]!;
    assert.equal(second.get('MSA-1'), 'AA');
    assert.equal(second.get('MSA-2'), 'RETRY-1');
    assert.deepEqual(await countRows(), { messages: 1, received: 1, commits: 1 });
  });
});
