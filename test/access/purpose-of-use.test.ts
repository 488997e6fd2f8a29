import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildAccessFixture, signIn, type AccessFixture } from '../support/access-fixture.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';

/** The purpose of use a caller declares is checked against their roles and lands on every audit event. */
let vigil: TestVigil;
let fixture: AccessFixture;
const token = new Map<string, string>();

before(async () => {
  vigil = await startTestVigil();
  fixture = await buildAccessFixture(vigil.vigil.store, vigil.vigil.config, ['nurse', 'billing-specialist']);
  for (const role of fixture.people.keys()) token.set(role, await signIn(vigil.url, fixture.people.get(role)!));
});
after(() => vigil?.close());

async function read(role: string, relation: 'own-team' | 'break-glass-active', purpose?: string) {
  const res = await fetch(`${vigil.url}/fhir/R4/Patient/${fixture.patients[relation].id}`, {
    headers: { authorization: `Bearer ${token.get(role)}`, ...(purpose ? { 'x-purpose-of-use': purpose } : {}) },
  });
  const body = (await res.json()) as { issue?: { details: { coding: { code: string }[] } }[] };
  return { status: res.status, reasons: body.issue?.[0]?.details.coding.map((c) => c.code) ?? [] };
}

async function lastPurpose(role: string): Promise<string | null> {
  const row = await vigil.vigil.store.db.selectFrom('audit.events').select(['purpose_of_use']).where('actor_id', '=', fixture.people.get(role)!.id).orderBy('recorded_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
  return row.purpose_of_use;
}

test('without a declaration each role acts under its default purpose, recorded on the event', async () => {
  assert.equal((await read('nurse', 'own-team')).status, 200);
  assert.equal(await lastPurpose('nurse'), 'TREAT');
  assert.equal((await read('billing-specialist', 'own-team')).status, 200);
  assert.equal(await lastPurpose('billing-specialist'), 'HPAYMT');
});

test('a purpose outside the caller’s roles is refused at the gate and the refusal recorded', async () => {
  const billing = await read('billing-specialist', 'own-team', 'TREAT');
  assert.equal(billing.status, 403);
  assert.ok(billing.reasons.includes('deny-purpose'));
  assert.equal(await lastPurpose('billing-specialist'), 'TREAT', 'the refusal carries the purpose that was asked for');
  assert.equal((await read('nurse', 'own-team', 'HPAYMT')).status, 403);
});

test('a declared purpose the role allows is kept; access through break-glass is recorded as emergency treatment', async () => {
  assert.equal((await read('nurse', 'own-team', 'COC')).status, 200);
  assert.equal(await lastPurpose('nurse'), 'COC');
  assert.equal((await read('nurse', 'break-glass-active')).status, 200);
  assert.equal(await lastPurpose('nurse'), 'ETREAT');
});
