import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bundle, flagCodes, mapOk, MRN_SYSTEM, observation, patient } from './test-helpers.ts';

const P_URL = 'urn:uuid:11111111-1111-4111-8111-111111111111';
const byId = (id: string) => ({ system: 'urn:vigil:source:ehr1:fhir-patient-id', value: id });
const encounter = (id: string, subject = 'Patient/p1') => ({ resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' }, subject: { reference: subject } });

describe('which patient a resource is about', () => {
  it('a Patient of the payload, by type and id, by fullUrl, or by an absolute URL with a version', () => {
    const refs = ['Patient/p1', P_URL, 'https://ehr.example/fhir/Patient/p1/_history/2'];
    const { normalized } = mapOk(
      bundle(
        'transaction',
        { fullUrl: P_URL, resource: patient() },
        ...refs.map((reference, i) => ({ resource: observation({ id: `o${i}`, subject: { reference } }) })),
      ),
    );
    assert.equal(normalized.groups.length, 1);
    assert.deepEqual(normalized.groups[0]!.facts.map((f) => f.sourceKey), ['Observation/o0', 'Observation/o1', 'Observation/o2']);
  });

  it('a relative reference resolves against the RESTful base of the referring entry', () => {
    const { normalized } = mapOk(
      bundle(
        'batch',
        { fullUrl: 'https://ehr.example/fhir/Patient/p1', resource: patient({ id: undefined }) },
        { fullUrl: 'https://ehr.example/fhir/Observation/o1', resource: observation() },
      ),
    );
    assert.equal(normalized.groups.length, 1);
    assert.equal(normalized.groups[0]!.facts.length, 1);
  });

  it('a logical reference by identifier finds a Patient of the payload that carries it', () => {
    const { normalized } = mapOk(bundle('batch', patient(), observation({ subject: { identifier: { system: MRN_SYSTEM, value: '12345' } } })));
    assert.equal(normalized.groups.length, 1);
    assert.equal(normalized.groups[0]!.facts.length, 1);
  });

  it('a patient absent from the payload, named by id, is given by the source FHIR id; one group for all its facts', () => {
    const { normalized } = mapOk(bundle('batch', observation(), observation({ id: 'o2' })));
    assert.equal(normalized.groups.length, 1);
    assert.deepEqual(normalized.groups[0]!.patient, { identifiers: [byId('p1')], given: [], flags: [] });
    assert.equal(normalized.groups[0]!.position, 'Bundle.entry[0].resource.subject');
    assert.equal(normalized.groups[0]!.facts.length, 2);
  });

  it('a patient absent from the payload, named by identifier, is given by that identifier (preferred over its id)', () => {
    const identifier = { system: MRN_SYSTEM, value: '999' };
    const { normalized } = mapOk(bundle('batch', observation({ subject: { identifier } }), observation({ id: 'o2', subject: { reference: 'Patient/p9', identifier } })));
    assert.equal(normalized.groups.length, 1);
    assert.deepEqual(normalized.groups[0]!.patient.identifiers, [identifier]);
    const bare = mapOk(observation({ subject: { identifier: { value: '999' } } })).normalized.groups[0]!.patient;
    assert.deepEqual([bare.identifiers, flagCodes(bare.flags)], [[{ system: 'urn:vigil:authority:unknown', value: '999' }], ['identifier-authority-missing@Observation.subject.identifier']]);
    const withId = mapOk(observation({ subject: { reference: 'Patient/p9', identifier: { value: '999' } } })).normalized.groups[0]!.patient;
    assert.deepEqual([withId.identifiers, withId.flags], [[byId('p9')], []], 'an identifier without a system loses to the id beside it');
  });

  it('patients of the payload come first, then absent ones in order of first mention', () => {
    const { normalized } = mapOk(bundle('batch', observation({ subject: { reference: 'Patient/p7' } }), patient(), observation({ id: 'o2' })));
    assert.deepEqual(normalized.groups.map((g) => g.patient.identifiers.at(-1)?.value), ['p1', 'p7']);
  });

  it('refuses a resource without subject, or whose reference cannot be followed', () => {
    const { entries } = mapOk(
      bundle(
        'batch',
        observation({ subject: undefined }),
        observation({ id: 'o2', subject: { reference: 'urn:uuid:22222222-2222-4222-8222-222222222222' } }),
        observation({ id: 'o3', subject: { display: 'someone' } }),
      ),
    );
    assert.deepEqual(entries.map((e) => [e.outcome, e.reason?.split(';')[0]]), [
      ['error', 'Observation.subject is missing'],
      ['error', 'Observation.subject.reference does not resolve to a Patient in the payload and names no patient id.'],
      ['error', 'Observation.subject has neither a reference nor an identifier'],
    ]);
  });

  it('ignores a resource about a group, a device or a place: not patient data', () => {
    const location = { resourceType: 'Location', id: 'l1' };
    const { normalized, entries } = mapOk(
      bundle(
        'batch',
        location,
        observation({ subject: { reference: 'Group/g1' } }),
        observation({ id: 'o2', subject: { reference: 'Location/l1' } }),
        observation({ id: 'o3', subject: { type: 'Device', identifier: { system: 'urn:x', value: 'd1' } } }),
      ),
    );
    assert.deepEqual(entries.map((e) => e.outcome), ['ignored', 'ignored', 'ignored', 'ignored']);
    assert.equal(normalized.groups.length, 0);
  });

  it('a resource about a Patient entry that could not be mapped fails too', () => {
    const url = 'urn:uuid:33333333-3333-4333-8333-333333333333';
    const mergedIntoItself = patient({ link: [{ type: 'replaces', other: { reference: url } }] });
    const out = mapOk(bundle('batch', { fullUrl: url, resource: mergedIntoItself }, observation({ subject: { reference: url } })));
    assert.deepEqual(out.entries.map((e) => e.outcome), ['error', 'error']);
    assert.equal(out.entries[1]!.reason, 'Observation.subject refers to a Patient entry that could not be mapped.');
    assert.equal(out.normalized.groups.length, 0);
  });

  it('AllergyIntolerance names its patient in `patient`', () => {
    const allergy = { resourceType: 'AllergyIntolerance', id: 'a1', patient: { reference: 'Patient/p1' }, clinicalStatus: { coding: [{ code: 'active' }] } };
    assert.equal(mapOk(bundle('batch', patient(), allergy)).normalized.groups[0]!.facts.length, 1);
  });
});

describe('which encounter a fact belongs to', () => {
  it('facts go into the group of their encounter; without one of the payload, into the patient group', () => {
    const { normalized } = mapOk(
      bundle(
        'transaction',
        patient(),
        encounter('e1'),
        encounter('e2'),
        observation({ id: 'o1', encounter: { reference: 'Encounter/e2' } }),
        observation({ id: 'o2', encounter: { reference: 'Encounter/elsewhere' } }),
        observation({ id: 'o3' }),
        observation({ id: 'o4', encounter: { reference: 'Encounter/e1' } }),
      ),
    );
    assert.deepEqual(
      normalized.groups.map((g) => [g.encounter?.sourceKey, g.facts.map((f) => f.sourceKey)]),
      [[undefined, ['Observation/o2', 'Observation/o3']], ['Encounter/e1', ['Observation/o4']], ['Encounter/e2', ['Observation/o1']]],
    );
    assert.ok(normalized.groups.every((g) => g.patient === normalized.groups[0]!.patient && g.position === 'Bundle.entry[0].resource'));
  });

  it("a fact pointing at another patient's encounter stays with its own patient", () => {
    const { normalized } = mapOk(bundle('batch', patient(), patient({ id: 'p2', identifier: [] }), encounter('e2', 'Patient/p2'), observation({ encounter: { reference: 'Encounter/e2' } })));
    assert.deepEqual(normalized.groups.map((g) => [g.patient.identifiers.at(-1)?.value, g.encounter?.sourceKey, g.facts.length]), [['p1', undefined, 1], ['p2', undefined, 0], ['p2', 'Encounter/e2', 0]]);
  });

  it('an encounter of an absent patient makes a group of its own, without an empty patient group', () => {
    const { normalized } = mapOk(bundle('batch', encounter('e1', 'Patient/p5'), observation({ subject: { reference: 'Patient/p5' }, encounter: { reference: 'Encounter/e1' } })));
    assert.deepEqual(normalized.groups.map((g) => [g.patient.identifiers, g.encounter?.sourceKey, g.facts.length]), [[[byId('p5')], 'Encounter/e1', 1]]);
  });
});
