import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FactInput } from '../../../model/clinical.ts';
import { facts, flagCodes, hl7, mapError, mapOk, medicationBody, msh, PID, seg } from './test-helpers.ts';

const ORC = seg('ORC', { 1: 'NW', 2: 'P1^EHR', 3: 'F1^PHARM', 9: '20240102083000', 12: 'DR123^Prescott^Ann^^^^MD' });
const RXE = seg('RXE', {
  1: '^Q6H^^20240102090000^20240109090000',
  2: '197806^Ibuprofen 600 MG Oral Tablet^RXNORM',
  3: '600',
  5: 'mg^milligram^UCUM',
  7: '^Take with food',
  10: '20',
  11: 'TAB^Tablet',
});

function request(...segments: string[]): FactInput {
  const list = facts(mapOk(hl7(msh('RDE^O11'), PID, ...segments)), 'medication-request');
  assert.equal(list.length, 1);
  return list[0]!;
}

describe('RDE^O11 pharmacy orders', () => {
  it('an encoded order becomes a medication request with code, dose, route, frequency, period and supply', () => {
    const f = request(ORC, RXE, 'RXR|PO^Oral^HL70162');
    assert.equal(f.sourceKey, 'filler:F1^PHARM');
    assert.equal(f.status, 'active');
    assert.equal(f.position, 'RXE');
    assert.deepEqual(f.code?.codings, [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '197806', display: 'Ibuprofen 600 MG Oral Tablet' }]);
    assert.equal(f.effective?.instant, '2024-01-02T13:30:00.000Z');
    const body = medicationBody(f);
    assert.deepEqual(body.dosage, {
      text: 'Take with food',
      dose: { value: 600, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' },
      route: { codings: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0162', code: 'PO', display: 'Oral' }], text: 'Oral' },
      frequency: 'Q6H',
    });
    assert.deepEqual([body.period?.start?.instant, body.period?.end?.instant], ['2024-01-02T14:00:00.000Z', '2024-01-09T14:00:00.000Z']);
    assert.deepEqual(body.quantity, { value: 20, unit: 'TAB' });
    assert.deepEqual(f.flags, []);
  });

  it('keeps the prescriber as an id only, never a name', () => {
    const f = request(ORC, RXE);
    assert.equal(medicationBody(f).prescriber, 'DR123');
    assert.doesNotMatch(JSON.stringify(f), /Prescott|Ann/);
  });

  it('keys the order by placer number when the pharmacy has not assigned one', () => {
    assert.equal(request(seg('ORC', { 1: 'NW', 2: 'P1^EHR' }), RXE).sourceKey, 'placer:P1^EHR');
  });

  it('reads the status from ORC-5 when sent, else from the order control code ORC-1', () => {
    const byStatus = ['A', 'IP', 'SC', 'CM', 'CA', 'DC', 'HD', 'ER'].map((s) => request(seg('ORC', { 1: 'NW', 3: 'F1', 5: s }), RXE).status);
    assert.deepEqual(byStatus, ['active', 'active', 'active', 'completed', 'cancelled', 'stopped', 'on-hold', 'entered-in-error']);
    const byControl = ['NW', 'XO', 'RL', 'CA', 'OC', 'DC', 'OD', 'HD', 'OH'].map((c) => request(seg('ORC', { 1: c, 3: 'F1' }), RXE).status);
    assert.deepEqual(byControl, ['active', 'active', 'active', 'cancelled', 'cancelled', 'stopped', 'stopped', 'on-hold', 'on-hold']);
  });

  it('flags a status it cannot read, at the field it tried', () => {
    const f = request(seg('ORC', { 1: 'ZZ', 3: 'F1' }), RXE);
    assert.equal(f.status, 'unknown');
    assert.deepEqual(flagCodes(f.flags), ['status-unknown@ORC-1']);
    assert.deepEqual(flagCodes(request(seg('ORC', { 1: 'ZZ', 3: 'F1', 5: 'QQ' }), RXE).flags), ['status-unknown@ORC-5']);
  });

  it('timing from TQ1 when RXE-1 is empty; the TQ1 and RXR after the RXE win over those before it', () => {
    const rxe = seg('RXE', { 2: '197806^Ibuprofen^RXNORM', 3: '400', 5: 'mg' });
    const f = request(ORC, 'TQ1|1||BID', 'RXR|IV^Intravenous', rxe, seg('TQ1', { 1: '1', 3: 'Q8H&Every 8 hours&HL70335', 7: '20240102090000', 8: '20240103090000' }), 'RXR|PO^Oral');
    const body = medicationBody(f);
    assert.equal(body.dosage?.frequency, 'Q8H');
    assert.equal(body.dosage?.route?.codings[0]?.code, 'PO');
    assert.deepEqual([body.period?.start?.instant, body.period?.end?.instant], ['2024-01-02T14:00:00.000Z', '2024-01-03T14:00:00.000Z']);
    const before = medicationBody(request(ORC, 'TQ1|1||BID', 'RXR|IV^Intravenous', rxe));
    assert.deepEqual([before.dosage?.frequency, before.dosage?.route?.codings[0]?.code], ['BID', 'IV']);
  });

  it('reads a dose written only in the instructions, and flags that it did', () => {
    const f = request(ORC, seg('RXE', { 2: '197806^Ibuprofen^RXNORM', 7: '^Take 500 mg by mouth twice daily' }));
    assert.deepEqual(medicationBody(f).dosage?.dose, { value: 500, unit: 'mg' });
    assert.deepEqual(flagCodes(f.flags), ['dose-parsed-from-text@RXE-7']);
  });

  it('does not guess a dose from text naming two doses or a rate', () => {
    for (const text of ['^500 mg now then 250 mg daily', '^Start at 5 mg/hr', '^As directed']) {
      const f = request(ORC, seg('RXE', { 2: '1^X^RXNORM', 7: text }));
      assert.equal(medicationBody(f).dosage?.dose, undefined, text);
      assert.deepEqual(f.flags, []);
    }
  });

  it('one request per ORC/RXE pair', () => {
    const n = mapOk(hl7(msh('RDE^O11'), PID, ORC, RXE, seg('ORC', { 1: 'NW', 3: 'F2' }), RXE));
    assert.deepEqual(facts(n).map((f) => f.sourceKey), ['filler:F1^PHARM', 'filler:F2']);
  });

  it('refuses an order without RXE, and one without any order number (AE 101)', () => {
    const noRxe = mapError(hl7(msh('RDE^O11'), PID, ORC, 'RXO|1^X'));
    assert.deepEqual([noRxe.ackCode, noRxe.hl7ErrorCode, noRxe.location], ['AE', 101, { segment: 'ORC' }]);
    const noNumber = mapError(hl7(msh('RDE^O11'), PID, 'ORC|NW', RXE));
    assert.deepEqual([noNumber.ackCode, noNumber.hl7ErrorCode, noNumber.location], ['AE', 101, { segment: 'ORC', field: 2 }]);
  });
});
