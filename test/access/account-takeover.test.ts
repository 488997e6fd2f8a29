import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildAccessFixture, signIn, type AccessFixture } from '../support/access-fixture.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';

/** Unlocking an account or clearing its second factor is how accounts get taken over; the desk may not do it to everyone. */
let vigil: TestVigil;
let fixture: AccessFixture;
const token = new Map<string, string>();

before(async () => {
  vigil = await startTestVigil();
  fixture = await buildAccessFixture(vigil.vigil.store, vigil.vigil.config, ['support-staff', 'security-admin', 'privacy-officer', 'nurse']);
  for (const role of ['support-staff', 'security-admin']) token.set(role, await signIn(vigil.url, fixture.people.get(role)!));
});
after(() => vigil?.close());

async function act(role: string, target: string, what: 'unlock' | 'reset-mfa' | 'issue-credentials') {
  const res = await fetch(`${vigil.url}/api/accounts/${fixture.people.get(target)!.id}/${what}`, { method: 'POST', headers: { authorization: `Bearer ${token.get(role)}` } });
  const body = (await res.json().catch(() => ({}))) as { reason?: string };
  return { status: res.status, reason: body.reason };
}

test('support may unlock and reset the second factor of a clinician', async () => {
  assert.equal((await act('support-staff', 'nurse', 'unlock')).status, 200);
  assert.equal((await act('support-staff', 'nurse', 'reset-mfa')).status, 200);
});

test('support may not unlock or reset a privileged account; the refusal is recorded', async () => {
  for (const target of ['security-admin', 'privacy-officer']) {
    for (const what of ['unlock', 'reset-mfa'] as const) assert.deepEqual(await act('support-staff', target, what), { status: 403, reason: 'deny-privileged-target' });
  }
  const refused = await vigil.vigil.store.db.selectFrom('audit.events').select(['reason_code']).where('actor_id', '=', fixture.people.get('support-staff')!.id).where('outcome', '=', 'denied').execute();
  assert.equal(refused.filter((r) => r.reason_code === 'deny-privileged-target').length, 4);
});

test('a security admin may reset a privacy officer but never their own account', async () => {
  assert.equal((await act('security-admin', 'privacy-officer', 'reset-mfa')).status, 200);
  assert.deepEqual(await act('security-admin', 'security-admin', 'reset-mfa'), { status: 403, reason: 'deny-own-account' });
});

test('a security admin issues new credentials once: the old password and sessions stop working, the new ones sign in', async () => {
  const nurse = fixture.people.get('nurse')!;
  const nurseToken = await signIn(vigil.url, nurse);
  const res = await fetch(`${vigil.url}/api/accounts/${nurse.id}/issue-credentials`, { method: 'POST', headers: { authorization: `Bearer ${token.get('security-admin')}` } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const issued = (await res.json()) as { username: string; password: string; totpSecret: string; otpauthUri: string };
  assert.equal(issued.username, nurse.username);
  assert.match(issued.otpauthUri, /^otpauth:\/\/totp\//);
  const old = await fetch(`${vigil.url}/auth/me`, { headers: { authorization: `Bearer ${nurseToken}` } });
  assert.equal(old.status, 401, 'open sessions end when credentials are re-issued');
  await old.arrayBuffer();
  const login = (password: string) => fetch(`${vigil.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: nurse.username, password }) });
  assert.equal((await login(nurse.password)).status, 401);
  assert.equal((await login(issued.password)).status, 200);
  assert.deepEqual(await act('support-staff', 'nurse', 'issue-credentials'), { status: 403, reason: 'deny-role' });
});

test('support finds accounts by username and sees account data only', async () => {
  const res = await fetch(`${vigil.url}/api/accounts?username=nur`, { headers: { authorization: `Bearer ${token.get('support-staff')}` } });
  assert.equal(res.status, 200);
  const { accounts } = (await res.json()) as { accounts: Record<string, unknown>[] };
  assert.equal(accounts.length, 1);
  assert.deepEqual(Object.keys(accounts[0]!).sort(), ['displayName', 'lastLoginAt', 'locked', 'personId', 'roles', 'status', 'username']);
});
