import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { v7 as uuidv7 } from 'uuid';
import { CANARY_PATIENT } from './support/canaries.ts';
import { SUBJECT_HEADER, TEST_SUBJECTS, withTestSubjects, type TestSubjectName } from './support/directory-subjects.ts';
import { startTestVigil, type TestVigil } from './support/in-process.ts';

/** The directory admin API over HTTP, as a security admin: status codes, problem documents, pagination and audit. */
let t: TestVigil;
before(async () => {
  t = await startTestVigil({ extendApp: withTestSubjects });
});
after(async () => {
  await t.close();
});

interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, as: TestSubjectName | null = 'security-admin'): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (as) headers[SUBJECT_HEADER] = as;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, text, headers: res.headers };
}

type Problem = { status: number; code: string; detail: string; errors?: { pointer: string; detail: string }[]; requestId: string };
type Page<T> = { items: T[]; nextCursor: string | null };
const hour = 3_600_000;

const ids = { org: '', north: '', south: '', cardiology: '', doc: '', nurse: '', cover: '', team: '', patient: '' };

test('organizations, facilities and departments are created (201 + Location), read and renamed', async () => {
  const org = await api('POST', '/api/admin/organizations', { name: 'Route Health' });
  assert.equal(org.status, 201);
  ids.org = org.body.id as string;
  assert.equal(org.headers.get('location'), `/api/admin/organizations/${ids.org}`);

  const north = await api('POST', '/api/admin/facilities', { organizationId: ids.org, code: 'RNORTH', name: 'Route North' });
  assert.equal(north.status, 201);
  ids.north = north.body.id as string;
  ids.south = (await api('POST', '/api/admin/facilities', { organizationId: ids.org, code: 'RSOUTH', name: 'Route South' })).body.id as string;

  const dup = await api<Problem>('POST', '/api/admin/facilities', { organizationId: ids.org, code: 'RNORTH', name: 'Again' });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.code, 'facility-code-taken');

  const badCode = await api<Problem>('POST', '/api/admin/facilities', { organizationId: ids.org, code: 'north campus', name: 'x' });
  assert.equal(badCode.status, 400);
  assert.deepEqual(badCode.body.errors?.map((e) => e.pointer), ['body/code']);

  const unknownOrg = await api<Problem>('POST', '/api/admin/facilities', { organizationId: uuidv7(), code: 'RX', name: 'x' });
  assert.equal(unknownOrg.status, 422);
  assert.equal(unknownOrg.body.code, 'unknown-organization');

  const dept = await api('POST', '/api/admin/departments', { facilityId: ids.north, name: 'Cardiology' });
  assert.equal(dept.status, 201);
  ids.cardiology = dept.body.id as string;
  const renamed = await api('PATCH', `/api/admin/departments/${ids.cardiology}`, { name: 'Cardiology & Vascular' });
  assert.equal(renamed.status, 200);
  assert.equal(renamed.body.name, 'Cardiology & Vascular');

  const list = await api<Page<{ id: string }>>('GET', `/api/admin/facilities?organizationId=${ids.org}`);
  assert.deepEqual(list.body.items.map((f) => f.id), [ids.north, ids.south]);
  assert.equal((await api('GET', `/api/admin/organizations/${ids.org}`)).body.name, 'Route Health');
});

test('a misspelt field or filter is a 400, not a change or a search that silently ignored it', async () => {
  const extra = await api<Problem>('PATCH', `/api/admin/organizations/${ids.org}`, { name: 'Renamed', nmae: 'typo' });
  assert.equal(extra.status, 400);
  assert.equal(extra.body.code, 'invalid-request');
  assert.equal((await api('GET', `/api/admin/organizations/${ids.org}`)).body.name, 'Route Health', 'nothing changed');
  const filter = await api<Problem>('GET', '/api/admin/people?facilityID=abc');
  assert.equal(filter.status, 400);
});

