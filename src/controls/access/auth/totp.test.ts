import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { generate } from 'otplib';
import { v7 as uuidv7 } from 'uuid';
import { LocalKeyring } from '../../keys/keyring.ts';
import { useTestStore } from '../../../../test/support/test-db.ts';
import { hashPassword, setPassword, verifyPassword } from './passwords.ts';
import { checkTotp, clearTotp, enrollTotp, verifyTotp } from './totp.ts';

const store = useTestStore();
const keyring = LocalKeyring.single(randomBytes(32));

async function newPerson(username: string): Promise<string> {
  const org = uuidv7();
  const id = uuidv7();
  await store().db.insertInto('organizations').values({ id: org, name: 'Unit Org' }).execute();
  await store().db.insertInto('people').values({ id, username, display_name: 'Unit Person', organization_id: org }).execute();
  return id;
}

test('a TOTP code is good in the steps around now, once, and never after the secret is cleared', async () => {
  const id = await newPerson('totp.unit');
  const secret = await enrollTotp(store().db, keyring, id);
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const stored = await store().db.selectFrom('people').select(['totp_secret_wrapped']).where('id', '=', id).executeTakeFirstOrThrow();
  assert.ok(!Buffer.from(stored.totp_secret_wrapped!).toString('latin1').includes(secret), 'the secret is stored wrapped');

  const now = new Date('2026-03-01T10:00:15Z');
  const at = (offsetSteps: number) => generate({ secret, epoch: Math.floor(now.getTime() / 1000) + offsetSteps * 30 });
  assert.deepEqual(await checkTotp(store().db, keyring, id, await at(-2), now), { ok: false, reason: 'wrong-code' });
  assert.deepEqual(await checkTotp(store().db, keyring, id, await at(2), now), { ok: false, reason: 'wrong-code' });
  assert.equal(await verifyTotp(store().db, keyring, id, await at(-1), now), true);
  assert.equal(await verifyTotp(store().db, keyring, id, await at(1), now), true);
  const current = await at(0);
  assert.equal(await verifyTotp(store().db, keyring, id, current, now), true);
  assert.deepEqual(await checkTotp(store().db, keyring, id, current, now), { ok: false, reason: 'replayed' });
  assert.deepEqual(await checkTotp(store().db, keyring, id, 'abcdef', now), { ok: false, reason: 'wrong-code' });

  await clearTotp(store().db, id);
  assert.deepEqual(await checkTotp(store().db, keyring, id, current, now), { ok: false, reason: 'not-enrolled' });
});

test('a wrapped secret copied onto another person does not open', async () => {
  const a = await newPerson('totp.a');
  const b = await newPerson('totp.b');
  await enrollTotp(store().db, keyring, a);
  const row = await store().db.selectFrom('people').select(['totp_kek_id', 'totp_secret_wrapped']).where('id', '=', a).executeTakeFirstOrThrow();
  await store().db.updateTable('people').set({ totp_kek_id: row.totp_kek_id, totp_secret_wrapped: row.totp_secret_wrapped }).where('id', '=', b).execute();
  await assert.rejects(checkTotp(store().db, keyring, b, '123456'));
});

test('passwords: argon2id, at least 12 characters, not containing the username; a missing hash never verifies', async () => {
  const id = await newPerson('pw.unit');
  await assert.rejects(setPassword(store().db, id, 'short'), /at least 12/);
  await assert.rejects(setPassword(store().db, id, 'my pw.unit password'), /username/);
  await setPassword(store().db, id, 'a long enough passphrase');
  const row = await store().db.selectFrom('people').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow();
  assert.match(row.password_hash!, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await verifyPassword(row.password_hash, 'a long enough passphrase'), true);
  assert.equal(await verifyPassword(row.password_hash, 'a long enough passphrasE'), false);
  assert.equal(await verifyPassword(null, 'a long enough passphrase'), false);
  assert.equal(await verifyPassword('not-a-hash', 'anything'), false);
  assert.notEqual(await hashPassword('same'), await hashPassword('same'), 'salted');
});
