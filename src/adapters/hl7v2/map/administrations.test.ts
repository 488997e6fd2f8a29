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

const RAS_ORC = seg('ORC', { 1: 'RE', 2: 'P1^EHR', 3: 'F1^PHARM' });

function rxa(fields: Record<number, string>): string {
  return seg('RXA', { 1: '0', 2: '1', 3: '20240102090000', 5: '197806^Ibuprofen^RXNORM', 6: '600', 7: 'mg^^UCUM', ...fields });
}

function administrations(...segments: string[]): FactInput[] {
  return facts(mapOk(hl7(msh('RAS^O17'), PID, ...segments)), 'medication-administration');
}

describe('RAS^O17 administrations', () => {
  it('each RXA is an administration of the order before it, with time, code, dose and its own route', () => {
    const [a, b] = administrations(RAS_ORC, rxa({ 4: '20240102091500', 20: 'CP' }), 'RXR|PO^Oral', rxa({ 2: '2', 3: '20240102150000' }));
    assert.deepEqual([a!.sourceKey, b!.sourceKey], ['filler:F1^PHARM/0/1', 'filler:F1^PHARM/0/2']);
    assert.deepEqual([a!.position, b!.position], ['RXA', 'RXA[2]']);
    assert.equal(a!.effective?.instant, '2024-01-02T14:00:00.000Z');
    assert.equal(a!.code?.codings[0]?.code, '197806');
    const body = medicationBody(a);
    assert.equal(body.orderKey, 'filler:F1^PHARM');
    assert.deepEqual(body.dosage?.dose, { value: 600, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' });
    assert.equal(body.dosage?.route?.codings[0]?.code, 'PO');
    assert.equal(body.period?.end?.instant, '2024-01-02T14:15:00.000Z');
    assert.equal(medicationBody(b).dosage?.route, undefined, "a route belongs to the RXA it follows, not the next one");
  });

  it('links to the medication request the same order produced', () => {
    const request = facts(mapOk(hl7(msh('RDE^O11'), PID, ORC, RXE)))[0]!;
    const [given] = administrations(RAS_ORC, rxa({}));
    assert.equal(medicationBody(given).orderKey, request.sourceKey);
  });

  it('maps completion status: complete, refused, not administered, partial, and empty as given', () => {
    const statuses = ['CP', 'RE', 'NA', 'PA', ''].map((s) => administrations(RAS_ORC, rxa({ 20: s }))[0]!.status);
    assert.deepEqual(statuses, ['completed', 'not-done', 'not-done', 'in-progress', 'completed']);
    const odd = administrations(RAS_ORC, rxa({ 20: 'ZZ' }))[0]!;
    assert.equal(odd.status, 'unknown');
    assert.deepEqual(flagCodes(odd.flags), ['status-unknown@RXA-20']);
  });

  it('an administration the sender deletes (RXA-21 D) is entered in error', () => {
    assert.equal(administrations(RAS_ORC, rxa({ 20: 'CP', 21: 'D' }))[0]!.status, 'entered-in-error');
  });

  it('refuses an administration without a time (AE 101) or with a time that is not one (AE 102)', () => {
    const missing = mapError(hl7(msh('RAS^O17'), PID, RAS_ORC, rxa({ 3: '' })));
    assert.deepEqual([missing.kind, missing.ackCode, missing.hl7ErrorCode, missing.location], ['missing-required', 'AE', 101, { segment: 'RXA', field: 3 }]);
    const bad = mapError(hl7(msh('RAS^O17'), PID, RAS_ORC, rxa({ 3: '2024-01-02' })));
    assert.deepEqual([bad.kind, bad.ackCode, bad.hl7ErrorCode], ['invalid-value', 'AE', 102]);
  });

  it('refuses an administration that comes before any order', () => {
    const e = mapError(hl7(msh('RAS^O17'), PID, rxa({}), RAS_ORC));
    assert.deepEqual([e.ackCode, e.hl7ErrorCode, e.location], ['AE', 101, { segment: 'ORC' }]);
  });
});
