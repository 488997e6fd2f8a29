import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SUPPORTED_RESOURCES } from './index.ts';
import { facts, mapError, mapOk, observationBody, type Resource } from './test-helpers.ts';

// The shared acceptance corpus (origins in test/fixtures/fhir/SOURCES.md).
const CORPUS = join(import.meta.dirname, '../../../test/fixtures/fhir');
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json')).sort();
// JSON.parse refuses a byte order mark; mscvt_ObservationBundle.json starts with one.
const load = (f: string): Resource => JSON.parse(readFileSync(join(CORPUS, f), 'utf8').replace(/^\uFEFF/, ''));

const resourcesOf = (b: Resource) => (b['entry'] as { resource: Resource }[]).map((e) => e.resource);
const count = (b: Resource, type: string) => resourcesOf(b).filter((r) => r['resourceType'] === type).length;
const refOf = (v: unknown) => (v as { reference?: string } | undefined)?.reference;

const FACT_POSITION = /^Bundle\.entry\[\d+\]\.resource(\.component\[\d+\])?$/;
const FLAG_POSITION = /^(Bundle\.entry\[\d+\]\.resource|[A-Z][A-Za-z]+)(\.[a-zA-Z]+(\[\d+\])?)*$/;
const SYNTHEA_PATIENTS = files.filter((f) => /^synthea_r4_[A-Z][a-z]+_/.test(f));

