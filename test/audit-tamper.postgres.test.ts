import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { canonicalBytes, checkpointMessage, recordFromRow } from '../src/controls/audit/canonical.ts';
import { leafHash } from '../src/controls/audit/merkle.ts';
import { checkpointView } from '../src/controls/audit/proofs.ts';
import { chainHash, sealPending } from '../src/controls/audit/sealer.ts';
import { formatProblem, parsePublicKeys, verifyLive, type LiveVerifyOptions } from '../src/controls/audit/verify.ts';
import { signingKeyId } from '../src/controls/keys/signing-keys.ts';
import type { Store } from '../src/store/store.ts';
import { testSigningKeys, writeEvents } from './support/audit-fixtures.ts';
import { CANARY_PATIENT } from './support/canaries.ts';
import { createTestDatabase, type TestDatabase } from './support/test-db.ts';

/**
 * The tamper suite against a real PostgreSQL server, as someone with the database owner's rights (the application's
 * role cannot UPDATE or DELETE the audit tables at all: audit-grants.postgres.test.ts). Every change is caught by
 * `verify --live`, which names where.
 */
interface Log {
  db: TestDatabase;
  store: Store;
  pem: string;
}

// 12 events sealed in batches of 3: sealer states at 3, 6, 9, 12 and checkpoints at 6 and 12.
async function withLog(fn: (log: Log) => Promise<void>): Promise<void> {
  const db = await createTestDatabase();
  const store = await db.open();
  try {
    const keys = testSigningKeys();
    await writeEvents(store, 12);
    for (let i = 0; i < 5; i++) await sealPending(store, keys, { checkpointEvents: 4, checkpointSeconds: 3600, batchSize: 3 });
    const pem = (await keys.publicKeys(store.db)).map((k) => k.publicKeyPem).join('');
    const intact = await verifyLive(store);
    assert.equal(intact.ok, true, intact.problems.map(formatProblem).join('; '));
    assert.equal(intact.events, 12);
    assert.equal(intact.checkpoints, 2);
    await fn({ db, store, pem });
  } finally {
    await store.close();
    await db.dispose();
  }
}

async function problems(store: Store, options: LiveVerifyOptions = {}): Promise<string[]> {
  const report = await verifyLive(store, options);
  assert.equal(report.ok, false, 'the tampering is detected');
  const lines = report.problems.map(formatProblem);
  for (const line of lines) assert.ok(!line.includes(CANARY_PATIENT.family), 'reports never carry event content');
  return lines;
}

async function eventAt(store: Store, seq: number): Promise<string> {
  return (await store.db.selectFrom('audit.seals').select('event_id').where('seq', '=', String(seq)).executeTakeFirstOrThrow()).event_id;
}

function cli(args: string[], databaseUrl: string) {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('VIGIL_') && k !== 'DATABASE_URL') base[k] = v;
  const r = spawnSync(process.execPath, [resolve('bin/vigil.mjs'), ...args], { env: { ...base, LOG_LEVEL: 'silent', VIGIL_ENV: 'test', DATABASE_URL: databaseUrl }, encoding: 'utf8', timeout: 120_000 });
  const logs = resolve(process.env.VIGIL_TEST_OUTPUT ?? 'test-output', 'logs');
  mkdirSync(logs, { recursive: true });
  writeFileSync(join(logs, 'audit-tamper-cli.log'), `${r.stdout}\n${r.stderr}`, { flag: 'a' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('tamper: one field of one event changed is named by seq, and `vigil audit verify --live` exits 1 saying so', async () => {
  await withLog(async ({ db, store }) => {
    await sql`update audit.events set outcome = 'denied' where id = ${await eventAt(store, 4)}`.execute(store.db);
    assert.deepEqual(await problems(store), ['seq 4: the event does not match its leaf hash: the event row was altered']);
    // A change below the millisecond, which the hash cannot see through a JS Date, is caught too.
    await sql`update audit.events set recorded_at = recorded_at + interval '3 microseconds' where id = ${await eventAt(store, 7)}`.execute(store.db);
    assert.deepEqual((await problems(store))[1], 'seq 7: recorded_at has sub-millisecond digits Vigil never writes: the event row was altered');

    const r = cli(['audit', 'verify', '--live'], db.databaseUrl!);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.split('\n')[0], 'vigil: the audit log does not verify: seq 4: the event does not match its leaf hash: the event row was altered');
    assert.match(r.stderr, /\n {2}also seq 7: recorded_at has sub-millisecond digits/);
  });
});

test('tamper: a deleted event (with its seal, or alone) is named', async () => {
  await withLog(async ({ store }) => {
    const id = await eventAt(store, 5);
    await store.tx(async (trx) => {
      await sql`delete from audit.seals where seq = 5`.execute(trx);
      await sql`delete from audit.events where id = ${id}`.execute(trx);
    });
    assert.equal((await problems(store))[0], 'seq 5: seal 5 is missing: events were deleted');
  });
  await withLog(async ({ store }) => {
    // Past the foreign key, as only a superuser can: the seal stays, its event goes.
    const id = await eventAt(store, 2);
    await store.tx(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`delete from audit.events where id = ${id}`.execute(trx);
    });
    assert.deepEqual(await problems(store), ['seq 2: the sealed event row is missing: it was deleted']);
  });
});

