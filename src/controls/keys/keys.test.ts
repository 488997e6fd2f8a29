import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../errors.ts';
import { tempDir, useTestStore } from '../../../test/support/test-db.ts';
import { CANARY_PATIENT } from '../../../test/support/canaries.ts';
import { DecryptionError, open, seal } from './envelope.ts';
import { LocalKeyring, UnknownKekError, loadKeyring, parseKeyringFile } from './keyring.ts';
import { PatientDataShreddedError, PatientKeys, rewrapPatientKeys } from './patient-keys.ts';
import { SigningKeys, signWith, verifySignature } from './signing-keys.ts';

const testStore = useTestStore();

// One deployment, one KEK: every patient key in this file's database is wrapped by k1 until the rotation test.
const k1 = randomBytes(32);
const ring1 = new LocalKeyring(new Map([['k1', k1]]), 'k1');
const PATIENT = '01900000-0000-7000-8000-00000000a001';
const OTHER = '01900000-0000-7000-8000-00000000a002';
const record = Buffer.from(JSON.stringify({ name: `${CANARY_PATIENT.given} ${CANARY_PATIENT.family}`, mrn: CANARY_PATIENT.mrn }));

test('envelope encryption round-trips and refuses altered data or the wrong context', () => {
  const key = randomBytes(32);
  const blob = seal(key, record, 'patient|a|raw');
  assert.ok(!blob.includes(Buffer.from(CANARY_PATIENT.family)), 'the ciphertext does not hold the plaintext');
  assert.deepEqual(open(key, blob, 'patient|a|raw'), record);
  assert.throws(() => open(key, blob, 'patient|b|raw'), DecryptionError);
  const flipped = Buffer.from(blob);
  flipped[flipped.length - 1]! ^= 1;
  assert.throws(() => open(key, flipped, 'patient|a|raw'), DecryptionError);
  assert.throws(() => open(randomBytes(32), blob, 'patient|a|raw'), DecryptionError);
  assert.throws(() => open(key, blob.subarray(0, 10), 'patient|a|raw'), DecryptionError);
});

test('a keyring file holds one key or several with an active one; bad files are refused without showing key material', () => {
  const dir = tempDir();
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');
  const single = parseKeyringFile(k1, 'x');
  assert.match(single.activeKekId, /^kek-[0-9a-f]{16}$/);
  const ring = parseKeyringFile(JSON.stringify({ active: 'k2', keys: { k1, k2 } }), 'x');
  assert.equal(ring.activeKekId, 'k2');
  assert.ok(ring.knows('k1'));
  const bad = [
    'not-a-key',
    Buffer.alloc(16).toString('base64'),
    JSON.stringify({ active: 'k3', keys: { k1 } }),
    JSON.stringify({ keys: { k1 } }),
    JSON.stringify({ active: 'k1', keys: { k1: 'short' } }),
    '{ broken',
  ];
  for (const text of bad) {
    assert.throws(() => parseKeyringFile(text, 'kek.json'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.setting, 'VIGIL_KEK_FILE');
      assert.ok(!err.message.includes(k1));
      return true;
    });
  }
  const file = join(dir, 'kek');
  writeFileSync(file, `${k1}\n`);
  assert.equal(loadKeyring({ kek: undefined, kekFile: file, dataDir: dir, env: 'production' }).activeKekId, single.activeKekId);
  assert.throws(() => loadKeyring({ kek: undefined, kekFile: join(dir, 'missing'), dataDir: dir, env: 'development' }), /cannot read/);
});

test('outside production a development key is made once in the data folder, readable by its owner only', () => {
  const dir = tempDir();
  const first = loadKeyring({ kek: undefined, kekFile: undefined, dataDir: dir, env: 'development' });
  const again = loadKeyring({ kek: undefined, kekFile: undefined, dataDir: dir, env: 'development' });
  assert.equal(first.activeKekId, again.activeKekId);
  const file = join(dir, 'keys', 'development-kek');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').length, 32);
  assert.throws(() => loadKeyring({ kek: undefined, kekFile: undefined, dataDir: tempDir(), env: 'production' }), /needs key material/);
});