test('people: created with roles and facilities, never answered with credentials; roles replaced with PUT', async () => {
  const doc = await api('POST', '/api/admin/people', { username: 'route.doc', displayName: 'Route Doc', organizationId: ids.org, roles: ['physician'], facilityIds: [ids.north] });
  assert.equal(doc.status, 201);
  ids.doc = doc.body.id as string;
  for (const key of ['password_hash', 'passwordHash', 'totp_secret_wrapped', 'totpSecret', 'totp_kek_id']) assert.ok(!(key in doc.body), key);
  assert.equal(doc.body.passwordSet, false);
  assert.ok(!/argon2|\$argon/.test(doc.text));

  ids.nurse = (await api('POST', '/api/admin/people', { username: 'route.nurse', displayName: 'Route Nurse', organizationId: ids.org, roles: ['nurse'], facilityIds: [ids.north] })).body.id as string;
  ids.cover = (await api('POST', '/api/admin/people', { username: 'route.cover', displayName: 'Route Cover', organizationId: ids.org, roles: ['covering-clinician'], facilityIds: [ids.north] })).body.id as string;

  const taken = await api<Problem>('POST', '/api/admin/people', { username: 'route.doc', displayName: 'Other', organizationId: ids.org, roles: [], facilityIds: [] });
  assert.equal(taken.status, 409);
  assert.equal(taken.body.code, 'username-taken');

  const badRole = await api<Problem>('PUT', `/api/admin/people/${ids.doc}/roles`, { roles: ['physician', 'chief-of-everything'] });
  assert.equal(badRole.status, 400);
  assert.deepEqual(badRole.body.errors?.map((e) => e.pointer), ['body/roles/1']);
  assert.ok(!badRole.text.includes('chief-of-everything'), 'the sent value is not echoed');

  const roles = await api('PUT', `/api/admin/people/${ids.doc}/roles`, { roles: ['physician', 'behavioral-health'] });
  assert.equal(roles.status, 200);
  assert.deepEqual(roles.body.roles, ['behavioral-health', 'physician']);

  const patched = await api('PATCH', `/api/admin/people/${ids.doc}`, { displayName: 'Route Doctor', facilityIds: [ids.north, ids.south] });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.displayName, 'Route Doctor');

  const byRole = await api<Page<{ username: string }>>('GET', `/api/admin/people?role=physician&facilityId=${ids.north}`);
  assert.deepEqual(byRole.body.items.map((p) => p.username), ['route.doc']);
  const missing = await api<Problem>('GET', `/api/admin/people/${uuidv7()}`);
  assert.equal(missing.status, 404);
  const notAnId = await api<Problem>('GET', '/api/admin/people/not-a-uuid');
  assert.equal(notAnId.status, 400);
  assert.deepEqual(notAnId.body.errors?.map((e) => e.pointer), ['params/id']);
});

test('an error about a person never repeats what was sent: no names in problem documents or logs', async () => {
  const res = await api<Problem>('POST', '/api/admin/people', {
    username: `${CANARY_PATIENT.given}.${CANARY_PATIENT.family}`.toLowerCase(),
    displayName: `${CANARY_PATIENT.given} ${CANARY_PATIENT.family}`,
    organizationId: ids.org,
    roles: ['nurse'],
    facilityIds: [uuidv7()],
  });
  assert.equal(res.status, 422);
  assert.equal(res.body.code, 'unknown-facility');
  assert.ok(!res.text.toLowerCase().includes(CANARY_PATIENT.family.toLowerCase()));
  const logs = JSON.stringify(t.logLines()).toLowerCase();
  assert.ok(!logs.includes(CANARY_PATIENT.family.toLowerCase()) && !logs.includes(CANARY_PATIENT.given.toLowerCase()));
});

