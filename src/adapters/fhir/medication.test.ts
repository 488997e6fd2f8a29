import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bundle, facts, flagCodes, mapOk, medicationBody, patient, type Resource } from './test-helpers.ts';

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const AMLODIPINE = { system: RXNORM, code: '197361', display: 'Amlodipine 5 MG Oral Tablet' };
const drug = { coding: [AMLODIPINE] };
const concept = { codings: [AMLODIPINE] };

function request(overrides: Resource = {}): Resource {
  return {
    resourceType: 'MedicationRequest',
    id: 'm1',
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: drug,
    subject: { reference: 'Patient/p1' },
    authoredOn: '2024-01-02T09:00:00Z',
    requester: { reference: 'Practitioner/dr1', display: 'Dr. Someone' },
    dosageInstruction: [
      {
        text: 'one tablet by mouth daily',
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd', boundsPeriod: { start: '2024-01-02', end: '2024-04-02' } } },
        route: { coding: [{ system: 'http://snomed.info/sct', code: '26643006', display: 'Oral route' }] },
        doseAndRate: [{ doseQuantity: { value: 5, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }],
      },
    ],
    dispenseRequest: { quantity: { value: 90, unit: 'tablet' } },
    ...overrides,
  };
}

const one = (resource: Resource) => facts(mapOk(resource).normalized)[0]!;

describe('MedicationRequest', () => {
  it('maps drug, status, order time, dosage, course, quantity and prescriber reference (never the name)', () => {
    const f = one(request());
    assert.deepEqual([f.kind, f.sourceKey, f.status, f.code, f.effective?.instant], ['medication-request', 'MedicationRequest/m1', 'active', concept, '2024-01-02T09:00:00.000Z']);
    assert.deepEqual(medicationBody(f), {
      dosage: {
        text: 'one tablet by mouth daily',
        dose: { value: 5, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' },
        route: { codings: [{ system: 'http://snomed.info/sct', code: '26643006', display: 'Oral route' }] },
        frequency: '1 per 1 d',
      },
      period: {
        start: { instant: '2024-01-02T05:00:00.000Z', zoneFrom: 'profile', zone: 'America/New_York', precision: 'day' },
        end: { instant: '2024-04-02T04:00:00.000Z', zoneFrom: 'profile', zone: 'America/New_York', precision: 'day' },
      },
      quantity: { value: 90, unit: 'tablet' },
      prescriber: 'Practitioner/dr1',
    });
    assert.ok(!JSON.stringify(f).includes('Someone'));
  });

  it('frequency from the timing code, or the repeat written out, and as needed', () => {
    const freq = (dosage: Resource) => medicationBody(one(request({ dosageInstruction: [dosage] }))).dosage?.frequency;
    assert.equal(freq({ timing: { code: { coding: [{ code: 'BID' }] } } }), 'BID');
    assert.equal(freq({ timing: { repeat: { frequency: 1, period: 4, periodMax: 6, periodUnit: 'h' } }, asNeededBoolean: true }), '1 per 4-6 h as needed');
    assert.equal(freq({ timing: { repeat: { when: ['ACM', 'HS'] } } }), 'ACM, HS');
    assert.equal(freq({ timing: { repeat: { timeOfDay: ['08:00:00'] } } }), 'at 08:00:00');
    assert.equal(freq({ asNeededCodeableConcept: { text: 'pain' } }), 'as needed');
  });

  it('reads an unambiguous dose from the text when none is structured, flagged', () => {
    const f = one(request({ dosageInstruction: [{ text: 'Take 500 mg twice daily' }] }));
    assert.deepEqual(medicationBody(f).dosage?.dose, { value: 500, unit: 'mg' });
    assert.deepEqual(flagCodes(f.flags), ['dose-parsed-from-text@MedicationRequest.dosageInstruction[0].text']);
  });

  it('the drug from a contained Medication, or one in the payload', () => {
    const contained = request({ medicationCodeableConcept: undefined, medicationReference: { reference: '#med' }, contained: [{ resourceType: 'Medication', id: 'med', code: drug }] });
    assert.deepEqual(one(contained).code, concept);
    const { normalized, entries } = mapOk(bundle('batch', patient(), { resourceType: 'Medication', id: 'med1', code: drug }, request({ medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/med1' } })));
    assert.deepEqual(facts(normalized)[0]!.code, concept);
    assert.equal(entries[1]!.outcome, 'ignored');
    assert.deepEqual(one(request({ medicationCodeableConcept: undefined, medicationReference: { reference: 'Medication/x', display: 'Amlodipine' } })).code, { codings: [], text: 'Amlodipine' });
  });

  it('the prescriber by the identifier of a Practitioner in the payload, with its system', () => {
    const dr = { resourceType: 'Practitioner', id: 'dr1', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '1234567893' }] };
    const { normalized } = mapOk(bundle('batch', patient(), dr, request()));
    assert.equal(medicationBody(facts(normalized)[0]).prescriber, 'http://hl7.org/fhir/sid/us-npi|1234567893');
  });
});

describe('MedicationStatement, MedicationAdministration, MedicationDispense', () => {
  it('a statement: status, time, course, dosage, the order it follows', () => {
    const f = one({
      resourceType: 'MedicationStatement',
      id: 's1',
      status: 'not-taken',
      medicationCodeableConcept: drug,
      subject: { reference: 'Patient/p1' },
      effectivePeriod: { start: '2023-05-01', end: '2023-06-01' },
      dosage: [{ text: '5 mg daily' }],
      basedOn: [{ reference: 'MedicationRequest/m1' }],
    });
    assert.deepEqual([f.kind, f.sourceKey, f.status, f.effective?.instant, medicationBody(f).orderKey], ['medication-statement', 'MedicationStatement/s1', 'not-taken', '2023-05-01T04:00:00.000Z', 'MedicationRequest/m1']);
    assert.equal(medicationBody(f).period?.end?.instant, '2023-06-01T04:00:00.000Z');
  });

  it('an administration: its single dosage with dose, and its order by key whether or not the order is in the payload', () => {
    const admin = (request: Resource) => ({
      resourceType: 'MedicationAdministration',
      id: 'a1',
      status: 'completed',
      medicationCodeableConcept: drug,
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2024-01-03T08:00:00Z',
      request,
      dosage: { dose: { value: 5, unit: 'mg' }, route: { text: 'oral' } },
    });
    const f = one(admin({ reference: 'MedicationRequest/m1' }));
    assert.deepEqual([f.kind, f.status, f.effective?.instant], ['medication-administration', 'completed', '2024-01-03T08:00:00.000Z']);
    assert.deepEqual(medicationBody(f).dosage, { dose: { value: 5, unit: 'mg' }, route: { codings: [], text: 'oral' } });
    assert.equal(medicationBody(f).orderKey, 'MedicationRequest/m1');
    assert.equal(medicationBody(one(admin({ identifier: { system: 'urn:orders', value: 'ORD-7' } }))).orderKey, 'MedicationRequest?identifier=urn:orders|ORD-7');
    const keyed = request({ id: undefined, identifier: [{ system: 'urn:orders', value: 'ORD-8' }] });
    const { normalized } = mapOk(bundle('batch', { fullUrl: 'urn:uuid:55555555-5555-4555-8555-555555555555', resource: keyed }, admin({ reference: 'urn:uuid:55555555-5555-4555-8555-555555555555' })));
    assert.equal(medicationBody(facts(normalized, 'medication-administration')[0]).orderKey, 'MedicationRequest?identifier=urn:orders|ORD-8');
  });

  it('a dispense: handed-over time, quantity, the prescription it fills', () => {
    const f = one({
      resourceType: 'MedicationDispense',
      id: 'd1',
      status: 'completed',
      medicationCodeableConcept: drug,
      subject: { reference: 'Patient/p1' },
      authorizingPrescription: [{ reference: 'MedicationRequest/m1' }],
      quantity: { value: 30, unit: 'tablet' },
      whenPrepared: '2024-01-02T10:00:00Z',
      whenHandedOver: '2024-01-02T12:00:00Z',
      dosageInstruction: [{ text: 'one daily' }],
    });
    assert.deepEqual([f.kind, f.status, f.effective?.instant], ['medication-dispense', 'completed', '2024-01-02T12:00:00.000Z']);
    assert.deepEqual(medicationBody(f), { dosage: { text: 'one daily' }, orderKey: 'MedicationRequest/m1', quantity: { value: 30, unit: 'tablet' } });
  });

  it('a status outside the type’s value set is unknown, flagged', () => {
    const f = one(request({ status: 'in-progress' }));
    assert.deepEqual([f.status, flagCodes(f.flags)], ['unknown', ['status-unknown@MedicationRequest.status']]);
  });
});
