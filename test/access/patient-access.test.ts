import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { CANARY_PATIENT } from '../support/canaries.ts';
import { buildAccessFixture, freshTotp, MRN_SYSTEM, signIn, type AccessFixture } from '../support/access-fixture.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';

/**
 * Patient routes as a user meets them: what a refusal looks like (and that it is on record), what each role gets
 * back, how break-glass opens one chart for a while, and that no data leaves when its audit event cannot be written.
 */
let vigil: TestVigil;
let fixture: AccessFixture;
const token = new Map<string, string>();

before(async () => {
  vigil = await startTestVigil();
  fixture = await buildAccessFixture(vigil.vigil.store, vigil.vigil.config, ['nurse', 'billing-specialist', 'privacy-officer', 'support-staff', 'physician']);
  for (const role of fixture.people.keys()) token.set(role, await signIn(vigil.url, fixture.people.get(role)!));
});
after(() => vigil?.close());

function get(role: string, path: string) {
  return fetch(`${vigil.url}${path}`, { headers: { authorization: `Bearer ${token.get(role)}` } });
}
function post(role: string, path: string, body: unknown) {
  return fetch(`${vigil.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token.get(role)}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

test('without a credential every patient route answers 401 and carries no data', async () => {
  for (const path of [`/fhir/R4/Patient/${fixture.patients['own-team'].id}`, '/fhir/R4/Patient?name=a', '/api/audit']) {
    const res = await fetch(`${vigil.url}${path}`);
    assert.equal(res.status, 401, path);
    const text = await res.text();
    assert.ok(!text.includes(CANARY_PATIENT.family));
  }
});

test('IDOR: a patient outside the care relation is a 403 with a reason, the same as an id that does not exist, and both are audited', async () => {
  const other = await get('nurse', `/fhir/R4/Patient/${fixture.patients['other-team'].id}`);
  assert.equal(other.status, 403);
  assert.match(other.headers.get('content-type') ?? '', /fhir\+json/);
  const outcome = (await other.json()) as { resourceType: string; issue: { details: { coding: { code: string }[] } }[] };
  assert.equal(outcome.resourceType, 'OperationOutcome');
  assert.ok(outcome.issue[0]!.details.coding.some((c) => c.code === 'deny-no-care-relation'));

  const missingId = '01890000-0000-7000-8000-000000000000';
  const missing = await get('nurse', `/fhir/R4/Patient/${missingId}`);
  assert.equal(missing.status, 403, 'existence is not revealed to someone who could not see the patient anyway');
  await missing.arrayBuffer();

  const events = await vigil.vigil.store.db.selectFrom('audit.events').select(['resource_ids', 'patient_id', 'outcome', 'reason_code']).where('actor_id', '=', fixture.people.get('nurse')!.id).where('outcome', '=', 'denied').execute();
  assert.ok(events.some((e) => e.patient_id === fixture.patients['other-team'].id && e.reason_code === 'deny-no-care-relation'));
  assert.ok(events.some((e) => e.patient_id === null && e.resource_ids.includes(missingId)));

  // Someone who may see every patient learns that this one does not exist.
  const privacy = await get('privacy-officer', `/fhir/R4/Patient/${missingId}`);
  assert.equal(privacy.status, 404);
  await privacy.arrayBuffer();
});

test('minimum necessary: billing gets payer and no security labels, the nurse gets labels and no payer, support gets nothing', async () => {
  const id = fixture.patients['sensitive-label'].id;
  const billing = (await (await get('billing-specialist', `/fhir/R4/Patient/${id}`)).json()) as Record<string, unknown>;
  assert.ok(billing.extension, 'payer travels as an extension');
  assert.equal(billing.meta, undefined);
  const nurse = (await (await get('nurse', `/fhir/R4/Patient/${id}`)).json()) as Record<string, unknown>;
  assert.equal(nurse.extension, undefined);
  assert.deepEqual((nurse.meta as { security: { code: string }[] }).security.map((s) => s.code), ['PSY']);
  const privacy = (await (await get('privacy-officer', `/fhir/R4/Patient/${id}`)).json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(privacy).sort(), ['birthDate', 'gender', 'id', 'identifier', 'managingOrganization', 'name', 'resourceType']);
  const support = await get('support-staff', `/fhir/R4/Patient/${id}`);
  assert.equal(support.status, 403);
  await support.arrayBuffer();
  const supportSearch = await get('support-staff', '/fhir/R4/Patient?name=Fixture');
  assert.equal(supportSearch.status, 403);
  await supportSearch.arrayBuffer();
});

test('search is filtered in SQL: the total and the pages only ever count patients the caller may see', async () => {
  const all = (await (await get('nurse', '/fhir/R4/Patient?_count=100')).json()) as { total: number; entry: { resource: { id: string } }[] };
  const visible = new Set(all.entry.map((e) => e.resource.id));
  // own-team, no-encounter, covering-in-window, sensitive-label, and the break-glass patient of the fixture.
  assert.equal(all.total, 5);
  assert.ok(!visible.has(fixture.patients['other-team'].id));
  assert.ok(!visible.has(fixture.patients['other-facility'].id));
  const page1 = (await (await get('nurse', '/fhir/R4/Patient?_count=2')).json()) as { total: number; entry: unknown[]; link: { relation: string; url: string }[] };
  assert.equal(page1.total, 5);
  assert.equal(page1.entry.length, 2);
  const next = page1.link.find((l) => l.relation === 'next')!;
  assert.ok(next);
  const page3 = (await (await get('nurse', '/fhir/R4/Patient?_count=2&_offset=4')).json()) as { entry: unknown[]; link: { relation: string }[] };
  assert.equal(page3.entry.length, 1);
  assert.equal(page3.link.find((l) => l.relation === 'next'), undefined);
  // An identifier of a patient outside the relation finds nothing; it does not say "forbidden" either.
  const probe = (await (await get('nurse', `/fhir/R4/Patient?identifier=${encodeURIComponent(`${MRN_SYSTEM}|${fixture.patients['other-team'].mrn}`)}`)).json()) as { total: number };
  assert.equal(probe.total, 0);
});

test('break-glass: refused without the second factor or a reason; then one patient opens for a while, flagged, and waits for review', async () => {
  const nurse = fixture.people.get('nurse')!;
  const target = fixture.patients['other-team'].id;
  const wrongCode = await post('nurse', '/api/break-glass', { patientId: target, reasonCode: 'emergency-treatment', reasonText: 'Patient collapsed in corridor', totp: '000000' });
  assert.equal(wrongCode.status, 401);
  await wrongCode.arrayBuffer();
  const noReason = await post('nurse', '/api/break-glass', { patientId: target, reasonCode: 'emergency-treatment', reasonText: 'x', totp: '123456' });
  assert.equal(noReason.status, 400);
  await noReason.arrayBuffer();
  const billing = await post('billing-specialist', '/api/break-glass', { patientId: target, reasonCode: 'emergency-treatment', reasonText: 'Billing wants to look', totp: '123456' });
  assert.equal(billing.status, 403, 'billing holds no break-glass permission');
  await billing.arrayBuffer();

  const opened = await post('nurse', '/api/break-glass', { patientId: target, reasonCode: 'emergency-treatment', reasonText: 'Patient collapsed in corridor', totp: await freshTotp(nurse.totpSecret), minutes: 30 });
  assert.equal(opened.status, 201);
  const grant = (await opened.json()) as { id: string; expiresAt: string; startedAt: string; active: boolean };
  assert.ok(grant.active);
  const minutes = (Date.parse(grant.expiresAt) - Date.parse(grant.startedAt)) / 60_000;
  assert.ok(minutes > 29 && minutes <= 30.1, 'time-boxed as asked');

  const read = await get('nurse', `/fhir/R4/Patient/${target}`);
  assert.equal(read.status, 200);
  await read.arrayBuffer();
  // Scoped to that patient: the next one outside the relation stays closed.
  const otherFacility = await get('nurse', `/fhir/R4/Patient/${fixture.patients['other-facility'].id}`);
  assert.equal(otherFacility.status, 403);
  await otherFacility.arrayBuffer();

  const flagged = await vigil.vigil.store.db.selectFrom('audit.events').select(['action', 'break_glass']).where('actor_id', '=', nurse.id).where('patient_id', '=', target).where('outcome', '=', 'success').execute();
  assert.ok(flagged.some((e) => e.action === 'patient.read' && e.break_glass));
  assert.ok(flagged.some((e) => e.action === 'break-glass.start' && e.break_glass));

  const queue = (await (await get('privacy-officer', '/api/break-glass/reviews')).json()) as { grants: { id: string; accessCount: number; reasonText: string }[] };
  const queued = queue.grants.find((g) => g.id === grant.id);
  assert.ok(queued, 'the grant waits in the review queue');
  assert.ok(queued.accessCount >= 1);
  const reviewed = await post('privacy-officer', `/api/break-glass/${grant.id}/review`, { outcome: 'appropriate', note: 'Rapid response call confirmed' });
  assert.equal(reviewed.status, 200);
  assert.equal(((await reviewed.json()) as { reviewStatus: string }).reviewStatus, 'reviewed');
  const nurseReviews = await get('nurse', '/api/break-glass/reviews');
  assert.equal(nurseReviews.status, 403);
  await nurseReviews.arrayBuffer();

  // Ending it closes the chart again on the next request.
  const ended = await post('nurse', `/api/break-glass/${grant.id}/end`, {});
  assert.equal(ended.status, 204);
  const after = await get('nurse', `/fhir/R4/Patient/${target}`);
  assert.equal(after.status, 403);
  await after.arrayBuffer();
});

test('a break-glass grant past its deadline opens nothing', async () => {
  const nurse = fixture.people.get('nurse')!;
  const target = fixture.patients['other-facility'].id;
  await vigil.vigil.store.db.insertInto('break_glass_grants').values({
    id: '01890000-0000-7000-8000-0000000000bb', person_id: nurse.id, patient_id: target, session_id: null, reason_code: 'other', reason_text: 'expired grant in the past',
    started_at: new Date(Date.now() - 2 * 3_600_000), expires_at: new Date(Date.now() - 3_600_000), ended_at: null, review_outcome: null, review_note: null, reviewer_id: null, reviewed_at: null,
  }).execute();
  const res = await get('nurse', `/fhir/R4/Patient/${target}`);
  assert.equal(res.status, 403);
  await res.arrayBuffer();
});

test('no audit, no data: when the audit event cannot be written the read fails and returns nothing', async () => {
  const store = vigil.vigil.store;
  await sql`create or replace function audit.refuse_insert() returns trigger language plpgsql as $$ begin raise exception 'audit store refuses writes'; end $$`.execute(store.db);
  await sql`create trigger refuse_insert before insert on audit.events for each row execute function audit.refuse_insert()`.execute(store.db);
  try {
    const res = await get('nurse', `/fhir/R4/Patient/${fixture.patients['own-team'].id}`);
    const text = await res.text();
    assert.equal(res.status, 500);
    assert.ok(!text.includes(CANARY_PATIENT.family) && !text.includes(CANARY_PATIENT.mrn), 'no patient data in the error');
    assert.ok(!text.includes('audit store refuses'), 'the database message is not echoed');
    const search = await get('nurse', '/fhir/R4/Patient?name=Vantablack');
    assert.equal(search.status, 500);
    assert.ok(!(await search.text()).includes(CANARY_PATIENT.given));
  } finally {
    await sql`drop trigger refuse_insert on audit.events`.execute(store.db);
  }
  const res = await get('nurse', `/fhir/R4/Patient/${fixture.patients['own-team'].id}`);
  assert.equal(res.status, 200, 'reads work again once the audit store does');
  await res.arrayBuffer();
});
