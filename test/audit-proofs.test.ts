import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { checkpointMessage } from '../src/controls/audit/canonical.ts';
import { verifyConsistency, verifyInclusion } from '../src/controls/audit/merkle.ts';
import type { CheckpointView, ConsistencyProofView, InclusionProofView } from '../src/controls/audit/proofs.ts';
import { loadKeyring } from '../src/controls/keys/keyring.ts';
import { SigningKeys } from '../src/controls/keys/signing-keys.ts';
import { buildAccessFixture, signIn } from './support/access-fixture.ts';
import { writeEvents } from './support/audit-fixtures.ts';
import { startTestVigil, type TestVigil } from './support/in-process.ts';
import { testConfig } from './support/test-db.ts';

/**
 * The proof API, checked the way an outside auditor would: with the published public key and an RFC 6962 verifier,
 * trusting nothing else the server says.
 */
let vigil: TestVigil;
let token: string;
let eventIds: string[];
const b = (s: string) => Buffer.from(s, 'base64');

before(async () => {
  vigil = await startTestVigil({ overrides: { VIGIL_AUDIT_SEAL_INTERVAL_MS: '20', VIGIL_AUDIT_CHECKPOINT_EVENTS: '4', VIGIL_AUDIT_CHECKPOINT_SECONDS: '1' } });
  const fixture = await buildAccessFixture(vigil.vigil.store, testConfig(vigil.db), ['security-admin']);
  token = await signIn(vigil.url, fixture.people.get('security-admin')!);
  // Three rounds, each waited out, so that there are several checkpoints to prove between.
  eventIds = [];
  for (let round = 0; round < 3; round++) {
    eventIds.push(...(await writeEvents(vigil.vigil.store, 5)));
    await checkpointed();
  }
});

// Until every event is sealed and the latest checkpoint covers them all.
async function checkpointed(): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const pending = await vigil.vigil.store.db.selectFrom('audit.pending').select('event_id').execute();
    const latest = await get('/api/audit/checkpoints/latest');
    const size = latest.status === 200 ? ((await latest.json()) as CheckpointView).tree_size : (await latest.arrayBuffer(), 0);
    const sealed = await vigil.vigil.store.db.selectFrom('audit.seals').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    if (pending.length === 0 && size === Number(sealed.n)) return;
    if (Date.now() > deadline) throw new Error('the sealer did not checkpoint the events in time');
    await sleep(50);
  }
}
after(() => vigil?.close());

function get(path: string, auth = true) {
  return fetch(`${vigil.url}${path}`, auth ? { headers: { authorization: `Bearer ${token}` } } : {});
}

async function publicKeyPem(keyId: string): Promise<string> {
  const keys = await new SigningKeys(loadKeyring(testConfig(vigil.db)), 'audit').publicKeys(vigil.vigil.store.db);
  const key = keys.find((k) => k.keyId === keyId);
  assert.ok(key, 'the checkpoint names a published key');
  return key.publicKeyPem;
}

test('checkpoints are listed newest first, each signed by a published key over its tree size, root and chain', async () => {
  const res = await get('/api/audit/checkpoints');
  assert.equal(res.status, 200);
  const { checkpoints } = (await res.json()) as { checkpoints: CheckpointView[] };
  assert.ok(checkpoints.length >= 2);
  const sizes = checkpoints.map((c) => c.tree_size);
  assert.deepEqual(sizes, [...sizes].sort((x, y) => y - x));
  for (const c of checkpoints) {
    const message = checkpointMessage({ treeSize: c.tree_size, rootHash: b(c.root_hash), chainHash: b(c.chain_hash), issuedAt: new Date(c.issued_at), keyId: c.key_id });
    assert.ok(verify(null, message, createPublicKey(await publicKeyPem(c.key_id)), b(c.signature)), `checkpoint ${c.tree_size} verifies`);
  }
  const latest = (await (await get('/api/audit/checkpoints/latest')).json()) as CheckpointView;
  assert.deepEqual(latest, checkpoints[0]);
  const limited = (await (await get('/api/audit/checkpoints?limit=1')).json()) as { checkpoints: CheckpointView[] };
  assert.equal(limited.checkpoints.length, 1);
});

