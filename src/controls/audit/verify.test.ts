import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SEAL, testSigningKeys, writeEvents } from '../../../test/support/audit-fixtures.ts';
import { CANARY_PATIENT } from '../../../test/support/canaries.ts';
import { createTestDatabase, tempDir, type TestDatabase } from '../../../test/support/test-db.ts';
import type { Store } from '../../store/store.ts';
import { signingKeyId } from '../keys/signing-keys.ts';
import { canonicalRecordJson, checkpointMessage, parseRecord } from './canonical.ts';
import { exportAudit } from './export.ts';
import { leafHash } from './merkle.ts';
import { chainHash, sealPending } from './sealer.ts';
import { formatProblem, parsePublicKeys, verifyExportFile, verifyLive } from './verify.ts';

let db: TestDatabase;
let store: Store;
const testStore = () => store;
const keys = testSigningKeys();
const dir = tempDir('vigil-audit-verify-');
let exportFile: string;
let pem: string;
let lines: string[];

type Line = Record<string, unknown>;

after(async () => {
  await store?.close();
  await db?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

before(async () => {
  db = await createTestDatabase();
  store = await db.open();
  await writeEvents(store, 23);
  for (let i = 0; i < 10; i++) await sealPending(store, keys, { checkpointEvents: 5, checkpointSeconds: 3600, batchSize: 4 });
  exportFile = join(dir, 'full.ndjson');
  await exportAudit(store, keys, exportFile, { seal: SEAL });
  pem = (await keys.publicKeys(store.db)).map((k) => `# key_id ${k.keyId}\n${k.publicKeyPem}`).join('');
  lines = readFileSync(exportFile, 'utf8').trimEnd().split('\n');
});

const publicKeys = () => parsePublicKeys(pem);
const parsed = () => lines.map((l) => JSON.parse(l) as Line);
const lineOfSeq = (seq: number) => parsed().findIndex((l) => l.type === 'event' && l.seq === seq) + 1;
const lineOfCheckpoint = (size: number) => parsed().findIndex((l) => l.type === 'checkpoint' && l.tree_size === size) + 1;
const checkpointSizes = () => parsed().filter((l) => l.type === 'checkpoint').map((l) => l.tree_size as number);

let n = 0;
async function verifyLines(changed: string[], keysText = pem) {
  const file = join(dir, `tampered-${n++}.ndjson`);
  writeFileSync(file, changed.join('\n') + '\n');
  const report = await verifyExportFile(file, parsePublicKeys(keysText));
  // Every tamper case also goes through the reference path (every line fully parsed and checked): same report.
  assert.deepEqual(report, await verifyExportFile(file, parsePublicKeys(keysText), { fastPath: false }), 'the fast path and the reference path agree');
  const text = report.problems.map(formatProblem).join('\n');
  // Whatever was tampered with, the report names positions and checks, never what an event said.
  assert.ok(!text.includes(CANARY_PATIENT.family) && !text.includes(CANARY_PATIENT.birthDate), 'no event content in the report');
  return { report, text };
}

function edit(lineNo: number, fn: (line: Line) => void): string[] {
  const copy = [...lines];
  const obj = JSON.parse(copy[lineNo - 1]!) as Line;
  fn(obj);
  copy[lineNo - 1] = JSON.stringify(obj);
  return copy;
}

test('an untouched export verifies: every event, every checkpoint, the signed manifest', async () => {
  const report = await verifyExportFile(exportFile, publicKeys());
  assert.equal(report.ok, true, report.problems.map(formatProblem).join('; '));
  assert.equal(report.events, 23);
  // Batches of 4 with a checkpoint at least every 5 events.
  assert.deepEqual(checkpointSizes(), [8, 16, 23]);
  assert.equal(report.checkpoints, 3);
  assert.deepEqual(report.keyIds, [...publicKeys().keys()]);
  const manifest = JSON.parse(lines[0]!) as Line;
  assert.equal(manifest.type, 'vigil-audit-export');
  assert.equal(manifest.count, 23);
  // Checkpoints sit right after the event that completes their tree.
  for (const size of checkpointSizes()) assert.equal(lineOfCheckpoint(size), lineOfSeq(size - 1) + 1);
});

test('the fast path and the reference path give the same report on untouched exports', async () => {
  const fast = await verifyExportFile(exportFile, publicKeys());
  assert.equal(fast.ok, true);
  assert.deepEqual(fast, await verifyExportFile(exportFile, publicKeys(), { fastPath: false }));
  // The same file re-serialized by another tool (other key order, whitespace) takes the reference path and still verifies.
  const reordered = lines.map((l, i) => (i === 0 ? l : JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l) as Line).reverse()), null, 0).replace(/,"/g, ', "')));
  const { report } = await verifyLines(reordered);
  assert.equal(report.ok, true, report.problems.map(formatProblem).join('; '));
});

test('an export of a time window starts mid-log from a signed frontier and verifies on its own', async () => {
  const store = testStore();
  const seals = await store.db.selectFrom('audit.seals as s').innerJoin('audit.events as e', 'e.id', 's.event_id').select(['s.seq', 'e.recorded_at']).orderBy('s.seq').execute();
  const file = join(dir, 'window.ndjson');
  await exportAudit(store, keys, file, { from: seals[9]!.recorded_at, to: seals[17]!.recorded_at, seal: SEAL });
  const manifest = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as Line;
  assert.ok((manifest.from_seq as number) <= 9 && (manifest.to_seq as number) >= 17);
  assert.ok((manifest.from_seq as number) > 0);
  const report = await verifyExportFile(file, publicKeys());
  assert.equal(report.ok, true, report.problems.map(formatProblem).join('; '));
  assert.equal(report.fromSeq, manifest.from_seq);
  assert.deepEqual(report, await verifyExportFile(file, publicKeys(), { fastPath: false }));

  const empty = join(dir, 'empty.ndjson');
  await exportAudit(store, keys, empty, { from: new Date('2000-01-01T00:00:00Z'), to: new Date('2000-01-02T00:00:00Z'), seal: SEAL });
  assert.equal((await verifyExportFile(empty, publicKeys())).ok, true);
});

test('tamper: a changed field of one event is named by line and seq', async () => {
  const at = lineOfSeq(3);
  const { report, text } = await verifyLines(edit(at, (l) => ((l.record as Line).action = 'patient.print')));
  assert.equal(report.ok, false);
  assert.equal(text, `line ${at}, seq 3: the record does not match its leaf hash: the event was altered`);
});

test('tamper: a changed event whose hashes were recomputed is caught at the next signed checkpoint', async () => {
  const changed = [...lines];
  let prev: Buffer | undefined;
  for (let i = 0; i < changed.length; i++) {
    const obj = JSON.parse(changed[i]!) as Line;
    if (obj.type !== 'event') continue;
    if (obj.seq === 2) prev = Buffer.from(obj.chain_hash as string, 'base64');
    if ((obj.seq as number) < 3) continue;
    if (obj.seq === 3) (obj.record as Line).outcome = 'denied';
    const leaf = leafHash(Buffer.from(canonicalRecordJson(parseRecord(obj.record)), 'utf8'));
    prev = chainHash(prev!, leaf);
    obj.leaf_hash = leaf.toString('base64');
    obj.chain_hash = prev.toString('base64');
    changed[i] = JSON.stringify(obj);
  }
  const { text } = await verifyLines(changed);
  assert.match(text, new RegExp(`^line ${lineOfSeq(3)}, seq 3: the FHIR AuditEvent does not match`));
  // With the AuditEvent re-mapped too, the signed root is what catches it.
  const remapped = changed.map((l) => {
    const obj = JSON.parse(l) as Line;
    if (obj.type === 'event' && obj.seq === 3) {
      const ae = obj.auditEvent as Line;
      ae.outcome = '4';
      ae.outcomeDesc = 'denied';
    }
    return JSON.stringify(obj);
  });
  const firstCheckpoint = checkpointSizes().find((s) => s > 3)!;
  const { text: caught } = await verifyLines(remapped);
  assert.equal(caught, `line ${lineOfCheckpoint(firstCheckpoint)}, checkpoint ${firstCheckpoint}: the root hash does not match the events before it: the log was altered`);
});

test('tamper: a deleted event, an inserted one, two swapped, and appended lines are each named', async () => {
  const del = [...lines];
  del.splice(lineOfSeq(5) - 1, 1);
  assert.equal((await verifyLines(del)).text, `line ${lineOfSeq(5)}, seq 6: seq 5 is missing: an event was deleted or moved`);

  const ins = [...lines];
  ins.splice(lineOfSeq(5), 0, lines[lineOfSeq(4) - 1]!);
  assert.equal((await verifyLines(ins)).text, `line ${lineOfSeq(5) + 1}, seq 4: seq repeats or goes back (expected 6): an event was inserted, repeated or moved`);

  const swap = [...lines];
  [swap[lineOfSeq(10) - 1], swap[lineOfSeq(11) - 1]] = [swap[lineOfSeq(11) - 1]!, swap[lineOfSeq(10) - 1]!];
  assert.equal((await verifyLines(swap)).text, `line ${lineOfSeq(10)}, seq 11: seq 10 is missing: an event was deleted or moved`);

  // Swapped records under unchanged seqs: the leaf hashes no longer match.
  const swapRecords = [...lines];
  const a = JSON.parse(lines[lineOfSeq(10) - 1]!) as Line;
  const b = JSON.parse(lines[lineOfSeq(11) - 1]!) as Line;
  swapRecords[lineOfSeq(10) - 1] = JSON.stringify({ ...a, record: b.record, auditEvent: b.auditEvent });
  swapRecords[lineOfSeq(11) - 1] = JSON.stringify({ ...b, record: a.record, auditEvent: a.auditEvent });
  assert.match((await verifyLines(swapRecords)).text, new RegExp(`^line ${lineOfSeq(10)}, seq 10: the record does not match its leaf hash`));

  const appended = [...lines, JSON.stringify({ ...(JSON.parse(lines[lineOfSeq(22) - 1]!) as Line), seq: 23 })];
  assert.equal((await verifyLines(appended)).text, `line ${lines.length + 1}, seq 23: the manifest ends at seq 22: lines were appended`);
});

test('tamper: a cut tail, a removed checkpoint and a damaged line are named', async () => {
  const cut = lines.slice(0, lineOfSeq(19));
  const { text } = await verifyLines(cut);
  assert.equal(text, `line ${cut.length + 1}, end of file: the file ends after 20 of the manifest's 23 events: the tail was cut`);

  const noCheckpoint = lines.filter((_, i) => i + 1 !== lineOfCheckpoint(checkpointSizes()[0]!));
  assert.match((await verifyLines(noCheckpoint)).text, /end of file: the file holds \d+ of the manifest's \d+ checkpoints: a checkpoint line was removed$/);

  const damaged = [...lines];
  damaged[4] = damaged[4]!.slice(0, 40);
  assert.equal((await verifyLines(damaged)).text, 'line 5: not valid JSON: the line was damaged or edited');
});

test('tamper: a checkpoint forged with another key, or re-signed under the real key id, is refused', async () => {
  const size = checkpointSizes()[1]!;
  const at = lineOfCheckpoint(size);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const forger = signingKeyId(publicKey);
  const forge = (keyId: string) =>
    edit(at, (c) => {
      c.key_id = keyId;
      const message = checkpointMessage({ treeSize: size, rootHash: Buffer.from(c.root_hash as string, 'base64'), chainHash: Buffer.from(c.chain_hash as string, 'base64'), issuedAt: new Date(c.issued_at as string), keyId });
      c.signature = sign(null, message, privateKey).toString('base64');
    });
  assert.equal((await verifyLines(forge(forger))).text, `line ${at}, checkpoint ${size}: signed by key ${forger}, which is not among the public keys: the checkpoint was forged, or the key file is not this log's`);
  const realId = [...publicKeys().keys()][0]!;
  assert.equal((await verifyLines(forge(realId))).text, `line ${at}, checkpoint ${size}: the signature does not verify with key ${realId}: the checkpoint was altered or forged`);
  // An attacker who holds another key cannot make a whole export verify against this log's key either.
  const forgedPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const { text } = await verifyLines(lines, forgedPem);
  assert.match(text, /^line 1, manifest: signed by key ed25519-[0-9a-f]{16}, which is not among the public keys given/);
});

test('tamper: a public key replaced under the old key id, and an edited manifest, are refused', async () => {
  const { publicKey } = generateKeyPairSync('ed25519');
  const realId = [...publicKeys().keys()][0]!;
  // The key id comes from the key itself, so a comment claiming the real id changes nothing.
  const relabelled = `# key_id ${realId}\n${publicKey.export({ type: 'spki', format: 'pem' }).toString()}`;
  assert.match((await verifyLines(lines, relabelled)).text, /^line 1, manifest: signed by key ed25519-[0-9a-f]{16}, which is not among the public keys given/);

  const fewer = edit(1, (m) => {
    m.count = (m.count as number) - 1;
    m.to_seq = (m.to_seq as number) - 1;
    m.tree_size = (m.tree_size as number) - 1;
  });
  assert.equal((await verifyLines(fewer)).text, `line 1, manifest: its signature does not verify with key ${realId}: the manifest was altered or forged`);
});

test('after a key rotation an export verifies with every public key and not with the new one alone', async () => {
  const store = testStore();
  await keys.rotate(store);
  await writeEvents(store, 6);
  const file = join(dir, 'rotated.ndjson');
  await exportAudit(store, keys, file, { seal: { checkpointEvents: 5, checkpointSeconds: 3600 } });
  const all = await keys.publicKeys(store.db);
  assert.equal(all.length, 2);
  const both = await verifyExportFile(file, parsePublicKeys(all.map((k) => k.publicKeyPem).join('\n')));
  assert.equal(both.ok, true, both.problems.map(formatProblem).join('; '));
  assert.equal(both.keyIds.length, 2);
  const newOnly = await verifyExportFile(file, parsePublicKeys(all[1]!.publicKeyPem));
  assert.equal(newOnly.ok, false);
  assert.match(formatProblem(newOnly.problems[0]!), /checkpoint \d+: signed by key .* which is not among the public keys/);
  const live = await verifyLive(store);
  assert.equal(live.ok, true, live.problems.map(formatProblem).join('; '));
});