test('care teams: members added (201, then 200 when already in) and removed (404 when not a member)', async () => {
  const team = await api('POST', '/api/admin/care-teams', { name: 'Route Heart', facilityId: ids.north, departmentId: ids.cardiology });
  assert.equal(team.status, 201);
  ids.team = team.body.id as string;
  const added = await api<{ members: { username: string }[] }>('POST', `/api/admin/care-teams/${ids.team}/members/${ids.nurse}`);
  assert.equal(added.status, 201);
  assert.deepEqual(added.body.members.map((m) => m.username), ['route.nurse']);
  assert.equal((await api('POST', `/api/admin/care-teams/${ids.team}/members/${ids.nurse}`)).status, 200);
  assert.equal((await api('POST', `/api/admin/care-teams/${ids.team}/members/${ids.doc}`)).status, 201);
  const removed = await api<{ members: unknown[] }>('DELETE', `/api/admin/care-teams/${ids.team}/members/${ids.doc}`);
  assert.equal(removed.status, 200);
  assert.equal(removed.body.members.length, 1);
  assert.equal((await api('DELETE', `/api/admin/care-teams/${ids.team}/members/${ids.doc}`)).status, 404);

  const wrongDept = await api<Problem>('POST', '/api/admin/care-teams', { name: 'South Heart', facilityId: ids.south, departmentId: ids.cardiology });
  assert.equal(wrongDept.status, 422);
  assert.equal(wrongDept.body.code, 'department-other-facility');
});

test('assignments, coverage and encounters keep their time rules over HTTP', async () => {
  ids.patient = uuidv7();
  await t.vigil.store.db
    .insertInto('patients')
    .values({ id: ids.patient, family_name: CANARY_PATIENT.family, given_names: CANARY_PATIENT.given, birth_date: CANARY_PATIENT.birthDate, sex: 'female', phone: CANARY_PATIENT.phone, address_line: null, address_city: null, address_postal_code: null, payer_name: null, payer_member_id: null, managing_facility_id: ids.north })
    .execute();

  const both = await api<Problem>('POST', '/api/admin/assignments', { patientId: ids.patient, teamId: ids.team, personId: ids.doc });
  assert.equal(both.status, 400, 'exactly one of teamId and personId');
  const assigned = await api<{ id: string; active: boolean }>('POST', '/api/admin/assignments', { patientId: ids.patient, teamId: ids.team });
  assert.equal(assigned.status, 201);
  assert.equal(assigned.body.active, true);
  assert.ok(!assigned.text.includes(CANARY_PATIENT.family), 'assignments carry ids, not demographics');
  const ended = await api<{ active: boolean }>('POST', `/api/admin/assignments/${assigned.body.id}/end`);
  assert.equal(ended.status, 200, 'an empty POST ends it now');
  assert.equal(ended.body.active, false);
  assert.equal((await api<Problem>('POST', `/api/admin/assignments/${assigned.body.id}/end`, {})).body.code, 'assignment-ended');

  const now = Date.now();
  const backwards = await api<Problem>('POST', '/api/admin/coverage', { coveringPersonId: ids.cover, coveredPersonId: ids.doc, startsAt: new Date(now).toISOString(), endsAt: new Date(now - hour).toISOString() });
  assert.equal(backwards.status, 422);
  assert.equal(backwards.body.code, 'coverage-window-invalid');
  const self = await api<Problem>('POST', '/api/admin/coverage', { coveringPersonId: ids.doc, coveredPersonId: ids.doc, startsAt: new Date(now).toISOString(), endsAt: new Date(now + hour).toISOString() });
  assert.equal(self.body.code, 'coverage-self');
  const noZone = await api<Problem>('POST', '/api/admin/coverage', { coveringPersonId: ids.cover, coveredPersonId: ids.doc, startsAt: '2030-01-01T08:00:00', endsAt: '2030-01-01T09:00:00' });
  assert.equal(noZone.status, 400, 'a time without a zone is ambiguous and refused');
  const window = await api<{ id: string; state: string }>('POST', '/api/admin/coverage', { coveringPersonId: ids.cover, coveredPersonId: ids.doc, startsAt: new Date(now - hour).toISOString(), endsAt: new Date(now + 8 * hour).toISOString() });
  assert.equal(window.status, 201);
  assert.equal(window.body.state, 'active');
  assert.equal((await api<Problem>('DELETE', `/api/admin/coverage/${window.body.id}`)).status, 409);
  const cut = await api<{ state: string }>('POST', `/api/admin/coverage/${window.body.id}/end`, {});
  assert.equal(cut.body.state, 'ended');
  const upcoming = await api<{ id: string }>('POST', '/api/admin/coverage', { coveringPersonId: ids.cover, coveredPersonId: ids.doc, startsAt: new Date(now + 24 * hour).toISOString(), endsAt: new Date(now + 30 * hour).toISOString() });
  assert.equal((await api('DELETE', `/api/admin/coverage/${upcoming.body.id}`)).status, 204);
  assert.equal((await api('GET', `/api/admin/coverage/${upcoming.body.id}`)).status, 404);

  const enc = await api<{ id: string; status: string }>('POST', '/api/admin/encounters', { patientId: ids.patient, facilityId: ids.north, class: 'emergency' });
  assert.equal(enc.status, 201);
  assert.equal(enc.body.status, 'planned');
  assert.equal((await api<{ status: string }>('PATCH', `/api/admin/encounters/${enc.body.id}`, { status: 'active' })).body.status, 'active');
  const back = await api<Problem>('PATCH', `/api/admin/encounters/${enc.body.id}`, { status: 'planned' });
  assert.equal(back.status, 409);
  assert.equal(back.body.code, 'encounter-transition-invalid');
  assert.equal((await api<{ status: string }>('PATCH', `/api/admin/encounters/${enc.body.id}`, { status: 'finished' })).body.status, 'finished');
  const list = await api<Page<{ id: string }>>('GET', `/api/admin/encounters?patientId=${ids.patient}&status=finished`);
  assert.deepEqual(list.body.items.map((e) => e.id), [enc.body.id]);
});