describe('mapping the FHIR corpus', () => {
  it('covers all 11 corpus files', () => {
    assert.equal(files.length, 11);
    assert.equal(SYNTHEA_PATIENTS.length, 4);
  });

  for (const f of SYNTHEA_PATIENTS) {
    it(`${f}: every resource type lands where it belongs, counted from the bundle`, () => {
      const json = load(f);
      const { normalized, entries } = mapOk(json);
      assert.equal(normalized.event, 'FHIR:Bundle-transaction');
      const resources = resourcesOf(json);
      const components = resources.filter((r) => r['resourceType'] === 'Observation').reduce((n, r) => n + ((r['component'] as unknown[] | undefined)?.length ?? 0), 0);

      assert.equal(new Set(normalized.groups.map((g) => g.patient)).size, count(json, 'Patient'));
      assert.equal(normalized.groups.filter((g) => g.encounter).length, count(json, 'Encounter'));
      assert.equal(facts(normalized, 'observation').length, count(json, 'Observation') + components);
      assert.equal(facts(normalized, 'diagnostic-report').length, count(json, 'DiagnosticReport'));
      assert.equal(facts(normalized, 'medication-request').length, count(json, 'MedicationRequest'));
      assert.equal(facts(normalized, 'condition').length, count(json, 'Condition'));

      const unsupported = resources.filter((r) => !SUPPORTED_RESOURCES.includes(r['resourceType'] as string)).length;
      assert.equal(entries.length, resources.length);
      assert.equal(entries.filter((e) => e.outcome === 'ignored').length, unsupported);
      assert.equal(entries.filter((e) => e.outcome === 'mapped').length, resources.length - unsupported);
      assert.ok(entries.every((e) => e.resourceType === resources[e.index]!['resourceType'] && e.id === resources[e.index]!['id']));
    });

    it(`${f}: each fact sits in the group of the encounter it references`, () => {
      const json = load(f);
      const { normalized } = mapOk(json);
      const fullUrls = new Map((json['entry'] as { fullUrl: string; resource: Resource }[]).map((e) => [e.fullUrl, e.resource]));
      for (const g of normalized.groups.filter((x) => x.encounter)) {
        const id = g.encounter!.sourceKey.replace('Encounter/', '');
        const members = resourcesOf(json).filter((r) => SUPPORTED_RESOURCES.includes(r['resourceType'] as string) && fullUrls.get(refOf(r['encounter']) ?? '')?.['id'] === id);
        const expected = members.reduce((n, r) => n + 1 + ((r['component'] as unknown[] | undefined)?.length ?? 0), 0);
        assert.equal(g.facts.length, expected, g.encounter!.sourceKey);
      }
    });

    it(`${f}: report results point at their report; keys unique; positions and flags name places only`, () => {
      const json = load(f);
      const { normalized } = mapOk(json);
      const all = facts(normalized);
      assert.equal(new Set(all.map((x) => x.sourceKey)).size, all.length);
      for (const report of resourcesOf(json).filter((r) => r['resourceType'] === 'DiagnosticReport')) {
        const results = (report['result'] as { reference: string }[]).map((r) => r.reference.replace('urn:uuid:', 'Observation/'));
        for (const key of results) assert.equal(observationBody(all.find((x) => x.sourceKey === key)).reportKey, `DiagnosticReport/${report['id']}`);
      }
      for (const x of all) assert.match(x.position, FACT_POSITION);
      const flags = [...normalized.flags, ...normalized.groups.flatMap((g) => [...g.patient.flags, ...(g.encounter?.flags ?? [])]), ...all.flatMap((x) => x.flags)];
      for (const fl of flags) assert.match(fl.at ?? '', FLAG_POSITION);
      for (const g of normalized.groups) assert.ok(g.patient.identifiers.every((i) => i.value !== '' && i.system !== ''));
    });
  }

  it('synthea_r4_Liz_Conn: patient, a blood pressure split into its components, a lab panel, an inpatient stay', () => {
    const { normalized } = mapOk(load('synthea_r4_Liz_Conn_27c911c6-f045-4ffa-af5d-6eba57ac94b2.json'));
    const p = normalized.groups[0]!.patient;
    assert.deepEqual([p.family, p.given, p.birthDate, p.sex, p.deceased], ['Conn', ['Liz'], '1986-11-28', 'female', undefined]);
    assert.deepEqual(p.identifiers.find((i) => i.type === 'MR'), { system: 'http://hospital.smarthealthit.org', value: '27c911c6-f045-4ffa-af5d-6eba57ac94b2', type: 'MR' });
    assert.deepEqual(p.identifiers.at(-1), { system: 'urn:vigil:source:ehr1:fhir-patient-id', value: 'ee9f8dd8-72d2-4769-8020-89e504b1504b' });
    const bp = facts(normalized).filter((x) => x.sourceKey.startsWith('Observation/e0386e8c-543c-4453-bf90-dc3d893d2232'));
    assert.deepEqual(bp.map((x) => [x.code?.codings[0]?.code, observationBody(x).value?.type]), [['55284-4', undefined], ['8462-4', 'quantity'], ['8480-6', 'quantity']]);
    assert.deepEqual(bp[2]!.effective, { instant: '2012-08-10T20:37:06.000Z', zoneFrom: 'stated', zone: '+0000', precision: 'second' });
    assert.deepEqual(
      normalized.groups.map((g) => g.encounter?.class).filter(Boolean),
      ['outpatient', 'outpatient', 'outpatient', 'outpatient', 'inpatient', 'outpatient', 'outpatient'],
    );
  });

  for (const f of ['synthea_r4_hospitalInformation1559319163815.json', 'synthea_r4_practitionerInformation1559319163815.json']) {
    it(`${f}: directory resources only: mapped with every entry ignored, no groups`, () => {
      const { normalized, entries } = mapOk(load(f));
      assert.equal(normalized.groups.length, 0);
      assert.ok(entries.length > 100 && entries.every((e) => e.outcome === 'ignored' && e.reason?.includes('directory')));
    });
  }

  it('hl7_r4_patient-example: a single Patient with official name, MR identifier, preferred phone, home address', () => {
    const { normalized, entries } = mapOk(load('hl7_r4_patient-example.json'));
    assert.equal(normalized.event, 'FHIR:Patient');
    assert.deepEqual(entries, [{ index: 0, resourceType: 'Patient', id: 'example', outcome: 'mapped' }]);
    const [g] = normalized.groups;
    assert.deepEqual(g!.patient, {
      identifiers: [
        { system: 'urn:oid:1.2.36.146.595.217.0.1', authority: 'Acme Healthcare', value: '12345', type: 'MR' },
        { system: 'urn:vigil:source:ehr1:fhir-patient-id', value: 'example' },
      ],
      family: 'Chalmers',
      given: ['Peter', 'James'],
      flags: [],
      birthDate: '1974-12-25',
      sex: 'male',
      phone: '(03) 5555 6473',
      address: { line: '534 Erewhon St', city: 'PleasantVille', state: 'Vic', postalCode: '3999' },
      deceased: false,
    });
    assert.equal(g!.position, 'Patient');
  });

  it('uscore_r4_PulseOxBundle: a searchset for a patient it does not carry, held by the source id', () => {
    const { normalized, entries } = mapOk(load('uscore_r4_PulseOxBundle_25Oct2022.json'));
    assert.equal(normalized.event, 'FHIR:Bundle-searchset');
    assert.deepEqual(normalized.sourceTime, { instant: '2022-10-25T16:41:48.318Z', zoneFrom: 'stated', zone: '+0000', precision: 'fraction' });
    assert.deepEqual(entries.map((e) => e.outcome), ['mapped', 'mapped']);
    assert.equal(normalized.groups.length, 1);
    assert.deepEqual(normalized.groups[0]!.patient, { identifiers: [{ system: 'urn:vigil:source:ehr1:fhir-patient-id', value: '1763' }], given: [], flags: [] });
    assert.equal(normalized.groups[0]!.position, 'Bundle.entry[0].resource.subject');
    const all = facts(normalized);
    assert.deepEqual(all.map((x) => x.sourceKey), [
      'Observation/1814', 'Observation/1814/component/3150-0', 'Observation/1814/component/3151-8',
      'Observation/1825', 'Observation/1825/component/3150-0', 'Observation/1825/component/3151-8',
    ]);
    assert.deepEqual(observationBody(all[0]).value, { type: 'quantity', quantity: { value: 95, unit: '%', system: 'http://unitsofmeasure.org', code: '%' } });
    assert.equal(observationBody(all[0]).interpretation, 'N');
    // effectivePeriod.start is a bare date: midnight in the profile's zone, not flagged.
    assert.deepEqual(all[0]!.effective, { instant: '2015-06-22T04:00:00.000Z', zoneFrom: 'profile', zone: 'America/New_York', precision: 'day' });
    assert.equal(observationBody(all[4]).value, undefined, 'a component sent without a value stays without one');
  });

  it('hl7_r4_bundle-id-collection: a collection whose only resource (an Immunization) has no fact kind', () => {
    const { normalized, entries } = mapOk(load('hl7_r4_bundle-id-collection.json'));
    assert.equal(normalized.groups.length, 0);
    assert.deepEqual(entries, [{ index: 0, resourceType: 'Immunization', outcome: 'ignored', reason: 'The normalized model has no fact kind for this resource type yet.' }]);
  });

  it('invalid_r4_bundle-duplicate-id: refused, each relative fullUrl named, as the HL7 validator reports it', () => {
    const e = mapError(load('invalid_r4_bundle-duplicate-id.json'));
    assert.deepEqual([e.code, e.status], ['fhir-payload-invalid', 400]);
    assert.deepEqual(e.issues.map((i) => [i.severity, i.code, i.expression]), [
      ['error', 'invalid', 'Bundle.entry[0].fullUrl'],
      ['error', 'invalid', 'Bundle.entry[1].fullUrl'],
    ]);
  });

  it('mscvt_ObservationBundle: refused for its type and for the entry written without resource', () => {
    const e = mapError(load('mscvt_ObservationBundle.json'));
    assert.deepEqual(e.issues.map((i) => [i.code, i.expression]), [
      ['not-supported', 'Bundle.type'],
      ['required', 'Bundle.entry[1].resource'],
    ]);
  });
});
