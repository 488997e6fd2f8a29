import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FactInput } from '../../model/clinical.ts';
import { bundle, context, facts, flagCodes, mapError, mapOk, observation, observationBody, patient, type Resource } from './test-helpers.ts';

function mapped(overrides: Resource, ctx = context()): FactInput {
  return facts(mapOk(observation(overrides), ctx).normalized)[0]!;
}

const withValue = (value: Resource) => mapped({ valueQuantity: undefined, ...value });

describe('Observation → observation fact', () => {
  it('maps status, code, time, value, range, interpretation and note', () => {
    const f = mapped({
      interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: 'H' }] }],
      referenceRange: [{ low: { value: 3.9, unit: 'mmol/L' }, high: { value: 5.5, unit: 'mmol/L' } }],
      note: [{ text: 'fasting' }, { text: 'repeat advised' }],
      hasMember: [{ reference: 'Observation/x' }],
      derivedFrom: [{ reference: 'Observation/y' }],
    });
    assert.deepEqual(f, {
      kind: 'observation',
      sourceKey: 'Observation/o1',
      status: 'final',
      effective: { instant: '2024-01-02T13:30:00.000Z', zoneFrom: 'stated', zone: '-0500', precision: 'second' },
      code: { codings: [{ system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }] },
      body: {
        value: { type: 'quantity', quantity: { value: 5.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' } },
        referenceRange: '3.9-5.5 mmol/L',
        interpretation: 'H',
        note: 'fasting\nrepeat advised',
      },
      position: 'Observation',
      flags: [],
    });
  });

  it('keeps the category FHIR names, for the Observation and each of its components; an unknown one is left out', () => {
    const vitals = facts(
      mapOk(
        observation({
          category: [{ coding: [{ system: 'http://example.org/local', code: 'VS' }, { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
          code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
          valueQuantity: undefined,
          component: [{ code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120, unit: 'mm[Hg]' } }],
        }),
      ).normalized,
    );
    assert.deepEqual(vitals.map((f) => observationBody(f).category), ['vital-signs', 'vital-signs']);
    assert.equal(observationBody(mapped({ category: [{ coding: [{ code: 'gossip' }] }] })).category, undefined);
    assert.equal(observationBody(mapped({})).category, undefined);
  });

  it('reads Quantity (with comparator), string, CodeableConcept, dateTime and integer values', () => {
    assert.deepEqual(observationBody(withValue({ valueQuantity: { value: 5, comparator: '<', unit: 'mg/L' } })).value, { type: 'quantity', quantity: { value: 5, unit: 'mg/L' }, comparator: '<' });
    assert.deepEqual(observationBody(withValue({ valueString: ' negative ' })).value, { type: 'string', text: 'negative' });
    assert.deepEqual(observationBody(withValue({ valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '260385009' }], text: 'Negative' } })).value, {
      type: 'concept',
      concept: { codings: [{ system: 'http://snomed.info/sct', code: '260385009' }], text: 'Negative' },
    });
    assert.deepEqual(observationBody(withValue({ valueDateTime: '2024-01-01' })).value, {
      type: 'datetime',
      time: { instant: '2024-01-01T05:00:00.000Z', zoneFrom: 'profile', zone: 'America/New_York', precision: 'day' },
    });
    assert.deepEqual(observationBody(withValue({ valueInteger: 3 })).value, { type: 'quantity', quantity: { value: 3 } });
  });

  it('keeps other value types as text, flagged; never copies sampled data or attachments', () => {
    const cases: [Resource, unknown][] = [
      [{ valueBoolean: true }, { type: 'string', text: 'true' }],
      [{ valueRange: { low: { value: 2 }, high: { value: 4 } } }, { type: 'string', text: '2-4' }],
      [{ valueRatio: { numerator: { value: 1 }, denominator: { value: 128 } } }, { type: 'string', text: '1:128' }],
      [{ valueTime: '08:30:00' }, { type: 'string', text: '08:30:00' }],
      [{ valuePeriod: { start: '2024-01-01' } }, { type: 'string', text: '2024-01-01/' }],
      [{ valueSampledData: { origin: { value: 0 }, period: 10, dimensions: 1, data: '1 2 3' } }, undefined],
      [{ valueAttachment: { contentType: 'image/png', data: 'iVBORw0KGgo=' } }, undefined],
      [{ valueQuantity: { unit: 'mg' } }, undefined],
    ];
    for (const [value, expected] of cases) {
      const f = withValue(value);
      const key = Object.keys(value)[0]!;
      assert.deepEqual(observationBody(f).value, expected, key);
      assert.deepEqual(flagCodes(f.flags), [`value-type-unknown@Observation.${key}`], key);
    }
    assert.equal(observationBody(withValue({ dataAbsentReason: { text: 'not performed' } })).value, undefined);
  });

  it('writes reference ranges as a person reads them, text first, several joined', () => {
    const range = (referenceRange: Resource[]) => observationBody(mapped({ referenceRange })).referenceRange;
    assert.equal(range([{ low: { value: 3.1, unit: 'mmol/L' } }]), '>=3.1 mmol/L');
    assert.equal(range([{ high: { value: 200, code: 'mg/dL' } }]), '<=200 mg/dL');
    assert.equal(range([{ text: 'see lab', low: { value: 1 } }, { low: { value: 1, unit: 'g' }, high: { value: 2, unit: 'kg' } }]), 'see lab; 1 g-2 kg');
    assert.equal(range([{ appliesTo: [] }]), undefined);
  });

  it('interpretation is the first code, else its text', () => {
    assert.equal(observationBody(mapped({ interpretation: [{ text: 'abnormal' }] })).interpretation, 'abnormal');
  });

  it('an unknown or missing status is unknown, flagged', () => {
    for (const status of ['done', undefined]) {
      const f = mapped({ status });
      assert.deepEqual([f.status, flagCodes(f.flags)], ['unknown', ['status-unknown@Observation.status']]);
    }
    assert.equal(mapped({ status: 'amended' }).status, 'amended');
  });

  it('effective from effectiveDateTime, effectiveInstant or effectivePeriod.start; a time without offset is flagged', () => {
    assert.equal(mapped({ effectiveDateTime: undefined, effectiveInstant: '2024-01-02T08:30:00.123Z' }).effective?.precision, 'fraction');
    assert.equal(mapped({ effectiveDateTime: undefined, effectivePeriod: { start: '2024-01-02T08:30:00+01:00' } }).effective?.instant, '2024-01-02T07:30:00.000Z');
    const naive = mapped({ effectiveDateTime: '2024-07-02T08:30:00' });
    assert.deepEqual(naive.effective, { instant: '2024-07-02T12:30:00.000Z', zoneFrom: 'profile', zone: 'America/New_York', precision: 'second' });
    assert.deepEqual(flagCodes(naive.flags), ['timestamp-zone-assumed@Observation.effectiveDateTime']);
    const broken = mapped({ effectiveDateTime: '2024-13-02' });
    assert.deepEqual([broken.effective, flagCodes(broken.flags)], [undefined, ['timestamp-unparseable@Observation.effectiveDateTime']]);
  });
});