test('an inclusion proof ties an event to the latest checkpoint, or to an older one that covers it', async () => {
  const { checkpoints } = (await (await get('/api/audit/checkpoints')).json()) as { checkpoints: CheckpointView[] };
  const id = eventIds[2]!;
  const proof = (await (await get(`/api/audit/events/${id}/proof`)).json()) as InclusionProofView;
  assert.equal(proof.tree_size, checkpoints[0]!.tree_size);
  assert.ok(verifyInclusion(b(proof.leaf_hash), proof.leaf_index, proof.tree_size, proof.proof.map(b), b(checkpoints[0]!.root_hash)));
  // A proof is only as good as the root it is checked against: the wrong leaf does not verify.
  assert.equal(verifyInclusion(Buffer.alloc(32, 7), proof.leaf_index, proof.tree_size, proof.proof.map(b), b(checkpoints[0]!.root_hash)), false);

  const older = checkpoints.find((c) => c.tree_size > proof.leaf_index && c.tree_size < proof.tree_size);
  assert.ok(older, 'an older checkpoint covers the event');
  const old = (await (await get(`/api/audit/events/${id}/proof?tree_size=${older.tree_size}`)).json()) as InclusionProofView;
  assert.equal(old.tree_size, older.tree_size);
  assert.ok(verifyInclusion(b(old.leaf_hash), old.leaf_index, old.tree_size, old.proof.map(b), b(older.root_hash)));

  const early = checkpoints.at(-1)!;
  if (early.tree_size <= proof.leaf_index) {
    const res = await get(`/api/audit/events/${id}/proof?tree_size=${early.tree_size}`);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { detail: string }).detail, /ask for a larger tree_size/);
  }
  const missing = await get('/api/audit/events/01900000-0000-7000-8000-00000000ffff/proof');
  assert.equal(missing.status, 404);
  await missing.arrayBuffer();
  const noCheckpoint = await get(`/api/audit/events/${id}/proof?tree_size=3`);
  assert.equal(noCheckpoint.status, 404);
  await noCheckpoint.arrayBuffer();
});

test('a consistency proof shows a later checkpoint only appended to an earlier one', async () => {
  const { checkpoints } = (await (await get('/api/audit/checkpoints')).json()) as { checkpoints: CheckpointView[] };
  const newer = checkpoints[0]!;
  const older = checkpoints.at(-1)!;
  const res = await get(`/api/audit/consistency?from=${older.tree_size}&to=${newer.tree_size}`);
  assert.equal(res.status, 200);
  const proof = (await res.json()) as ConsistencyProofView;
  assert.deepEqual(proof.from, older);
  assert.deepEqual(proof.to, newer);
  assert.ok(verifyConsistency(older.tree_size, newer.tree_size, b(older.root_hash), b(newer.root_hash), proof.proof.map(b)));
  assert.equal(verifyConsistency(older.tree_size, newer.tree_size, Buffer.alloc(32), b(newer.root_hash), proof.proof.map(b)), false);

  const reversed = await get(`/api/audit/consistency?from=${newer.tree_size}&to=${older.tree_size}`);
  assert.equal(reversed.status, 400);
  await reversed.arrayBuffer();
  const missing = await get('/api/audit/consistency?from=1');
  assert.equal(missing.status, 400);
  await missing.arrayBuffer();
});

test('the proof routes need a credential and say nothing without one', async () => {
  for (const path of ['/api/audit/checkpoints', '/api/audit/checkpoints/latest', `/api/audit/events/${eventIds[0]}/proof`, '/api/audit/consistency?from=1&to=2']) {
    const res = await get(path, false);
    assert.equal(res.status, 401, path);
    assert.doesNotMatch(await res.text(), /root_hash|leaf_hash/);
  }
  const routes = vigil.vigil.app!.routes.filter((r) => r.url.startsWith('/api/audit/') && r.method === 'GET');
  for (const r of routes.filter((x) => /checkpoints|proof|consistency/.test(x.url))) {
    assert.deepEqual(r.policy, { action: 'audit.verify', resource: 'AuditEvent' }, r.url);
  }
});
