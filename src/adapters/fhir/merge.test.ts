import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bundle, flagCodes, mapError, mapOk, MRN_SYSTEM, patient, type Resource } from './test-helpers.ts';

const mrn = (value: string) => ({ system: MRN_SYSTEM, value, type: 'MR' });
const byId = (value: string) => ({ system: 'urn:vigil:source:ehr1:fhir-patient-id', value });
const withMrn = (id: string, value: string, link?: Resource[]) =>
  patient({ id, identifier: [{ system: MRN_SYSTEM, value, type: { coding: [{ code: 'MR' }] } }], ...(link ? { link } : {}) });

describe('Patient.link → merges', () => {
  it('replaced-by: this record was merged into the other, which survives', () => {
    const { normalized } = mapOk(bundle('transaction', withMrn('old', '111', [{ type: 'replaced-by', other: { reference: 'Patient/new' } }]), withMrn('new', '222')));
    assert.deepEqual(normalized.merges, [{ survivor: mrn('222'), retired: mrn('111'), position: 'Bundle.entry[0].resource.link[0]' }]);
  });

  it('replaces: this record absorbed the other; the pair is taken in a system both sides share', () => {
    const { normalized } = mapOk(withMrn('new', '222', [{ type: 'replaces', other: { reference: 'Patient/old' } }]));
    assert.deepEqual(normalized.merges, [{ survivor: byId('new'), retired: byId('old'), position: 'Patient.link[0]' }]);
    const byIdentifier = mapOk(withMrn('new', '222', [{ type: 'replaces', other: { identifier: { system: MRN_SYSTEM, value: '111' } } }]));
    assert.deepEqual(byIdentifier.normalized.merges.map((m) => [m.survivor, m.retired]), [[mrn('222'), { system: MRN_SYSTEM, value: '111' }]]);
  });

  it('both sides stating the same merge give one merge', () => {
    const { normalized } = mapOk(
      bundle(
        'transaction',
        withMrn('old', '111', [{ type: 'replaced-by', other: { reference: 'Patient/new' } }]),
        withMrn('new', '222', [{ type: 'replaces', other: { reference: 'Patient/old' } }]),
      ),
    );
    assert.equal(normalized.merges.length, 1);
  });

  it('refer and seealso are not merges', () => {
    const { normalized } = mapOk(withMrn('p1', '1', [{ type: 'refer', other: { reference: 'Patient/p2' } }, { type: 'seealso', other: { reference: 'Patient/p3' } }]));
    assert.deepEqual([normalized.merges, normalized.groups[0]!.patient.flags], [[], []]);
  });

  it('a side that cannot be identified under a known system: no merge, the link flagged', () => {
    const links = [
      { type: 'replaces', other: { display: 'someone' } },
      { type: 'replaces', other: { reference: 'RelatedPerson/r1' } },
      { type: 'replaces', other: { identifier: { value: '111' } } },
    ];
    const { normalized } = mapOk(withMrn('p1', '1', links));
    assert.deepEqual(normalized.merges, []);
    assert.deepEqual(flagCodes(normalized.groups[0]!.patient.flags), ['segment-ignored@Patient.link[0]', 'segment-ignored@Patient.link[1]', 'segment-ignored@Patient.link[2]']);
  });

  it('a record merged into itself is refused', () => {
    const e = mapError(withMrn('p1', '1', [{ type: 'replaced-by', other: { reference: 'Patient/p1' } }]));
    assert.deepEqual(e.issues.map((i) => [i.code, i.expression]), [['invalid', 'Patient.link[0].other']]);
  });
});
