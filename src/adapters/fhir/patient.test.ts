import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PatientRecordInput } from '../../model/clinical.ts';
import { context, flagCodes, mapError, mapOk, MRN_SYSTEM, patient, type Resource } from './test-helpers.ts';

function record(overrides: Resource, ctx = context()): PatientRecordInput {
  return mapOk(patient(overrides), ctx).normalized.groups[0]!.patient;
}

describe('Patient → patient record', () => {
  it('keeps identifier systems as sent, with type and assigner, then the source FHIR id', () => {
    const p = record({
      identifier: [
        { system: MRN_SYSTEM, value: '12345', type: { coding: [{ code: 'MR' }] }, assigner: { display: 'General Hospital' } },
        { system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-12-3456', type: { coding: [{ code: 'SS' }] } },
        { system: MRN_SYSTEM },
        { system: MRN_SYSTEM, value: '12345' },
      ],
    });
    assert.deepEqual(p.identifiers, [
      { system: MRN_SYSTEM, authority: 'General Hospital', value: '12345', type: 'MR' },
      { system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-12-3456', type: 'SS' },
      { system: 'urn:vigil:source:ehr1:fhir-patient-id', value: 'p1' },
    ]);
  });

  it('an identifier without a system gets the profile default authority, flagged', () => {
    const p = record({ identifier: [{ value: '777' }] }, context({ identifiers: { systems: { HOSP: 'urn:oid:1.2.3' }, defaultAuthority: 'HOSP', recordNumberTypes: ['MR'] } }));
    assert.deepEqual(p.identifiers[0], { system: 'urn:oid:1.2.3', authority: 'HOSP', value: '777' });
    assert.deepEqual(flagCodes(p.flags), ['identifier-authority-defaulted@Patient.identifier[0]']);
  });

  it('an identifier without a system and no default authority is kept under the unknown system, flagged', () => {
    const p = record({ identifier: [{ value: '777' }] });
    assert.deepEqual(p.identifiers[0], { system: 'urn:vigil:authority:unknown', value: '777' });
    assert.deepEqual(flagCodes(p.flags), ['identifier-authority-missing@Patient.identifier[0]']);
  });

  it('a Patient with neither an identifier nor an id is refused; an id alone is enough', () => {
    const e = mapError(patient({ id: undefined, identifier: [{ system: MRN_SYSTEM }] }));
    assert.deepEqual(e.issues.map((i) => [i.code, i.expression]), [['required', 'Patient.identifier']]);
    assert.deepEqual(record({ identifier: undefined }).identifiers, [{ system: 'urn:vigil:source:ehr1:fhir-patient-id', value: 'p1' }]);
  });

  it('takes the official name, else the usual one, else one without a use; old and maiden names last', () => {
    const names = [
      { use: 'maiden', family: 'Born', given: ['Jane'] },
      { use: 'nickname', given: ['Janie'] },
      { family: 'Plain', given: ['Jane'] },
      { use: 'usual', family: 'Usual', given: ['J'] },
      { use: 'official', family: 'Official', given: ['Jane', 'Q'] },
    ];
    assert.deepEqual([record({ name: names }).family, record({ name: names }).given], ['Official', ['Jane', 'Q']]);
    assert.equal(record({ name: names.slice(0, 4) }).family, 'Usual');
    assert.equal(record({ name: names.slice(0, 3) }).family, 'Plain');
    assert.equal(record({ name: names.slice(0, 1) }).family, 'Born');
    assert.deepEqual([record({ name: [] }).family, record({ name: [] }).given], [undefined, []]);
  });

  it('normalizes names like the HL7 mapper: whitespace collapsed, all-capitals title-cased, both flagged', () => {
    const p = record({ name: [{ family: "  O'BRIEN-SMITH ", given: ['MARY   ANN', 'J'] }] });
    assert.deepEqual([p.family, p.given], ["O'Brien-Smith", ['Mary Ann', 'J']]);
    assert.deepEqual(flagCodes(p.flags), ['name-whitespace-trimmed@Patient.name[0]', 'name-case-normalized@Patient.name[0]']);
    assert.deepEqual(record({ name: [{ family: 'de la Cruz', given: ['José'] }] }).flags, []);
  });

  it('drops a birth date in the future and one that is not a date, each flagged', () => {
    const future = record({ birthDate: '2031-02-03' });
    assert.deepEqual([future.birthDate, flagCodes(future.flags)], [undefined, ['birth-date-in-future@Patient.birthDate']]);
    const garbled = record({ birthDate: '03/02/1980' });
    assert.deepEqual([garbled.birthDate, flagCodes(garbled.flags)], [undefined, ['birth-date-unparseable@Patient.birthDate']]);
    assert.equal(record({ birthDate: '1980-02-30' }).birthDate, undefined);
    assert.deepEqual([record({ birthDate: '1980' }).birthDate, record({ birthDate: '1980-07' }).birthDate], ['1980', '1980-07']);
    assert.equal(record({ birthDate: '2025-06-15' }).birthDate, '2025-06-15', 'born today is not the future');
  });

  it('reads gender as sex; an unknown code is unknown, flagged', () => {
    assert.deepEqual(['male', 'female', 'other', 'unknown', 'Male'].map((gender) => record({ gender }).sex), ['male', 'female', 'other', 'unknown', 'male']);
    const odd = record({ gender: 'F' });
    assert.deepEqual([odd.sex, flagCodes(odd.flags)], ['unknown', ['sex-code-unknown@Patient.gender']]);
    assert.equal(record({ gender: undefined }).sex, undefined);
  });

  it('takes the best-ranked current phone and the home address', () => {
    const p = record({
      telecom: [
        { system: 'email', value: 'a@b.example' },
        { system: 'phone', value: '555-0100', use: 'old', rank: 1 },
        { system: 'phone', value: '555-0101' },
        { system: 'phone', value: '555-0102', rank: 2 },
      ],
      address: [
        { use: 'work', line: ['1 Office Park'], city: 'Worktown' },
        { use: 'home', line: ['2 Elm St', 'Apt 3'], city: 'Hometown', state: 'MA', postalCode: '01234', country: 'US', text: 'ignored' },
      ],
    });
    assert.equal(p.phone, '555-0102');
    assert.deepEqual(p.address, { city: 'Hometown', state: 'MA', postalCode: '01234', country: 'US', line: '2 Elm St, Apt 3' });
    assert.deepEqual(record({ address: [{ text: '2 Elm St, Hometown' }] }).address, { line: '2 Elm St, Hometown' });
  });

  it('deceased from deceasedBoolean or deceasedDateTime', () => {
    assert.deepEqual(
      [record({}).deceased, record({ deceasedBoolean: false }).deceased, record({ deceasedBoolean: true }).deceased, record({ deceasedDateTime: '2020-01-01' }).deceased],
      [undefined, false, true, true],
    );
  });
});
