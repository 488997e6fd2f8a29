import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { generate } from 'otplib';
import { v7 as uuidv7 } from 'uuid';
import { loadKeyring } from '../src/controls/keys/keyring.ts';
import { DEMO, seedDemoHospital } from '../src/demo/demo-hospital.ts';
import { testConfig } from './support/test-db.ts';
import { SUBJECT_HEADER, TEST_SUBJECTS, withTestSubjects, type TestSubjectName } from './support/directory-subjects.ts';
import { startTestVigil, type TestVigil } from './support/in-process.ts';

/**
 * Who may use the directory admin API: the guard, on the routes' declarations, lets in security admins only. Every
 * /api/admin route is swept: without a subject 401, as a nurse (or support staff, or a privacy officer) 403, and the
 * refusal is audited; a security admin reads. Write routes are called with well-formed bodies, so the answer is about
 * access and not about the body.
 */
let t: TestVigil;
before(async () => {
  t = await startTestVigil({ extendApp: withTestSubjects });
});
after(async () => {
  await t.close();
});

const someId = uuidv7();
const when = new Date(Date.now() + 3_600_000).toISOString();
const later = new Date(Date.now() + 7_200_000).toISOString();

// A body the schema accepts for each write route, so that only access decides the answer.
const BODIES: Record<string, unknown> = {
  'POST /api/admin/organizations': { name: 'X' },
  'PATCH /api/admin/organizations/:id': { name: 'X' },
  'POST /api/admin/facilities': { organizationId: someId, code: 'XX', name: 'X' },
  'PATCH /api/admin/facilities/:id': { name: 'X' },
  'POST /api/admin/departments': { facilityId: someId, name: 'X' },
  'PATCH /api/admin/departments/:id': { name: 'X' },
  'POST /api/admin/people': { username: 'x.person', displayName: 'X', organizationId: someId, roles: ['nurse'], facilityIds: [] },
  'PATCH /api/admin/people/:id': { displayName: 'X' },
  'PUT /api/admin/people/:id/roles': { roles: ['security-admin'] },
  'POST /api/admin/care-teams': { name: 'X', facilityId: someId },
  'PATCH /api/admin/care-teams/:id': { name: 'X' },
  'POST /api/admin/assignments': { patientId: someId, teamId: someId },
  'POST /api/admin/assignments/:id/end': {},
  'POST /api/admin/coverage': { coveringPersonId: someId, coveredPersonId: uuidv7(), startsAt: when, endsAt: later },
  'POST /api/admin/coverage/:id/end': {},
  'POST /api/admin/encounters': { patientId: someId, facilityId: someId },
  'PATCH /api/admin/encounters/:id': { status: 'active' },
};

function adminRoutes() {
  return t.vigil.app!.routes.filter((r) => r.url.startsWith('/api/admin/') && r.method !== 'HEAD');
}

async function call(method: string, url: string, as: TestSubjectName | null) {
  const path = url.replace(/:[A-Za-z]+/g, () => someId);
  const body = BODIES[`${method} ${url}`];
  const headers: Record<string, string> = {};
  if (as) headers[SUBJECT_HEADER] = as;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${t.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as { code?: string; reason?: string } };
}

test('every admin route declares a directory action on a directory resource', () => {
  const routes = adminRoutes();
  assert.ok(routes.length >= 35, `only ${routes.length} admin routes`);
  const resources = new Set(['Organization', 'Facility', 'Department', 'Person', 'CareTeam', 'PatientAssignment', 'Coverage', 'Encounter']);
  for (const r of routes) {
    assert.ok(r.policy && !('public' in r.policy), `${r.method} ${r.url} is not public`);
    const policy = r.policy as { action: string; resource: string };
    assert.equal(policy.action, r.method === 'GET' ? 'directory.read' : 'directory.write', `${r.method} ${r.url}`);
    assert.ok(resources.has(policy.resource), `${r.method} ${r.url}: ${policy.resource}`);
    if (r.method !== 'GET' && r.method !== 'DELETE' && !r.url.includes('/members/')) assert.ok(`${r.method} ${r.url}` in BODIES, `a test body for ${r.method} ${r.url}`);
  }
});

test('without a subject every admin route answers 401', async () => {
  for (const r of adminRoutes()) {
    const res = await call(r.method, r.url, null);
    assert.equal(res.status, 401, `${r.method} ${r.url}`);
    assert.equal(res.body.code, 'unauthenticated');
  }
  // Before sign-in a caller learns nothing about the endpoint, not even what its body should look like.
  const malformed = await fetch(`${t.url}/api/admin/people`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(malformed.status, 401);
});

test('a nurse, support staff and a privacy officer get 403 on every admin route, and the refusal is audited', async () => {
  for (const who of ['nurse', 'support-staff', 'privacy-officer'] as const) {
    for (const r of adminRoutes()) {
      const res = await call(r.method, r.url, who);
      assert.equal(res.status, 403, `${who}: ${r.method} ${r.url}`);
      assert.equal(res.body.reason, 'deny-role');
    }
  }
  const denials = await t.vigil.store.db.selectFrom('audit.events').select(['action', 'outcome']).where('actor_id', '=', TEST_SUBJECTS.nurse.id).execute();
  assert.equal(denials.length, adminRoutes().length);
  assert.ok(denials.every((d) => d.outcome === 'denied' && d.action.startsWith('directory.')));
});

test('a security admin reads every list and gets past the guard on every route', async () => {
  for (const r of adminRoutes()) {
    const res = await call(r.method, r.url, 'security-admin');
    assert.ok(res.status !== 401 && res.status !== 403, `${r.method} ${r.url}: ${res.status}`);
    if (r.method === 'GET' && !r.url.includes(':')) assert.equal(res.status, 200, `${r.method} ${r.url}`);
  }
});

test('end to end with real sign-ins on the demo hospital: the security admin (with TOTP) reads, the nurse is refused', async () => {
  const config = testConfig(t.db);
  const seeded = await seedDemoHospital(t.vigil.store, loadKeyring(config), { dataDir: config.dataDir, production: false });
  const credentials = JSON.parse(readFileSync(seeded.credentialsFile, 'utf8')) as { username: string; password: string; totpSecret: string }[];
  const signIn = async (username: string, withTotp: boolean) => {
    const c = credentials.find((x) => x.username === username)!;
    const body = { username: c.username, password: c.password, ...(withTotp ? { totp: await generate({ secret: c.totpSecret }) } : {}) };
    const res = await fetch(`${t.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { access_token?: string; error?: string } };
  };

  const noTotp = await signIn(DEMO.people.securityAdmin.username, false);
  assert.equal(noTotp.status, 401);
  assert.equal(noTotp.body.error, 'mfa_required', 'a security admin needs the second factor');
  const admin = await signIn(DEMO.people.securityAdmin.username, true);
  assert.equal(admin.status, 200);
  const nurse = await signIn(DEMO.people.cardiologyNurse.username, false);
  assert.equal(nurse.status, 200);

  const people = (token?: string) => fetch(`${t.url}/api/admin/people?role=physician`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const asAdmin = await people(admin.body.access_token);
  assert.equal(asAdmin.status, 200);
  const list = (await asAdmin.json()) as { items: { username: string }[] };
  assert.ok(list.items.some((p) => p.username === DEMO.people.cardiologist.username));
  assert.equal((await people(nurse.body.access_token)).status, 403);
  assert.equal((await people()).status, 401);
});