test('lists page with limit and cursor; a cursor that was not issued is a 400', async () => {
  for (let i = 0; i < 5; i++) await api('POST', '/api/admin/departments', { facilityId: ids.south, name: `Ward ${i}` });
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Answer<Page<{ name: string }>> = await api('GET', `/api/admin/departments?facilityId=${ids.south}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(page.status, 200);
    assert.ok(page.body.items.length <= 2);
    seen.push(...page.body.items.map((d) => d.name));
    cursor = page.body.nextCursor;
  } while (cursor);
  assert.deepEqual(seen, ['Ward 0', 'Ward 1', 'Ward 2', 'Ward 3', 'Ward 4']);
  const bad = await api<Problem>('GET', '/api/admin/departments?cursor=bm90LW91cnM');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.code, 'invalid-cursor');
  assert.equal((await api<Problem>('GET', '/api/admin/departments?limit=1000')).status, 400);
});

test('every change made through the API is in the audit trail under the caller and the request id', async () => {
  const res = await api('PATCH', `/api/admin/care-teams/${ids.team}`, { name: 'Route Heart North' });
  const requestId = res.headers.get('x-request-id');
  const event = await t.vigil.store.db.selectFrom('audit.events').selectAll().where('request_id', '=', requestId).executeTakeFirstOrThrow();
  assert.equal(event.action, 'directory.care-team.update');
  assert.equal(event.actor_id, TEST_SUBJECTS['security-admin'].id);
  assert.deepEqual(event.actor_roles, ['security-admin']);
  assert.deepEqual(event.resource_ids, [ids.team]);
  assert.deepEqual(event.details, { fields: ['name'] });

  // A demo seed at start-up (actor type `system`) may have changed the directory too; every person who did is the admin.
  const changes = await t.vigil.store.db.selectFrom('audit.events').select(['action', 'actor_id']).where('action', 'like', 'directory.%').where('actor_type', '=', 'person').where('outcome', '=', 'success').execute();
  assert.ok(changes.length > 20);
  assert.ok(changes.every((e) => e.actor_id === TEST_SUBJECTS['security-admin'].id), 'only the admin changed the directory');
});
