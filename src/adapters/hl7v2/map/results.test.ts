import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FactInput } from '../../../model/clinical.ts';
import { context, facts, flagCodes, hl7, mapError, mapOk, msh, observationBody, PID, seg } from './test-helpers.ts';

const OBR = seg('OBR', { 1: '1', 2: 'P100^EHR', 3: 'F200^LAB', 4: '24317-0^CBC^LN', 7: '20240102080000', 22: '20240102100000', 24: 'HM', 25: 'F' });

function obx(fields: Record<number, string>): string {
  return seg('OBX', { 1: '1', 2: 'NM', 3: '718-7^Hemoglobin^LN', 11: 'F', ...fields });
}

function oru(...segments: string[]) {
  return mapOk(hl7(msh('ORU^R01'), PID, ...segments));
}

function onlyObservation(...segments: string[]): FactInput {
  const list = facts(oru(OBR, ...segments), 'observation');
  assert.equal(list.length, 1);
  return list[0]!;
}

describe('ORU^R01 reports', () => {
  it('each OBR is a diagnostic report keyed by filler order and service, with its orders, category and times', () => {
    const [report] = facts(oru(OBR), 'diagnostic-report');
    assert.equal(report!.sourceKey, 'filler:F200^LAB/24317-0');
    assert.equal(report!.status, 'final');
    assert.equal(report!.position, 'OBR');
    assert.deepEqual(report!.code, { codings: [{ system: 'http://loinc.org', code: '24317-0', display: 'CBC' }], text: 'CBC' });
    assert.equal(report!.effective?.instant, '2024-01-02T13:00:00.000Z');
    const body = report!.body as { placerOrder: string; fillerOrder: string; category: string; issued: { instant: string } };
    assert.deepEqual([body.placerOrder, body.fillerOrder, body.category, body.issued.instant], ['P100^EHR', 'F200^LAB', 'HM', '2024-01-02T15:00:00.000Z']);
    assert.deepEqual(report!.flags, []);
  });

  it('without a filler number the placer number keys the report; an ORC before the OBR fills in either', () => {
    assert.equal(facts(oru(seg('OBR', { 2: 'P1', 4: 'X1^Test^LN', 25: 'F' })))[0]!.sourceKey, 'placer:P1/X1');
    assert.equal(facts(oru(seg('ORC', { 1: 'RE', 3: 'F9^LAB' }), seg('OBR', { 4: 'X1^Test^LN', 25: 'F' })))[0]!.sourceKey, 'filler:F9^LAB/X1');
  });

  it('refuses a report with no order number at all (AE 101 at OBR-3)', () => {
    const e = mapError(hl7(msh('ORU^R01'), PID, seg('OBR', { 4: 'X1^Test^LN', 25: 'F' })));
    assert.deepEqual([e.ackCode, e.hl7ErrorCode, e.location], ['AE', 101, { segment: 'OBR', field: 3 }]);
  });

  it('maps every result status of OBR-25, and flags one it does not know', () => {
    const codes = ['P', 'F', 'C', 'X', 'R', 'I', 'O', 'S', 'A'];
    const statuses = codes.map((c) => facts(oru(seg('OBR', { 3: 'F1', 4: 'X^Test^LN', 25: c })))[0]!.status);
    assert.deepEqual(statuses, ['preliminary', 'final', 'corrected', 'cancelled', 'registered', 'registered', 'registered', 'registered', 'preliminary']);
    for (const odd of ['Y', '']) {
      const report = facts(oru(seg('OBR', { 3: 'F1', 4: 'X^Test^LN', 25: odd })))[0]!;
      assert.equal(report.status, 'unknown');
      assert.deepEqual(flagCodes(report.flags), ['status-unknown@OBR-25']);
    }
  });

  it('each result gets its category from the report section (OBR-24), or vital-signs by its LOINC code', () => {
    assert.equal(observationBody(onlyObservation(obx({ 5: '13.5' }))).category, 'laboratory');
    const vitals = facts(oru(seg('OBR', { 3: 'F7', 4: 'VS^Vitals^L', 24: 'NRS', 25: 'F' }), obx({ 3: '8867-4^Heart rate^LN', 5: '72' }), obx({ 1: '2', 3: 'PAIN^Pain score^L', 5: '3' })), 'observation');
    assert.deepEqual(vitals.map((f) => observationBody(f).category), ['vital-signs', undefined]);
  });

  it('report comments (NTE after OBR) have no place in the model: the report says they were ignored', () => {
    const [report] = facts(oru(OBR, 'NTE|1||Specimen slightly hemolyzed'), 'diagnostic-report');
    assert.deepEqual(flagCodes(report!.flags), ['segment-ignored@NTE']);
  });
});

