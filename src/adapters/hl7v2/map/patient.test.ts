import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PatientRecordInput } from '../../../model/clinical.ts';
import { isAllCaps, titleCase } from './names.ts';
import { context, flagCodes, hl7, mapError, mapOk, msh, seg } from './test-helpers.ts';

function patient(pid: string, profile = {}): PatientRecordInput {
  return mapOk(hl7(msh('ADT^A31'), pid), context(profile)).groups[0]!.patient;
}

describe('patient identifiers (PID-3)', () => {
  it('keeps every identifier with its authority, system and type', () => {
    const p = patient('PID|1||MRN1^^^HOSP^MR~555^^^SSA&2.16.840.1.113883.4.1&ISO^SS', { identifiers: { systems: { HOSP: 'urn:oid:1.2.3' }, recordNumberTypes: ['MR'] } });
    assert.deepEqual(p.identifiers, [
      { system: 'urn:oid:1.2.3', authority: 'HOSP', value: 'MRN1', type: 'MR' },
      { system: 'urn:vigil:authority:SSA', authority: 'SSA', value: '555', type: 'SS' },
    ]);
    assert.deepEqual(p.flags, []);
  });

  it('uses the universal id of the authority when the namespace is empty', () => {
    const p = patient('PID|1||444^^^&2.16.840.1.113883.4.1&ISO^SS');
    assert.deepEqual(p.identifiers, [{ system: 'urn:vigil:authority:2.16.840.1.113883.4.1', authority: '2.16.840.1.113883.4.1', value: '444', type: 'SS' }]);
  });

  it("assumes the profile's default authority when the source sends none, and flags it", () => {
    const p = patient('PID|1||MRN1^^^^MR', { identifiers: { systems: { HOSP: 'urn:oid:1.2.3' }, defaultAuthority: 'HOSP', recordNumberTypes: ['MR'] } });
    assert.deepEqual(p.identifiers, [{ system: 'urn:oid:1.2.3', authority: 'HOSP', value: 'MRN1', type: 'MR' }]);
    assert.deepEqual(flagCodes(p.flags), ['identifier-authority-defaulted@PID-3']);
  });

  it('keeps an identifier without authority under the unknown system, flagged, when the profile has no default', () => {
    const p = patient('PID|1||A1^^^HOSP^MR~B2^^^^PI');
    assert.deepEqual(p.identifiers[1], { system: 'urn:vigil:authority:unknown', value: 'B2', type: 'PI' });
    assert.deepEqual(flagCodes(p.flags), ['identifier-authority-missing@PID-3[2]']);
  });

  it('skips empty repetitions and HL7 nulls', () => {
    assert.deepEqual(patient('PID|1||~""^^^X~ 77 ^^^HOSP').identifiers.map((i) => i.value), ['77']);
  });

  it('refuses a PID with no identifier: AE, HL7 error 101, at PID-3', () => {
    for (const pid of ['PID|1||||Doe^Jane', 'PID|1||^^^HOSP^MR||Doe^Jane', 'PID|1']) {
      const e = mapError(hl7(msh('ADT^A01'), pid));
      assert.equal(e.kind, 'missing-required');
      assert.equal(e.ackCode, 'AE');
      assert.equal(e.hl7ErrorCode, 101);
      assert.deepEqual(e.location, { segment: 'PID', field: 3 });
      assert.match(e.message, /PID-3 \(patient identifier list\) is empty; the source must send at least one identifier/);
    }
  });
});

