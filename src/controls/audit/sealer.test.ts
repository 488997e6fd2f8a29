import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { sql } from 'kysely';
import { SEAL, manualClock, testSigningKeys, withFreshStore, writeEvents } from '../../../test/support/audit-fixtures.ts';
import { createMetrics } from '../../observability/metrics.ts';
import { canonicalBytes, checkpointMessage, recordFromRow } from './canonical.ts';
import { MerkleAccumulator, leafHash, rootFromLeafHashes, type MerkleAccumulatorState } from './merkle.ts';
import { AuditSealStateError, AuditSealer, GENESIS_CHAIN, chainHash, sealPending } from './sealer.ts';

test('sealing gives every pending event one seal, seq from 0 without gaps, chained hashes and a saved tree state', async () => {
  await withFreshStore(async (store) => {
    const keys = testSigningKeys();
    await writeEvents(store, 7);
    const order = await store.db.selectFrom('audit.pending').select('event_id').orderBy('recorded_at').orderBy('event_id').execute();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await sealPending(store, keys, { ...SEAL, batchSize: 3 }));
    assert.deepEqual(results.map((r) => r.sealed), [3, 3, 1, 0]);
    assert.deepEqual(results.map((r) => r.treeSize), [3, 6, 7, 7]);

    const seals = await store.db.selectFrom('audit.seals as s').innerJoin('audit.events as e', 'e.id', 's.event_id').selectAll('e').select(['s.seq', 's.leaf_hash', 's.chain_hash']).orderBy('s.seq').execute();
    assert.deepEqual(seals.map((s) => Number(s.seq)), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(seals.map((s) => s.id), order.map((o) => o.event_id), 'sealed in the order they were recorded');
    let chain: Buffer = Buffer.from(GENESIS_CHAIN);
    for (const s of seals) {
      const leaf = leafHash(canonicalBytes(recordFromRow(s)));
      assert.ok(leaf.equals(Buffer.from(s.leaf_hash)));
      chain = chainHash(chain, leaf);
      assert.ok(chain.equals(Buffer.from(s.chain_hash)));
    }
    const batches = await store.db.selectFrom('audit.seal_batches').selectAll().orderBy('tree_size').execute();
    assert.deepEqual(batches.map((b) => Number(b.tree_size)), [3, 6, 7]);
    const last = MerkleAccumulator.fromJSON(batches.at(-1)!.frontier as MerkleAccumulatorState);
    assert.ok(last.root().equals(rootFromLeafHashes(seals.map((s) => s.leaf_hash))));
    assert.equal((await store.db.selectFrom('audit.pending').selectAll().execute()).length, 0);
  });
});

test('a checkpoint is signed at least every N events, over the root of exactly those events', async () => {
  await withFreshStore(async (store) => {
    const keys = testSigningKeys();
    const options = { checkpointEvents: 5, checkpointSeconds: 3600, batchSize: 2, now: manualClock().now };
    await writeEvents(store, 13);
    for (let i = 0; i < 8; i++) await sealPending(store, keys, options);
    const checkpoints = await store.db.selectFrom('audit.checkpoints').selectAll().orderBy('tree_size').execute();
    // Batches of 2: a checkpoint falls on the first batch that reaches 5 events since the last one.
    assert.deepEqual(checkpoints.map((c) => Number(c.tree_size)), [6, 12]);
    const leaves = (await store.db.selectFrom('audit.seals').select('leaf_hash').orderBy('seq').execute()).map((r) => r.leaf_hash);
    const [publicKey] = await keys.publicKeys(store.db);
    for (const c of checkpoints) {
      const size = Number(c.tree_size);
      assert.ok(Buffer.from(c.root_hash).equals(rootFromLeafHashes(leaves.slice(0, size))));
      const message = checkpointMessage({ treeSize: size, rootHash: c.root_hash, chainHash: c.chain_hash, issuedAt: c.issued_at, keyId: c.key_id });
      assert.ok(verify(null, message, createPublicKey(publicKey!.publicKeyPem), c.signature), 'the signature verifies with the published key');
      assert.equal(c.key_id, publicKey!.keyId);
    }
  });
});

