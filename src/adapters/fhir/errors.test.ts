import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CANARY_PATIENT, CANARY_PATIENT_2 } from '../../../test/support/canaries.ts';
import { mapFhirPayload } from './index.ts';
import { bundle, context, observation, patient, type Resource } from './test-helpers.ts';

const C = CANARY_PATIENT;
const VALUES = [...Object.values(CANARY_PATIENT), ...Object.values(CANARY_PATIENT_2)].map((v) => v.toLowerCase());

const canaryPatient = (overrides: Resource = {}) =>
  patient({
    id: 'canary',
    identifier: [{ system: `urn:${C.given}`, value: C.mrn }],
    name: [{ family: C.family, given: [C.given] }],
    birthDate: '2999-01-01',
    gender: C.given,
    telecom: [{ system: 'phone', value: C.phone }],
    address: [{ line: [C.address] }],
    ...overrides,
  });
const aboutCanary = (overrides: Resource) => observation({ code: { text: C.family }, valueString: C.address, ...overrides });

/** Everything a refusal or a skipped entry tells the sender or the operator. */
function said(json: unknown): string {
  const out = mapFhirPayload(json, context());
  if (!out.ok) return `${out.error.message}\n${JSON.stringify(out.error.issues)}`;
  return JSON.stringify(out.entries.filter((e) => e.outcome !== 'mapped').map((e) => [e.resourceType, e.reason]));
}

const CASES: Record<string, unknown> = {
  'a bare string': C.family,
  'an invented resource type': { resourceType: C.family.replace(/-/g, ''), name: C.given },
  'an invented bundle type': { resourceType: 'Bundle', type: C.given, entry: [{ resource: canaryPatient() }] },
  'entry problems of every kind': bundle(
    'transaction',
    { fullUrl: C.mrn, resource: canaryPatient() },
    { fullUrl: `https://x.example/${C.given}`, resource: { resourceType: C.given } },
    { fullUrl: `https://x.example/${C.given}`, resource: canaryPatient({ id: `${C.given} ${C.family}` }) },
    { request: { method: 'POST', url: `Patient?name=${C.family}` } },
  ),
  'a deletion naming the patient': bundle('batch', { request: { method: 'DELETE', url: `Patient?identifier=${C.mrn}` } }),
  'a patient without identifier': canaryPatient({ id: undefined, identifier: [{ system: C.given }] }),
  'a patient merged into itself': canaryPatient({ link: [{ type: 'replaced-by', other: { identifier: { system: `urn:${C.given}`, value: C.mrn } } }] }),
  'facts that cannot be mapped': bundle(
    'transaction',
    canaryPatient(),
    aboutCanary({ subject: undefined }),
    aboutCanary({ id: 'o2', subject: { reference: C.family } }),
    aboutCanary({ id: 'o3', subject: { display: C.family } }),
    aboutCanary({ id: undefined, subject: { reference: 'Patient/canary' } }),
  ),
  'facts and resources that are skipped': bundle(
    'batch',
    aboutCanary({ subject: { reference: `Group/${C.phoneDigits}`, display: C.family } }),
    { resourceType: 'Practitioner', id: 'dr', name: [{ family: CANARY_PATIENT_2.family }] },
    { resourceType: 'Claim', id: 'c', patient: { display: CANARY_PATIENT_2.given } },
  ),
};

describe('no refusal or skipped entry carries a value from the payload', () => {
  for (const [name, json] of Object.entries(CASES)) {
    it(name, () => {
      const text = said(json).toLowerCase();
      assert.ok(text.length > 2, 'something was refused or skipped');
      for (const value of VALUES) assert.ok(!text.includes(value), `${name}: a value from the payload was echoed`);
    });
  }

  it('the entries refused in a transaction are all named, by position', () => {
    const out = mapFhirPayload(CASES['facts that cannot be mapped'], context());
    assert.ok(!out.ok);
    assert.deepEqual(out.error.issues.map((i) => i.expression), ['Bundle.entry[1].resource.subject', 'Bundle.entry[2].resource.subject.reference', 'Bundle.entry[3].resource.subject', 'Bundle.entry[4].resource.id']);
  });
});