test('tamper: an inserted event, whether left unsealed or slipped into the sequence, is named', async () => {
  await withLog(async ({ store }) => {
    const row = await store.db.selectFrom('audit.events').selectAll().where('id', '=', await eventAt(store, 0)).executeTakeFirstOrThrow();
    const forged = '01900000-0000-7000-8000-0000000f0001';
    await store.db.insertInto('audit.events').values({ ...row, id: forged, query: JSON.stringify(row.query), details: null }).execute();
    assert.deepEqual(await problems(store), [`event ${forged}: it has neither a seal nor a pending row: it was inserted outside Vigil, or its seal was removed`]);
  });
  await withLog(async ({ store }) => {
    // A careful forger: a new event at seq 5 with correct leaf and chain hashes, later seals moved up by one.
    const row = await store.db.selectFrom('audit.events').selectAll().where('id', '=', await eventAt(store, 0)).executeTakeFirstOrThrow();
    const forged = { ...row, id: '01900000-0000-7000-8000-0000000f0002' };
    const leaf = leafHash(canonicalBytes(recordFromRow(forged)));
    const prev = await store.db.selectFrom('audit.seals').select('chain_hash').where('seq', '=', '4').executeTakeFirstOrThrow();
    await store.tx(async (trx) => {
      await trx.insertInto('audit.events').values({ ...forged, query: JSON.stringify(row.query), details: null }).execute();
      await sql`update audit.seals set seq = seq + 1000 where seq >= 5`.execute(trx);
      await sql`update audit.seals set seq = seq - 999 where seq >= 1000`.execute(trx);
      await sql`insert into audit.seals (seq, event_id, leaf_hash, chain_hash) values (5, ${forged.id}, ${leaf}, ${chainHash(prev.chain_hash, leaf)})`.execute(trx);
    });
    const found = await problems(store);
    assert.equal(found[0], 'sealer state 6: it does not match the seals before it: the sealer state was altered');
    assert.ok(found.includes('seq 6: the chain hash does not follow from the previous seal: seals were altered, inserted or removed'), found.join('\n'));
    assert.ok(found.includes('checkpoint 6: the root hash does not match the events before it: the log was altered'), found.join('\n'));
  });
});

test('tamper: two events swapped in the sequence are both named', async () => {
  await withLog(async ({ store }) => {
    // Swap which event each of two seals points at (one event per seal is enforced, so through a placeholder).
    const a = await eventAt(store, 3);
    const b = await eventAt(store, 8);
    await store.tx(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await sql`update audit.seals set event_id = ${'01900000-0000-7000-8000-0000000fffff'} where seq = 3`.execute(trx);
      await sql`update audit.seals set event_id = ${a} where seq = 8`.execute(trx);
      await sql`update audit.seals set event_id = ${b} where seq = 3`.execute(trx);
    });
    assert.deepEqual(await problems(store), ['seq 3: the event does not match its leaf hash: the event row was altered', 'seq 8: the event does not match its leaf hash: the event row was altered']);
  });
});

