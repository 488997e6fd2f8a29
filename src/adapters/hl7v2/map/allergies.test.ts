import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AllergyBody } from '../../../model/clinical.ts';
import { context, facts, flagCodes, hl7, mapError, mapOk, msh, PID, seg } from './test-helpers.ts';

const PV1 = seg('PV1', { 2: 'I', 19: 'V100' });
const allergies = (...al1: string[]) => facts(mapOk(hl7(msh('ADT^A08'), 'EVN|A08', PID, PV1, ...al1)), 'allergy');

describe('AL1 allergies in ADT', () => {
  it('maps allergen, category, severity, reactions and identification date of each AL1, as active allergies', () => {
    const [penicillin, peanut] = allergies(
      seg('AL1', { 1: '1', 2: 'DA', 3: '7980^Penicillin^RXNORM', 4: 'SV', 5: 'Hives~Anaphylaxis', 6: '20200115' }),
      seg('AL1', { 1: '2', 2: 'FA^Food allergy^HL70127', 3: '^Peanut', 4: 'MI', 5: 'Rash' }),
    );
    assert.equal(penicillin!.status, 'active');
    assert.deepEqual(penicillin!.code, { codings: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '7980', display: 'Penicillin' }], text: 'Penicillin' });
    assert.deepEqual(penicillin!.body as AllergyBody, { category: 'medication', severity: 'severe', criticality: 'high', reaction: 'Hives; Anaphylaxis' });
    assert.equal(penicillin!.effective?.instant, '2020-01-15T05:00:00.000Z');
    assert.equal(penicillin!.position, 'AL1');
    assert.deepEqual(penicillin!.flags, []);
    assert.deepEqual(peanut!.code, { codings: [], text: 'Peanut' });
    assert.deepEqual(peanut!.body as AllergyBody, { category: 'food', severity: 'mild', criticality: 'low', reaction: 'Rash' });
    assert.equal(peanut!.position, 'AL1[2]');
  });

  it('maps local allergen codes through the profile code map like any other code', () => {
    const ctx = context({ codeMaps: [{ from: { system: 'ALG', code: 'PCN' }, to: { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '7980' } }] });
    const [f] = facts(mapOk(hl7(msh('ADT^A31'), PID, seg('AL1', { 1: '1', 2: 'DA', 3: 'PCN^Penicillin^ALG' })), ctx), 'allergy');
    assert.deepEqual(f!.code!.codings.map((c) => c.code), ['PCN', '7980']);
    assert.deepEqual(flagCodes(f!.flags), ['code-mapped-by-profile@AL1-3']);
  });

  it('flags an unknown severity code instead of guessing a criticality, and an unknown allergen type instead of a category', () => {
    const [f] = allergies(seg('AL1', { 1: '1', 2: 'ZZ', 3: '7980^Penicillin^RXNORM', 4: 'XX' }));
    assert.deepEqual(f!.body, {});
    assert.deepEqual(flagCodes(f!.flags), ['table-value-unknown@AL1-2', 'table-value-unknown@AL1-4']);
  });

  it('keeps the same key for the same allergen in the next message, so an update is a new version, not a new allergy', () => {
    const first = allergies(seg('AL1', { 1: '1', 2: 'DA', 3: '7980^Penicillin^RXNORM', 4: 'MO' }));
    const second = allergies(seg('AL1', { 1: '3', 2: 'DA', 3: '7980^Penicillin^RXNORM', 4: 'SV' }));
    assert.equal(first[0]!.sourceKey, second[0]!.sourceKey);
  });

  it('refuses an AL1 without an allergen (AE 101 at AL1-3), naming the position and never a value', () => {
    const e = mapError(hl7(msh('ADT^A08'), PID, PV1, seg('AL1', { 1: '1', 2: 'DA', 3: '7980^Penicillin^RXNORM' }), seg('AL1', { 1: '2', 2: 'DA', 4: 'SV', 5: 'Hives' })));
    assert.deepEqual([e.ackCode, e.hl7ErrorCode, e.location], ['AE', 101, { segment: 'AL1', occurrence: 2, field: 3 }]);
    assert.match(e.message, /AL1\[2\]-3/);
    assert.doesNotMatch(e.message, /Hives|Doe/);
  });

  it('maps AL1 in person-only events (A28) without an encounter', () => {
    const n = mapOk(hl7(msh('ADT^A28'), PID, seg('AL1', { 1: '1', 2: 'EA', 3: '^Latex' })));
    assert.equal(n.groups[0]!.encounter, undefined);
    assert.deepEqual(facts(n, 'allergy').map((f) => [f.code?.text, (f.body as AllergyBody).category]), [['Latex', 'environment']]);
  });
});

describe('IAM allergies (ADT^A60)', () => {
  it('keys by the sender allergy id (IAM-7) and reads the clinical status (IAM-17)', () => {
    const [f] = facts(mapOk(hl7(msh('ADT^A60'), PID, seg('IAM', { 1: '1', 2: 'DA', 3: '7980^Penicillin^RXNORM', 4: 'MO', 5: 'Hives', 6: 'A', 7: 'ALG-1^EHR', 11: '20190301', 17: 'C' }))), 'allergy');
    assert.equal(f!.sourceKey, 'allergy:id:ALG-1^EHR');
    assert.equal(f!.status, 'confirmed');
    assert.deepEqual(f!.body, { category: 'medication', severity: 'moderate', criticality: 'low', reaction: 'Hives' });
  });

  it('records a deletion (IAM-6 D) as entered in error, and flags an unknown action or status', () => {
    const [deleted] = facts(mapOk(hl7(msh('ADT^A60'), PID, seg('IAM', { 1: '1', 2: 'DA', 3: '7980^Penicillin^RXNORM', 6: 'D', 7: 'ALG-1^EHR' }))), 'allergy');
    assert.equal(deleted!.status, 'entered-in-error');
    const [odd] = facts(mapOk(hl7(msh('ADT^A60'), PID, seg('IAM', { 1: '1', 3: '^Latex', 6: 'Q', 17: 'Z' }))), 'allergy');
    assert.equal(odd!.status, 'active');
    assert.deepEqual(flagCodes(odd!.flags), ['table-value-unknown@IAM-6', 'status-unknown@IAM-17']);
  });
});
