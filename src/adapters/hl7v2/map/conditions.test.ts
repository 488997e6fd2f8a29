import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConditionBody } from '../../../model/clinical.ts';
import { facts, flagCodes, hl7, mapError, mapOk, msh, PID, seg } from './test-helpers.ts';

const PV1 = seg('PV1', { 2: 'I', 19: 'V100', 44: '20240102083000' });

describe('DG1 encounter diagnoses', () => {
  it('maps each DG1 of an admission to an encounter diagnosis of the visit, with code system, type and time', () => {
    const n = mapOk(hl7(msh('ADT^A01'), 'EVN|A01', PID, PV1, seg('DG1', { 1: '1', 3: 'J18.9^Pneumonia^I10', 5: '20240102090000', 6: 'A' }), seg('DG1', { 1: '2', 3: 'E11.9^Type 2 diabetes^I10', 6: 'F' })));
    const [pneumonia, diabetes] = facts(n, 'condition');
    assert.equal(n.groups[0]!.encounter?.sourceKey, 'V100');
    assert.deepEqual(pneumonia!.code!.codings, [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J18.9', display: 'Pneumonia' }]);
    assert.equal(pneumonia!.status, 'provisional');
    assert.equal((pneumonia!.body as ConditionBody).category, 'encounter-diagnosis');
    assert.equal((pneumonia!.body as ConditionBody).onset?.instant, '2024-01-02T14:00:00.000Z');
    assert.equal(pneumonia!.sourceKey, 'diagnosis:V100/A/http://hl7.org/fhir/sid/icd-10-cm|J18.9');
    assert.equal(diabetes!.status, 'confirmed');
    assert.deepEqual(diabetes!.flags, []);
  });

  it('keeps a code in a system the profile does not know, in a source-local system, flagged code-unmapped', () => {
    const [f] = facts(mapOk(hl7(msh('ADT^A08'), PID, PV1, seg('DG1', { 1: '1', 3: '123^Local thing^MYDX', 6: 'W' }))), 'condition');
    assert.deepEqual(f!.code!.codings, [{ system: 'urn:vigil:source:lab1:codes:MYDX', code: '123', display: 'Local thing' }]);
    assert.deepEqual(flagCodes(f!.flags), ['code-unmapped@DG1-3']);
  });

  it('flags a missing or unknown diagnosis type instead of choosing one, and retracts on DG1-21 D', () => {
    const [noType, deleted] = facts(mapOk(hl7(msh('ADT^A08'), PID, PV1, seg('DG1', { 1: '1', 3: 'J18.9^^I10' }), seg('DG1', { 1: '2', 3: 'E11.9^^I10', 6: 'F', 21: 'D' }))), 'condition');
    assert.equal(noType!.status, 'unknown');
    assert.deepEqual(flagCodes(noType!.flags), ['status-unknown@DG1-6']);
    assert.equal(deleted!.status, 'entered-in-error');
  });

  it('reads DG1 in a result message too, linked to its visit', () => {
    const n = mapOk(hl7(msh('ORU^R01'), PID, PV1, 'OBR|1|P1|F1|24331-1^Lipid^LN|||20240102083000', 'OBX|1|NM|2093-3^Chol^LN||182|mg/dL|||||F', seg('DG1', { 1: '1', 3: 'E78.5^Hyperlipidemia^I10', 6: 'W' })));
    const [dx] = facts(n, 'condition');
    assert.equal(dx!.code!.codings[0]!.code, 'E78.5');
    assert.equal(facts(n, 'observation').length, 1);
  });

  it('refuses a DG1 with neither code nor description (AE 101 at DG1-3)', () => {
    const e = mapError(hl7(msh('ADT^A08'), PID, PV1, seg('DG1', { 1: '1', 6: 'F' })));
    assert.deepEqual([e.ackCode, e.hl7ErrorCode, e.location], ['AE', 101, { segment: 'DG1', field: 3 }]);
  });
});

describe('PRB problem-list items (PPR^PC1/PC2/PC3)', () => {
  const prb = (fields: Record<number, string>) => seg('PRB', { 2: '20240110100000', 3: '44054006^Diabetes mellitus type 2^SCT', 4: 'PRB-9^EHR', ...fields });

  it('adds a problem (PC1, AD) as an active problem-list item keyed by its instance id', () => {
    const [f] = facts(mapOk(hl7(msh('PPR^PC1'), PID, prb({ 1: 'AD', 7: '20240101', 16: '20231201' }))), 'condition');
    assert.equal(f!.sourceKey, 'problem:PRB-9^EHR');
    assert.equal(f!.status, 'active');
    assert.deepEqual(f!.code!.codings, [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes mellitus type 2' }]);
    const body = f!.body as ConditionBody;
    assert.equal(body.category, 'problem-list-item');
    assert.equal(body.onset?.instant, '2023-12-01T05:00:00.000Z');
    assert.equal(f!.effective?.instant, '2024-01-01T05:00:00.000Z');
  });

  it('reads the life cycle (PRB-14) and confirmation (PRB-13) statuses; refuted wins over active', () => {
    const status = (fields: Record<number, string>) => facts(mapOk(hl7(msh('PPR^PC2'), PID, prb({ 1: 'UP', ...fields }))), 'condition')[0]!.status;
    assert.equal(status({ 14: 'R' }), 'resolved');
    assert.equal(status({ 14: 'inactive' }), 'inactive');
    assert.equal(status({ 9: '20240201' }), 'resolved');
    assert.equal(status({ 13: 'R', 14: 'A' }), 'refuted');
    assert.equal(status({ 13: 'P' }), 'provisional');
  });

  it('flags a life cycle status it does not know and keeps the problem as unknown, never active', () => {
    const [f] = facts(mapOk(hl7(msh('PPR^PC2'), PID, prb({ 1: 'UP', 14: 'WHATEVER' }))), 'condition');
    assert.equal(f!.status, 'unknown');
    assert.deepEqual(flagCodes(f!.flags), ['status-unknown@PRB-14']);
  });

  it('takes a problem off the list on DE or PC3, as entered in error under the same key', () => {
    const [de] = facts(mapOk(hl7(msh('PPR^PC2'), PID, prb({ 1: 'DE' }))), 'condition');
    const [pc3] = facts(mapOk(hl7(msh('PPR^PC3'), PID, prb({ 1: 'UP' }))), 'condition');
    assert.deepEqual([de!.status, de!.sourceKey], ['entered-in-error', 'problem:PRB-9^EHR']);
    assert.equal(pc3!.status, 'entered-in-error');
  });

  it('refuses a PRB without its problem instance id (AE 101 at PRB-4)', () => {
    const e = mapError(hl7(msh('PPR^PC1'), PID, seg('PRB', { 1: 'AD', 3: '44054006^Diabetes^SCT' })));
    assert.deepEqual([e.ackCode, e.hl7ErrorCode, e.location], ['AE', 101, { segment: 'PRB', field: 4 }]);
  });
});