describe('patient name (PID-5)', () => {
  it('takes the legal name when the source marks one, else the first', () => {
    assert.deepEqual(patient('PID|1||1^^^H||Nick^Bob^^^^^N~Roberts^Robert^James^^^^L').given, ['Robert', 'James']);
    assert.equal(patient('PID|1||1^^^H||Nick^Bob^^^^^N~Roberts^Robert^^^^^D').family, 'Nick');
    assert.equal(patient('PID|1||1^^^H||Everyman&van&Everyman^Adam').family, 'Everyman');
  });

  it('an all-caps name with stray spaces becomes title case, and both repairs are flagged', () => {
    const p = patient("PID|1||1^^^H||  O'BRIEN   SMITH-JONES ^ MARY  ANN ^Q");
    assert.equal(p.family, "O'Brien Smith-Jones");
    assert.deepEqual(p.given, ['Mary Ann', 'Q']);
    assert.deepEqual(flagCodes(p.flags), ['name-whitespace-trimmed@PID-5', 'name-case-normalized@PID-5']);
  });

  it('leaves mixed-case names and single initials alone, without flags', () => {
    const p = patient('PID|1||1^^^H||McDonald^Jean-Luc^Q');
    assert.deepEqual([p.family, p.given], ['McDonald', ['Jean-Luc', 'Q']]);
    assert.deepEqual(p.flags, []);
  });

  it('title-cases letters beyond ASCII and pieces after hyphens and apostrophes', () => {
    assert.equal(titleCase('JOSÉ-MARÍA'), 'José-María');
    assert.equal(titleCase("D'ANGELO"), "D'Angelo");
    assert.equal(titleCase('DE LA CRUZ'), 'De La Cruz');
    assert.ok(isAllCaps('DUCK') && !isAllCaps('D') && !isAllCaps('Duck') && !isAllCaps('123'));
  });
});

describe('birth date, sex and the rest of the PID', () => {
  it('keeps the calendar date as written, at the precision written', () => {
    assert.equal(patient('PID|1||1^^^H||X||19800602').birthDate, '1980-06-02');
    assert.equal(patient('PID|1||1^^^H||X||198808181126+0215').birthDate, '1988-08-18');
    assert.equal(patient('PID|1||1^^^H||X||198006').birthDate, '1980-06');
    assert.equal(patient('PID|1||1^^^H||X||1980').birthDate, '1980');
  });

  it('drops a birth date in the future and flags it', () => {
    const p = patient('PID|1||1^^^H||X||20250616');
    assert.equal(p.birthDate, undefined);
    assert.deepEqual(flagCodes(p.flags), ['birth-date-in-future@PID-7']);
    // NOW is 2025-06-15 12:00 UTC, still the 15th in New York.
    assert.equal(patient('PID|1||1^^^H||X||20250615').birthDate, '2025-06-15');
  });

  it('drops a birth date that is not a date and flags it', () => {
    for (const bad of ['1980-06-02', '19801302', 'unknown']) {
      const p = patient(`PID|1||1^^^H||X||${bad}`);
      assert.equal(p.birthDate, undefined);
      assert.deepEqual(flagCodes(p.flags), ['birth-date-unparseable@PID-7']);
    }
  });

  it('maps administrative sex codes; an unknown code becomes unknown, flagged', () => {
    const sexes = ['F', 'M', 'O', 'U', 'A', 'N', 'f'].map((code) => patient(`PID|1||1^^^H||X|||${code}`));
    assert.deepEqual(sexes.map((p) => p.sex), ['female', 'male', 'other', 'unknown', 'other', 'other', 'female']);
    assert.ok(sexes.every((p) => p.flags.length === 0));
    const odd = patient('PID|1||1^^^H||X|||Q');
    assert.equal(odd.sex, 'unknown');
    assert.deepEqual(flagCodes(odd.flags), ['sex-code-unknown@PID-8']);
    assert.equal(patient('PID|1||1^^^H||X').sex, undefined);
  });

  it('reads phone, address and death indicator', () => {
    const p = patient(seg('PID', { 1: '1', 3: '1^^^H', 5: 'X', 11: '1000 Main St^Apt 4^Springfield^IL^62701^USA^H', 13: '^NET^Internet^x@example.invalid~^PRN^PH^^1^555^0147781^12', 30: 'Y' }));
    assert.equal(p.phone, '+1 555 0147781 ext. 12');
    assert.deepEqual(p.address, { line: '1000 Main St, Apt 4', city: 'Springfield', state: 'IL', postalCode: '62701', country: 'USA' });
    assert.equal(p.deceased, true);
    const q = patient(seg('PID', { 1: '1', 3: '1^^^H', 5: 'X', 11: '&Warden Av&8200', 13: '(111)111-1111', 29: '20240101' }));
    assert.equal(q.phone, '(111)111-1111');
    assert.deepEqual(q.address, { line: '8200 Warden Av' });
    assert.equal(q.deceased, true, 'a death date says the patient died even when PID-30 is empty');
    assert.equal(patient(seg('PID', { 3: '1^^^H', 30: 'N' })).deceased, false);
    assert.equal(patient(seg('PID', { 3: '1^^^H' })).deceased, undefined);
  });
});