describe('ORU^R01 observations', () => {
  it('each OBX is an observation under the report before it, keyed report/code/sub-id or set id', () => {
    const n = oru(OBR, obx({ 1: '1', 5: '13.5' }), obx({ 1: '2', 3: '4544-3^Hct^LN', 4: '2', 5: '40' }));
    const [a, b] = facts(n, 'observation');
    assert.deepEqual([a!.sourceKey, b!.sourceKey], ['filler:F200^LAB/24317-0/718-7/1', 'filler:F200^LAB/24317-0/4544-3/2']);
    assert.deepEqual([a!.position, b!.position], ['OBX', 'OBX[2]']);
    assert.equal(observationBody(a).reportKey, 'filler:F200^LAB/24317-0');
  });

  it('two OBX that would share a key get distinct keys, so neither overwrites the other', () => {
    const n = oru(OBR, obx({ 1: '1', 5: '1' }), obx({ 1: '1', 5: '2' }), obx({ 1: '1', 5: '3' }));
    assert.deepEqual(facts(n, 'observation').map((f) => f.sourceKey.split('/').pop()), ['1', '1#2', '1#3']);
  });

  it('maps every observation status of OBX-11, and flags one it does not know', () => {
    const codes = ['P', 'F', 'C', 'D', 'X', 'W', 'R', 'I'];
    assert.deepEqual(
      codes.map((c) => onlyObservation(obx({ 5: '1', 11: c })).status),
      ['preliminary', 'final', 'corrected', 'entered-in-error', 'cancelled', 'entered-in-error', 'registered', 'registered'],
    );
    for (const odd of ['O', 'N', '']) {
      const f = onlyObservation(obx({ 5: '1', 11: odd }));
      assert.equal(f.status, 'unknown');
      assert.deepEqual(flagCodes(f.flags), ['status-unknown@OBX-11']);
    }
  });

  it('a number becomes a quantity with its UCUM unit, reference range and interpretation', () => {
    const f = onlyObservation(obx({ 5: '13.5', 6: 'g/dL^gram per deciliter^UCUM', 7: '12.0-16.0', 8: 'N' }));
    assert.deepEqual(observationBody(f).value, { type: 'quantity', quantity: { value: 13.5, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' } });
    assert.equal(observationBody(f).referenceRange, '12.0-16.0');
    assert.equal(observationBody(f).interpretation, 'N');
    assert.deepEqual(f.flags, []);
  });

  it('recognises UCUM however the sender writes it, and keeps other units without a system', () => {
    const unit = (u: string) => (observationBody(onlyObservation(obx({ 5: '1', 6: u }))).value as { quantity: object }).quantity;
    assert.deepEqual(unit('mg/dL^^"UCUM"'), { value: 1, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' });
    assert.deepEqual(unit('MGDL^mg per dl^L^mg/dL^^UCUM'), { value: 1, unit: 'MGDL', system: 'http://unitsofmeasure.org', code: 'mg/dL' });
    assert.deepEqual(unit('beats/min^^ISO+'), { value: 1, unit: 'beats/min' });
    assert.deepEqual(unit(''), { value: 1 });
  });

  it('reads comparators on numbers: <5, <=5, >=10, >10; "=" is no comparator', () => {
    const value = (v: string) => observationBody(onlyObservation(obx({ 5: v }))).value;
    assert.deepEqual(value('<5'), { type: 'quantity', quantity: { value: 5 }, comparator: '<' });
    assert.deepEqual(value('<=5'), { type: 'quantity', quantity: { value: 5 }, comparator: '<=' });
    assert.deepEqual(value('>= 10'), { type: 'quantity', quantity: { value: 10 }, comparator: '>=' });
    assert.deepEqual(value('>10'), { type: 'quantity', quantity: { value: 10 }, comparator: '>' });
    assert.deepEqual(value('=3'), { type: 'quantity', quantity: { value: 3 } });
    assert.deepEqual(value('-0.5'), { type: 'quantity', quantity: { value: -0.5 } });
  });

  it('a "number" that is not one is kept as text and flagged', () => {
    const f = onlyObservation(obx({ 5: 'see comment' }));
    assert.deepEqual(observationBody(f).value, { type: 'string', text: 'see comment' });
    assert.deepEqual(flagCodes(f.flags), ['value-type-unknown@OBX-5']);
  });

  it('structured numerics: a single number is a quantity, a ratio or range stays text', () => {
    assert.deepEqual(observationBody(onlyObservation(obx({ 2: 'SN', 5: '>^10', 6: 'mg' }))).value, { type: 'quantity', quantity: { value: 10, unit: 'mg' }, comparator: '>' });
    assert.deepEqual(observationBody(onlyObservation(obx({ 2: 'SN', 5: '^182' }))).value, { type: 'quantity', quantity: { value: 182 } });
    assert.deepEqual(observationBody(onlyObservation(obx({ 2: 'SN', 5: '^1^:^128' }))).value, { type: 'string', text: '1:128' });
  });

  it('text types keep every line; a stray caret in text stays part of the text', () => {
    for (const type of ['ST', 'TX', 'FT']) {
      assert.deepEqual(observationBody(onlyObservation(obx({ 2: type, 5: 'Line one~Line two^continued' }))).value, { type: 'string', text: 'Line one\nLine two^continued' });
    }
  });

  it('coded values become concepts', () => {
    for (const type of ['CE', 'CWE', 'CNE']) {
      const f = onlyObservation(obx({ 2: type, 5: '27268008^Salmonella^SCT' }));
      assert.deepEqual(observationBody(f).value, { type: 'concept', concept: { codings: [{ system: 'http://snomed.info/sct', code: '27268008', display: 'Salmonella' }], text: 'Salmonella' } });
    }
  });

  it('date and time values become times; one that does not parse is kept as text and flagged', () => {
    for (const type of ['DT', 'DTM', 'TS']) {
      const v = observationBody(onlyObservation(obx({ 2: type, 5: '20240102083000' }))).value;
      assert.deepEqual(v, { type: 'datetime', time: { instant: '2024-01-02T13:30:00.000Z', zoneFrom: 'profile', zone: 'America/New_York', precision: 'second' } });
    }
    const f = onlyObservation(obx({ 2: 'DT', 5: 'last week' }));
    assert.deepEqual(observationBody(f).value, { type: 'string', text: 'last week' });
    assert.deepEqual(flagCodes(f.flags), ['timestamp-unparseable@OBX-5']);
  });

  it('a value type Vigil does not model is kept as text and flagged; encapsulated documents become documents (documents.test.ts)', () => {
    const rp = onlyObservation(obx({ 2: 'RP', 5: 'https://example.invalid/img^^image^JPEG' }));
    assert.deepEqual(observationBody(rp).value, { type: 'string', text: 'https://example.invalid/img^^image^JPEG' });
    assert.deepEqual(flagCodes(rp.flags), ['value-type-unknown@OBX-5']);
    const ed = onlyObservation(obx({ 2: 'ED', 5: 'LAB^AP^PDF^Base64^' }));
    assert.equal(observationBody(ed).value, undefined);
    assert.deepEqual(flagCodes(ed.flags), ['value-type-unknown@OBX-5']);
    assert.deepEqual(observationBody(onlyObservation(obx({ 2: '', 5: 'Positive' }))).value, { type: 'string', text: 'Positive' });
  });

  it('an empty value is no value, not a data problem', () => {
    for (const empty of ['', '""', '^^', ' ~ ']) {
      const f = onlyObservation(obx({ 2: 'CWE', 5: empty, 11: 'I' }));
      assert.equal(observationBody(f).value, undefined);
      assert.deepEqual(f.flags, []);
    }
  });

  it('the observation time is OBX-14, else the report time OBR-7', () => {
    const [a, b] = facts(oru(OBR, obx({ 1: '1', 5: '1', 14: '20240102090000' }), obx({ 1: '2', 5: '2' })), 'observation');
    assert.equal(a!.effective?.instant, '2024-01-02T14:00:00.000Z');
    assert.equal(b!.effective?.instant, '2024-01-02T13:00:00.000Z');
  });

  it('notes after an OBX (PRT may come between) become its note; after a specimen they are ignored', () => {
    const n = oru(OBR, obx({ 5: '1' }), 'PRT|1|AD', 'NTE|1||First line~Second line', 'NTE|2||Third line', 'SPM|1', 'NTE|3||About the specimen');
    const [report] = facts(n, 'diagnostic-report');
    assert.equal(observationBody(facts(n, 'observation')[0]).note, 'First line\nSecond line\nThird line');
    assert.deepEqual(flagCodes(report!.flags), ['segment-ignored@NTE[3]']);
  });

  it('an OBX before any OBR is a patient-level observation, keyed by code and time', () => {
    const n = oru(obx({ 1: '1', 5: '72', 14: '20240102' }), OBR);
    const [o] = facts(n, 'observation');
    assert.equal(o!.sourceKey, 'patient/20240102/718-7/1');
    assert.equal(observationBody(o).reportKey, undefined);
  });

  it('results for two patients stay with their own PID; a PV1 gives the encounter', () => {
    const n = mapOk(hl7(msh('ORU^R01'), PID, seg('PV1', { 2: 'O', 19: 'V9' }), OBR, obx({ 5: '1' }), 'PID|2||777^^^HOSP^MR', seg('OBR', { 3: 'F300', 4: 'X', 25: 'P' }), obx({ 5: '2' }), obx({ 5: '3' })));
    assert.deepEqual(n.groups.map((g) => [g.position, g.facts.length, g.encounter?.sourceKey]), [['PID', 2, 'V9'], ['PID[2]', 3, undefined]]);
    assert.deepEqual(n.groups[0]!.encounter?.status, 'in-progress');
  });
});

describe('result codes and the source profile', () => {
  const localMap = {
    codeMaps: [{ from: { system: 'urn:vigil:source:lab1:codes:99LAB', code: 'GLU' }, to: { system: 'http://loinc.org', code: '2345-7', display: 'Glucose' } }],
  };

  it('adds the standard coding the profile maps a local code to, keeping the local one first', () => {
    const n = mapOk(hl7(msh('ORU^R01'), PID, OBR, obx({ 3: 'GLU^Glucose^99LAB', 5: '90' })), context(localMap));
    const f = facts(n, 'observation')[0]!;
    assert.deepEqual(f.code?.codings, [
      { system: 'urn:vigil:source:lab1:codes:99LAB', code: 'GLU', display: 'Glucose' },
      { system: 'http://loinc.org', code: '2345-7', display: 'Glucose' },
    ]);
    assert.deepEqual(flagCodes(f.flags), ['code-mapped-by-profile@OBX-3']);
  });

  it('a map entry may name the system as the message writes it', () => {
    const byName = { codeMaps: [{ from: { system: '99LAB', code: 'GLU' }, to: { system: 'http://loinc.org', code: '2345-7' } }] };
    const f = facts(mapOk(hl7(msh('ORU^R01'), PID, OBR, obx({ 3: 'GLU^Glucose^99LAB', 5: '90' })), context(byName)), 'observation')[0]!;
    assert.equal(f.code?.codings[1]?.code, '2345-7');
  });

  it('flags a local code nobody mapped, but not a standard code or a concept that carries one', () => {
    assert.deepEqual(flagCodes(onlyObservation(obx({ 3: 'GLU^Glucose^99LAB', 5: '1' })).flags), ['code-unmapped@OBX-3']);
    assert.deepEqual(flagCodes(onlyObservation(obx({ 3: 'GLU^Glucose', 5: '1' })).flags), ['code-unmapped@OBX-3']);
    assert.deepEqual(onlyObservation(obx({ 3: '2345-7^Glucose^LN', 5: '1' })).flags, []);
    assert.deepEqual(onlyObservation(obx({ 3: '2345-7^Glucose^LN^GLU^Glucose^99LAB', 5: '1' })).flags, []);
  });

  it("HL7's own tables get their published URI, not a local one", () => {
    const f = onlyObservation(obx({ 2: 'CWE', 5: 'A^Abnormal^HL70078' }));
    assert.deepEqual((observationBody(f).value as { concept: { codings: object[] } }).concept.codings, [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0078', code: 'A', display: 'Abnormal' }]);
    assert.deepEqual(f.flags, []);
  });
});