describe('source keys', () => {
  it('are Observation/<id>, the same for every version of the resource', () => {
    const v1 = mapped({ meta: { versionId: '1' } });
    const v2 = mapped({ meta: { versionId: '2' }, status: 'amended' });
    assert.deepEqual([v1.sourceKey, v2.sourceKey], ['Observation/o1', 'Observation/o1']);
  });

  it('fall back to the business identifier, the official one first', () => {
    const identifier = [{ system: 'urn:lab', value: 'A-1' }, { use: 'official', system: 'urn:lab:official', value: 'B-2' }];
    assert.equal(mapped({ id: undefined, identifier }).sourceKey, 'Observation?identifier=urn:lab:official|B-2');
    assert.equal(mapped({ id: undefined, identifier: [{ value: 'C-3' }] }).sourceKey, 'Observation?identifier=C-3');
  });

  it('a resource with neither id nor identifier cannot be recognised when it comes again: refused', () => {
    assert.deepEqual(mapError(observation({ id: undefined })).issues.map((i) => [i.code, i.expression]), [['required', 'Observation.id']]);
  });

  it('two resources with the same identifier in one payload are kept apart', () => {
    const identifier = [{ system: 'urn:lab', value: 'A-1' }];
    const { normalized } = mapOk(bundle('batch', patient(), observation({ id: undefined, identifier }), observation({ id: undefined, identifier })));
    assert.deepEqual(facts(normalized).map((f) => f.sourceKey), ['Observation?identifier=urn:lab|A-1', 'Observation?identifier=urn:lab|A-1#2']);
  });
});

