import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLINICAL_TYPES } from '../../src/core/clinical/resource-types.ts';
import { CHART_TYPES } from '../../src/controls/access/policy.ts';
import { systemClientToken } from '../support/client-token.ts';
import { startTestVigil, type TestVigil } from '../support/in-process.ts';
import { assertOperationOutcome, auditOf, call, reasonOf } from './http.ts';
import { seedClinical, type Seeded } from './seed.ts';

/**
 * A system client reads only the resource types its scopes name: a pharmacy system granted medication orders must
 * not read the same patient's problems, notes or visits. Whole-chart reads need every type or `system/*.read`.
 */
const T = { timeout: 120_000 };
let t: TestVigil;
let s: Seeded;
let pharmacy: string;
let wildcard: string;
let patientOnly: string;

before(async () => {
  t = await startTestVigil();
  s = await seedClinical(t);
  pharmacy = await systemClientToken(t.vigil.store, t.url, 'pharmacy-system', ['system/MedicationRequest.read']);
  wildcard = await systemClientToken(t.vigil.store, t.url, 'analytics-system', ['system/*.read']);
  patientOnly = await systemClientToken(t.vigil.store, t.url, 'registration-system', ['system/Patient.read']);
}, T);
after(() => t?.close());

const patient = () => s.fixture.patients['own-team'].id;

describe('system client scopes per resource type', () => {
  it('has a scope for every type the FHIR face serves', () => {
    assert.deepEqual([...CHART_TYPES].sort(), [...CLINICAL_TYPES, 'Provenance'].sort());
  });

  it('lets a client read and search the type its scope names', T, async () => {
    const read = await call(t, pharmacy, `/fhir/R4/MedicationRequest/${s.facts['order']}`);
    assert.equal(read.status, 200);
    assert.equal(read.json.resourceType, 'MedicationRequest');
    const search = await call(t, pharmacy, `/fhir/R4/MedicationRequest?patient=${patient()}`);
    assert.equal(search.status, 200);
    assert.ok((search.json.entry as unknown[]).length >= 1);
  });

  it('refuses the same client every other type of the same chart with deny-scope, and audits the refusal', T, async () => {
    for (const path of [
      `/fhir/R4/Condition/${s.facts['problem']}`,
      `/fhir/R4/AllergyIntolerance/${s.facts['allergy']}`,
      `/fhir/R4/DocumentReference/${s.facts['document']}`,
      `/fhir/R4/Observation/${s.facts['glucose']}`,
      `/fhir/R4/Encounter?patient=${patient()}`,
      `/fhir/R4/Condition?patient=${patient()}`,
    ]) {
      const res = await call(t, pharmacy, path);
      assertOperationOutcome(res, 403);
      assert.equal(reasonOf(res), 'deny-scope', path);
      const [event] = await auditOf(t, res.requestId);
      assert.deepEqual([event?.outcome, event?.reason_code], ['denied', 'deny-scope'], path);
    }
  });

  it('keeps whole-chart reads ($everything, the chart, history) for clients holding every type', T, async () => {
    for (const path of [`/fhir/R4/Patient/${patient()}/$everything`, `/api/patients/${patient()}/chart`, `/api/facts/${s.facts['order']}/history`]) {
      const narrow = await call(t, pharmacy, path);
      assert.equal(narrow.status, 403, path);
      const [event] = await auditOf(t, narrow.requestId);
      assert.equal(event?.reason_code, 'deny-scope', path);
    }
    const everything = await call(t, wildcard, `/fhir/R4/Patient/${patient()}/$everything?_count=100`);
    assert.equal(everything.status, 200);
    const types = new Set((everything.json.entry as { resource: { resourceType: string } }[]).map((e) => e.resource.resourceType));
    for (const type of ['Patient', 'Condition', 'AllergyIntolerance', 'MedicationRequest', 'Observation']) assert.ok(types.has(type), type);
  });

  it('lets system/*.read read every type, and system/Patient.read only demographics', T, async () => {
    assert.equal((await call(t, wildcard, `/fhir/R4/Condition/${s.facts['problem']}`)).status, 200);
    assert.equal((await call(t, wildcard, `/fhir/R4/Observation/${s.facts['glucose']}`)).status, 200);
    assert.equal((await call(t, patientOnly, `/fhir/R4/Patient/${patient()}`)).status, 200);
    const chart = await call(t, patientOnly, `/fhir/R4/MedicationRequest/${s.facts['order']}`);
    assertOperationOutcome(chart, 403);
    assert.equal(reasonOf(chart), 'deny-scope');
  });
});