test('tamper: a cut tail is named; with its checkpoints removed too, a witnessed checkpoint still shows it', async () => {
  await withLog(async ({ store }) => {
    const ids = [await eventAt(store, 10), await eventAt(store, 11)];
    await store.tx(async (trx) => {
      await sql`delete from audit.seals where seq >= 10`.execute(trx);
      await trx.deleteFrom('audit.events').where('id', 'in', ids).execute();
    });
    assert.deepEqual(await problems(store), ['end of log: the sealer state or a checkpoint covers 12 events but the log ends at 10: the tail was cut']);
  });
  await withLog(async ({ store, pem }) => {
    const witness = checkpointView(await store.db.selectFrom('audit.checkpoints').selectAll().orderBy('tree_size', 'desc').limit(1).executeTakeFirstOrThrow());
    const ids = [await eventAt(store, 9), await eventAt(store, 10), await eventAt(store, 11)];
    await store.tx(async (trx) => {
      await sql`delete from audit.checkpoints where tree_size > 9`.execute(trx);
      await sql`delete from audit.seal_batches where tree_size > 9`.execute(trx);
      await sql`delete from audit.seals where seq >= 9`.execute(trx);
      await trx.deleteFrom('audit.events').where('id', 'in', ids).execute();
    });
    // Without outside evidence a clean cut looks like a shorter log; the saved checkpoint is that evidence.
    assert.equal((await verifyLive(store)).ok, true);
    assert.deepEqual(await problems(store, { witnesses: [witness], publicKeys: parsePublicKeys(pem) }), [
      'end of log: the sealer state or a checkpoint covers 12 events but the log ends at 9: the tail was cut',
    ]);
  });
});

test('tamper: a checkpoint forged with another key is refused; pinning the public keys also refuses a key added to the table', async () => {
  await withLog(async ({ store, pem }) => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const keyId = signingKeyId(publicKey);
    const last = await store.db.selectFrom('audit.checkpoints').selectAll().where('tree_size', '=', '12').executeTakeFirstOrThrow();
    const forge = (treeSize: number, rootHash: Uint8Array, chain: Uint8Array) =>
      sign(null, checkpointMessage({ treeSize, rootHash, chainHash: chain, issuedAt: last.issued_at, keyId }), privateKey);
    // Re-sign the real checkpoint 12 under the forger's key.
    await sql`update audit.checkpoints set key_id = ${keyId}, signature = ${forge(12, last.root_hash, last.chain_hash)} where tree_size = 12`.execute(store.db);
    assert.deepEqual(await problems(store), [`checkpoint 12: signed by key ${keyId}, which is not among the public keys: the checkpoint was forged, or the key file is not this log's`]);

    // The forger adds their public key to the table as well: the database now vouches for it; pinned keys do not.
    await store.db
      .insertInto('signing_keys')
      .values({ key_id: keyId, public_key_spki: publicKey.export({ type: 'spki', format: 'der' }), private_kek_id: 'none', private_key_wrapped: Buffer.alloc(1), retired_at: new Date(), purpose: 'audit' })
      .execute();
    assert.equal((await verifyLive(store)).ok, true);
    assert.deepEqual(await problems(store, { publicKeys: parsePublicKeys(pem) }), [
      `checkpoint 12: signed by key ${keyId}, which is not among the public keys: the checkpoint was forged, or the key file is not this log's`,
    ]);
  });
});

test('tamper: an audit public key replaced in the table is named, and so is every checkpoint it signed', async () => {
  await withLog(async ({ store }) => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const [real] = await store.db.selectFrom('signing_keys').select('key_id').where('purpose', '=', 'audit').execute();
    await sql`update signing_keys set public_key_spki = ${publicKey.export({ type: 'spki', format: 'der' })} where key_id = ${real!.key_id}`.execute(store.db);
    assert.deepEqual(await problems(store), [
      `signing key ${real!.key_id}: its stored public key does not match its key id: the key was replaced`,
      `checkpoint 6: signed by key ${real!.key_id}, which is not among the public keys: the checkpoint was forged, or the key file is not this log's`,
      `checkpoint 12: signed by key ${real!.key_id}, which is not among the public keys: the checkpoint was forged, or the key file is not this log's`,
    ]);
  });
});
