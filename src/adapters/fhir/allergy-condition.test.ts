import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AllergyBody, ConditionBody } from '../../model/clinical.ts';
import { facts, flagCodes, mapOk, type Resource } from './test-helpers.ts';

const one = (resource: Resource) => facts(mapOk(resource).normalized)[0]!;

function allergy(overrides: Resource = {}): Resource {
  return {
    resourceType: 'AllergyIntolerance',
    id: 'a1',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ code: 'confirmed' }] },
    category: ['medication'],
    criticality: 'high',
    code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '7980', display: 'Penicillin G' }] },
    patient: { reference: 'Patient/p1' },
    onsetDateTime: '2010-05-01',
    reaction: [{ manifestation: [{ text: 'Hives' }, { coding: [{ display: 'Wheezing' }] }] }, { manifestation: [{ text: 'Hives' }] }],
    ...overrides,
  };
}

function condition(overrides: Resource = {}): Resource {
  return {
    resourceType: 'Condition',
    id: 'c1',
    clinicalStatus: { coding: [{ code: 'resolved' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis' }] }],
    code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertension' }] },
    subject: { reference: 'Patient/p1' },
    onsetDateTime: '2019-03-04T10:00:00+00:00',
    abatementPeriod: { start: '2020-01-01', end: '2020-02-01' },
    recordedDate: '2019-03-05',
    ...overrides,
  };
}

describe('AllergyIntolerance → allergy fact', () => {
  it('maps category, criticality, reactions (each manifestation once) and onset', () => {
    const f = one(allergy());
    assert.deepEqual([f.kind, f.sourceKey, f.status, f.effective?.precision], ['allergy', 'AllergyIntolerance/a1', 'active', 'day']);
    assert.deepEqual(f.body as AllergyBody, { category: 'medication', criticality: 'high', reaction: 'Hives; Wheezing' });
  });

  it('entered in error or refuted wins over the clinical status; no status at all is unknown, flagged', () => {
    assert.equal(one(allergy({ verificationStatus: { coding: [{ code: 'entered-in-error' }] } })).status, 'entered-in-error');
    assert.equal(one(allergy({ verificationStatus: { coding: [{ code: 'refuted' }] } })).status, 'refuted');
    const f = one(allergy({ clinicalStatus: undefined }));
    assert.deepEqual([f.status, flagCodes(f.flags)], ['unknown', ['status-unknown@AllergyIntolerance.clinicalStatus']]);
  });

  it('leaves out values outside the value sets; recordedDate when there is no onset', () => {
    const f = one(allergy({ category: ['pollen'], criticality: 'severe', onsetDateTime: undefined, recordedDate: '2011-01-01' }));
    assert.deepEqual(f.body, { reaction: 'Hives; Wheezing' });
    assert.equal(f.effective?.instant, '2011-01-01T05:00:00.000Z');
  });
});

describe('Condition → condition fact', () => {
  it('maps category, onset, abatement (a period’s end) and status', () => {
    const f = one(condition());
    const body = f.body as ConditionBody;
    assert.deepEqual([f.kind, f.sourceKey, f.status, body.category], ['condition', 'Condition/c1', 'resolved', 'encounter-diagnosis']);
    assert.equal(body.onset?.instant, '2019-03-04T10:00:00.000Z');
    assert.equal(body.abatement?.instant, '2020-02-01T05:00:00.000Z');
    assert.deepEqual(f.effective, body.onset);
  });

  it('problem-list items; an onset period’s start; recordedDate when there is no onset', () => {
    const listed = one(condition({ category: [{ coding: [{ code: 'other' }, { code: 'problem-list-item' }] }], onsetDateTime: undefined, onsetPeriod: { start: '2018-01-01' } }));
    assert.deepEqual([(listed.body as ConditionBody).category, (listed.body as ConditionBody).onset?.precision], ['problem-list-item', 'day']);
    const unknownOnset = one(condition({ onsetDateTime: undefined, onsetString: 'childhood' }));
    assert.equal(unknownOnset.effective?.instant, '2019-03-05T05:00:00.000Z');
  });

  it('entered in error, or no clinical status', () => {
    assert.equal(one(condition({ verificationStatus: { coding: [{ code: 'entered-in-error' }] } })).status, 'entered-in-error');
    assert.equal(one(condition({ clinicalStatus: { coding: [{ code: 'gone' }] } })).status, 'unknown');
  });
});