test('a checkpoint is signed once T seconds have passed with new events since the last one, and not without', async () => {
  await withFreshStore(async (store) => {
    const keys = testSigningKeys();
    const clock = manualClock();
    const options = { checkpointEvents: 1000, checkpointSeconds: 10, now: clock.now };
    const sizes = async () => (await store.db.selectFrom('audit.checkpoints').select('tree_size').orderBy('tree_size').execute()).map((r) => Number(r.tree_size));

    await writeEvents(store, 1);
    assert.equal((await sealPending(store, keys, options)).checkpoint, null, 'a first event alone does not wait for nothing');
    clock.advance(5);
    await writeEvents(store, 1);
    assert.equal((await sealPending(store, keys, options)).checkpoint, null);
    clock.advance(5);
    assert.equal((await sealPending(store, keys, options)).checkpoint, 2, '10 s after the first seal, with nothing new pending');
    clock.advance(2);
    await writeEvents(store, 1);
    assert.equal((await sealPending(store, keys, options)).checkpoint, null);
    clock.advance(10);
    assert.equal((await sealPending(store, keys, options)).checkpoint, 3);
    clock.advance(60);
    assert.equal((await sealPending(store, keys, options)).checkpoint, null, 'no new events, no new checkpoint');
    assert.deepEqual(await sizes(), [2, 3]);
  });
});

test('two sealers running at once on one store seal every event exactly once', async () => {
  await withFreshStore(async (store) => {
    const keys = testSigningKeys();
    const ids = await writeEvents(store, 40);
    const run = async () => {
      for (let i = 0; i < 30; i++) await sealPending(store, keys, { ...SEAL, batchSize: 3 });
    };
    await Promise.all([run(), run()]);
    const seals = await store.db.selectFrom('audit.seals').select(['seq', 'event_id']).orderBy('seq').execute();
    assert.deepEqual(seals.map((s) => Number(s.seq)), [...Array(40).keys()]);
    assert.deepEqual(new Set(seals.map((s) => s.event_id)), new Set(ids));
  });
});

test('a sealer whose saved state disagrees with the seals stops with an actionable error and seals nothing', async () => {
  await withFreshStore(async (store) => {
    const keys = testSigningKeys();
    await writeEvents(store, 3);
    await sealPending(store, keys, SEAL);
    await writeEvents(store, 1);
    // As the database owner (the application role cannot): a seal the sealer did not write.
    const [extra] = await writeEvents(store, 1);
    await store.db.deleteFrom('audit.pending').where('event_id', '=', extra!).execute();
    await sql`insert into audit.seals (seq, event_id, leaf_hash, chain_hash) values (3, ${extra}, ${Buffer.alloc(32)}, ${Buffer.alloc(32)})`.execute(store.db);
    await assert.rejects(sealPending(store, keys, SEAL), (err: unknown) => err instanceof AuditSealStateError && /vigil audit verify --live/.test(err.message));
    assert.equal((await store.db.selectFrom('audit.pending').selectAll().execute()).length, 1, 'the pending event waits');
  });
});

test('the sealer loop seals behind writers, reports the unsealed tail and seal lag, and stops after its batch', async () => {
  await withFreshStore(async (store) => {
    const metrics = createMetrics();
    const sealer = new AuditSealer(store, testSigningKeys(), { ...SEAL, intervalMs: 20, metrics });
    sealer.start();
    try {
      await writeEvents(store, 25);
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const n = await store.db.selectFrom('audit.seals').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
        if (Number(n.n) === 25 && (await metrics.auditUnsealed.get()).values[0]?.value === 0) break;
        await sleep(25);
      }
    } finally {
      assert.deepEqual(await sealer.stop(5_000), { drained: true });
    }
    assert.equal((await metrics.auditUnsealed.get()).values[0]?.value, 0);
    const lag = (await metrics.auditSealLag.get()).values.find((v) => v.metricName === 'vigil_audit_seal_lag_seconds_count');
    assert.equal(lag?.value, 25);
    const text = await metrics.registry.metrics();
    assert.match(text, /vigil_audit_unsealed_events 0/);
    assert.match(text, /vigil_audit_seal_lag_seconds_bucket/);
  });
});
