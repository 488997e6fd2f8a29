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

async function act(role: string, target: string, what: 'unlock' | 'reset-mfa') {
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