describe('components', () => {
  const bp = {
    code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
    valueQuantity: undefined,
    component: [
      { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120, unit: 'mm[Hg]' }, interpretation: [{ coding: [{ code: 'N' }] }] },
      { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueQuantity: { value: 80, unit: 'mm[Hg]' } },
      { code: { text: 'uncoded' }, valueString: 'seated' },
    ],
  };

  it('each becomes an observation with the status and time of its Observation', () => {
    const all = facts(mapOk(observation(bp)).normalized);
    assert.deepEqual(all.map((f) => [f.sourceKey, f.position, f.status, f.effective?.instant]), [
      ['Observation/o1', 'Observation', 'final', '2024-01-02T13:30:00.000Z'],
      ['Observation/o1/component/8480-6', 'Observation.component[0]', 'final', '2024-01-02T13:30:00.000Z'],
      ['Observation/o1/component/8462-4', 'Observation.component[1]', 'final', '2024-01-02T13:30:00.000Z'],
      ['Observation/o1/component/2', 'Observation.component[2]', 'final', '2024-01-02T13:30:00.000Z'],
    ]);
    assert.deepEqual(all.map((f) => observationBody(f).value), [
      undefined,
      { type: 'quantity', quantity: { value: 120, unit: 'mm[Hg]' } },
      { type: 'quantity', quantity: { value: 80, unit: 'mm[Hg]' } },
      { type: 'string', text: 'seated' },
    ]);
    assert.equal(observationBody(all[1]).interpretation, 'N');
  });

  it('flags of a component name the component', () => {
    const f = facts(mapOk(observation({ component: [{ code: { text: 'x' }, valueBoolean: false }] })).normalized)[1]!;
    assert.deepEqual(flagCodes(f.flags), ['value-type-unknown@Observation.component[0].valueBoolean']);
  });
});

describe('codes', () => {
  it('keeps the source coding; a profile map adds the standard one beside it, flagged', () => {
    const ctx = context({ codeMaps: [{ from: { system: 'urn:lab:codes', code: 'GLU' }, to: { system: 'http://loinc.org', code: '2345-7', display: 'Glucose' } }] });
    const f = mapped({ code: { coding: [{ system: 'urn:lab:codes', code: 'GLU' }] } }, ctx);
    assert.deepEqual(f.code?.codings, [{ system: 'urn:lab:codes', code: 'GLU' }, { system: 'http://loinc.org', code: '2345-7', display: 'Glucose' }]);
    assert.deepEqual(flagCodes(f.flags), ['code-mapped-by-profile@Observation.code']);
  });

  it('a coding without a system is source-local and flagged unmapped; a v2-style name is read by the profile', () => {
    const local = mapped({ code: { coding: [{ code: 'GLU' }] } });
    assert.deepEqual([local.code?.codings, flagCodes(local.flags)], [[{ system: 'urn:vigil:source:ehr1:codes', code: 'GLU' }], ['code-unmapped@Observation.code']]);
    assert.equal(mapped({ code: { coding: [{ system: 'LN', code: '2345-7' }] } }).code?.codings[0]?.system, 'http://loinc.org');
    assert.deepEqual(mapped({ code: { text: 'Glucose' } }).code, { codings: [], text: 'Glucose' });
  });
});
