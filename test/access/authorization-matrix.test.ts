import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ACTIONS } from '../../src/controls/access/policy.ts';
import { buildAccessFixture, MRN_SYSTEM, RELATIONS, signIn, type AccessFixture } from '../support/access-fixture.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';

/**
 * Every cell of the authorization matrix (test/access/authorization-matrix.json), asked through the real HTTP routes
 * with a real sign-in: patient reads and searches through the FHIR routes, role-level actions through the routes that
 * perform them, and the workflow actions whose routes come with later features through /api/access/check, which asks
 * the same decision point with the same relation facts.
 */
interface Matrix {
  patientActions: string[];
  sets: Record<string, string[]>;
  permit: Record<string, Record<string, string | string[]>>;
  roleActions: string[];
  rolePermit: Record<string, string[]>;
}

const matrix = JSON.parse(readFileSync(new URL('./authorization-matrix.json', import.meta.url), 'utf8')) as Matrix;
const roleSets = Object.keys(matrix.permit);

let vigil: TestVigil;
let fixture: AccessFixture;
const tokens = new Map<string, string>();

before(async () => {
  vigil = await startTestVigil();
  fixture = await buildAccessFixture(vigil.vigil.store, vigil.vigil.config, roleSets);
  for (const roleSet of roleSets) tokens.set(roleSet, await signIn(vigil.url, fixture.people.get(roleSet)!));
});
after(() => vigil?.close());

function expectedPatientPermits(roleSet: string, relation: string): Set<string> {
  const cell = matrix.permit[roleSet]?.[relation] ?? [];
  return new Set(typeof cell === 'string' ? matrix.sets[cell]! : cell);
}

async function call(roleSet: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${vigil.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens.get(roleSet)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

async function patientDecision(roleSet: string, action: string, patient: { id: string; mrn: string }): Promise<boolean> {
  if (action === 'patient.read') {
    const res = await call(roleSet, 'GET', `/fhir/R4/Patient/${patient.id}`);
    assert.ok(res.status === 200 || res.status === 403, `patient.read answered ${res.status}`);
    await res.arrayBuffer();
    return res.status === 200;
  }
  if (action === 'patient.search') {
    const res = await call(roleSet, 'GET', `/fhir/R4/Patient?identifier=${encodeURIComponent(`${MRN_SYSTEM}|${patient.mrn}`)}`);
    assert.ok(res.status === 200 || res.status === 403, `patient.search answered ${res.status}`);
    if (res.status === 403) return false;
    const bundle = (await res.json()) as { total: number; entry?: unknown[] };
    assert.equal(bundle.total, bundle.entry?.length ?? 0, 'the total counts only what the caller may see');
    return bundle.total === 1;
  }
  const res = await call(roleSet, 'POST', '/api/access/check', { action, patientId: patient.id });
  assert.equal(res.status, 200);
  return ((await res.json()) as { permit: boolean }).permit;
}

/** Role-level actions through the routes that perform them, where they exist. */
const ROLE_ROUTES: Record<string, { method: string; path: (f: AccessFixture) => string }> = {
  'self.read': { method: 'GET', path: () => '/auth/me' },
  'break-glass': { method: 'GET', path: () => '/api/break-glass/active' },
  'audit.read': { method: 'GET', path: () => '/api/audit?limit=1' },
  'audit.export': { method: 'GET', path: () => `/api/audit/export.ndjson?from=${encodeURIComponent(new Date(Date.now() + 86_400_000).toISOString())}` },
  'audit.verify': { method: 'GET', path: () => '/api/audit/checkpoints' },
  'break-glass.review': { method: 'GET', path: () => '/api/break-glass/reviews' },
  'account.read': { method: 'GET', path: (f) => `/api/accounts/${f.people.get('nurse')!.id}/sessions` },
  'directory.read': { method: 'GET', path: () => '/api/admin/people' },
};

async function roleDecision(roleSet: string, action: string): Promise<boolean> {
  const route = ROLE_ROUTES[action];
  if (route) {
    const res = await call(roleSet, route.method, route.path(fixture));
    await res.arrayBuffer();
    assert.ok((res.status >= 200 && res.status < 300) || res.status === 403, `${action} via ${route.path(fixture)} answered ${res.status}`);
    return res.status !== 403;
  }
  const res = await call(roleSet, 'POST', '/api/access/check', { action });
  assert.equal(res.status, 200);
  return ((await res.json()) as { permit: boolean }).permit;
}

test('the matrix names every patient-scoped action of the policy and only those', () => {
  const patientScoped = Object.entries(ACTIONS).filter(([name, spec]) => spec.patientScoped && name !== 'break-glass').map(([name]) => name).sort();
  assert.deepEqual([...matrix.patientActions].sort(), patientScoped);
  const roleLevel = Object.entries(ACTIONS).filter(([name, spec]) => !spec.patientScoped || name === 'break-glass').map(([name]) => name).sort();
  assert.deepEqual([...matrix.roleActions].sort(), roleLevel);
});

for (const roleSet of roleSets) {
  test(`authorization matrix through HTTP: ${roleSet}`, async () => {
    const differences: string[] = [];
    for (const relation of RELATIONS) {
      const expected = expectedPatientPermits(roleSet, relation);
      for (const action of matrix.patientActions) {
        const got = await patientDecision(roleSet, action, fixture.patients[relation]);
        if (got !== expected.has(action)) differences.push(`${relation} × ${action}: expected ${expected.has(action) ? 'permit' : 'deny'}, got ${got ? 'permit' : 'deny'}`);
      }
    }
    const rolePermits = new Set(matrix.rolePermit[roleSet] ?? []);
    for (const action of matrix.roleActions) {
      const got = await roleDecision(roleSet, action);
      if (got !== rolePermits.has(action)) differences.push(`(role) ${action}: expected ${rolePermits.has(action) ? 'permit' : 'deny'}, got ${got ? 'permit' : 'deny'}`);
    }
    assert.deepEqual(differences, []);
  });
}

test('every refused patient read in the matrix is on the audit trail as a denial with its reason', async () => {
  const store = vigil.vigil.store;
  const nurse = fixture.people.get('nurse')!;
  const denied = await store.db
    .selectFrom('audit.events')
    .select(['patient_id', 'reason_code', 'outcome'])
    .where('actor_id', '=', nurse.id)
    .where('action', '=', 'patient.read')
    .where('outcome', '=', 'denied')
    .execute();
  const deniedPatients = new Set(denied.map((d) => d.patient_id));
  for (const relation of ['other-team', 'covering-after-window', 'other-facility'] as const) {
    assert.ok(deniedPatients.has(fixture.patients[relation].id), `a denial for ${relation} is recorded`);
  }
  const reasons = new Set(denied.map((d) => d.reason_code));
  assert.ok(reasons.has('deny-other-facility'));
  assert.ok(reasons.has('deny-coverage-ended'));
  assert.ok(reasons.has('deny-no-care-relation'));
});