test("a patient's data is encrypted under their own key, and another patient's key cannot open it", async () => {
  const keys = new PatientKeys(ring1);
  const blob = await keys.encrypt(testStore().db, PATIENT, record, 'raw-message');
  assert.deepEqual(await keys.decrypt(testStore().db, PATIENT, blob, 'raw-message'), record);
  await keys.encrypt(testStore().db, OTHER, Buffer.from('x'), 'raw-message');
  await assert.rejects(keys.decrypt(testStore().db, OTHER, blob, 'raw-message'), DecryptionError);
  await assert.rejects(keys.decrypt(testStore().db, PATIENT, blob, 'export'), DecryptionError, 'a blob cannot be read as another purpose');
  const stored = await testStore().db.selectFrom('patient_data_keys').select(['wrapped_key']).where('patient_id', '=', PATIENT).executeTakeFirstOrThrow();
  assert.equal(Buffer.from(stored.wrapped_key!).length, 1 + 12 + 16 + 32, 'only the wrapped key is stored');
});

test('crypto-shredding makes every copy of the data unreadable, and says so', async () => {
  const keys = new PatientKeys(ring1);
  const patient = '01900000-0000-7000-8000-00000000b001';
  const backupCopy = await keys.encrypt(testStore().db, patient, record, 'archive');
  assert.equal(await keys.shred(testStore().db, patient), true);
  assert.equal(await keys.shred(testStore().db, patient), false, 'shredding twice is a no-op');
  await assert.rejects(keys.decrypt(testStore().db, patient, backupCopy, 'archive'), PatientDataShreddedError);
  await assert.rejects(keys.encrypt(testStore().db, patient, record, 'archive'), PatientDataShreddedError, 'no new data under a shredded key');
});

test('rotation re-wraps data keys under the new KEK without re-encrypting data; the old KEK can then go', async () => {
  const k2 = randomBytes(32);
  const before = ring1;
  const keys = new PatientKeys(before);
  const patient = '01900000-0000-7000-8000-00000000c001';
  const blob = await keys.encrypt(testStore().db, patient, record, 'raw-message');
  const both = new LocalKeyring(new Map([['k1', k1], ['k2', k2]]), 'k2');
  const rewrapped = await rewrapPatientKeys(testStore(), both);
  assert.ok(rewrapped >= 1);
  assert.equal(await rewrapPatientKeys(testStore(), both), 0, 'a second run finds nothing to do');
  const onlyNew = new PatientKeys(new LocalKeyring(new Map([['k2', k2]]), 'k2'));
  assert.deepEqual(await onlyNew.decrypt(testStore().db, patient, blob, 'raw-message'), record, 'the same ciphertext opens under the new KEK');
  await assert.rejects(new PatientKeys(before).decrypt(testStore().db, patient, blob, 'raw-message'), UnknownKekError);
});

test('signing keys: one active key signs; rotation keeps the old public key so old signatures still verify', async () => {
  const kek = LocalKeyring.single(randomBytes(32));
  const signing = new SigningKeys(kek);
  const first = await signing.active(testStore());
  assert.equal((await signing.active(testStore())).keyId, first.keyId, 'the same key until rotated');
  const checkpoint = Buffer.from('tree_size=10 root=abc');
  const sig = signWith(first, checkpoint);
  const newId = await signing.rotate(testStore());
  assert.notEqual(newId, first.keyId);
  assert.equal((await signing.active(testStore())).keyId, newId);
  const published = await signing.publicKeys(testStore().db);
  const old = published.find((k) => k.keyId === first.keyId)!;
  assert.ok(old.retiredAt);
  assert.equal(published.filter((k) => k.retiredAt === null).length, 1);
  assert.equal(verifySignature(old.publicKeyPem, checkpoint, sig), true);
  assert.equal(verifySignature(old.publicKeyPem, Buffer.from('tree_size=11 root=abc'), sig), false);
  assert.equal(verifySignature('not a key', checkpoint, sig), false);
  assert.ok(!JSON.stringify(published).includes('PRIVATE'), 'only public keys are published');
});
