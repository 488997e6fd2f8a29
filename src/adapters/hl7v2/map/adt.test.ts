import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EncounterInput } from '../../../model/clinical.ts';
import { context, hl7, mapError, mapOk, msh, PID, seg } from './test-helpers.ts';

const PV1_ACTIVE = seg('PV1', { 1: '1', 2: 'I', 3: 'WARD4^12^B', 19: 'V100^^^HOSP^VN', 44: '20240102083000' });
const PV1_ENDED = seg('PV1', { 1: '1', 2: 'I', 3: 'WARD4^12^B', 19: 'V100^^^HOSP^VN', 44: '20240102083000', 45: '20240105170000' });

function encounter(event: string, pv1: string): EncounterInput | undefined {
  return mapOk(hl7(msh(event), 'EVN|X', PID, pv1)).groups[0]!.encounter;
}

describe('ADT visits', () => {
  it('an admission (A01) or registration (A04) opens an in-progress encounter keyed by the visit number', () => {
    for (const event of ['ADT^A01', 'ADT^A04']) {
      const e = encounter(event, PV1_ACTIVE)!;
      assert.deepEqual(
        { ...e, start: e.start?.instant },
        { sourceKey: 'V100', status: 'in-progress', class: 'inpatient', start: '2024-01-02T13:30:00.000Z', location: 'WARD4 / 12 / B', flags: [] },
      );
    }
  });

  it('a discharge (A03) finishes the encounter at PV1-45', () => {
    const e = encounter('ADT^A03', PV1_ENDED)!;
    assert.equal(e.status, 'finished');
    assert.equal(e.end?.instant, '2024-01-05T22:00:00.000Z');
  });

  it('a cancelled admission (A11) cancels the encounter', () => {
    assert.equal(encounter('ADT^A11', PV1_ACTIVE)?.status, 'cancelled');
  });

  it('an update (A08) keeps the visit in progress unless it has a discharge time', () => {
    assert.equal(encounter('ADT^A08', PV1_ACTIVE)?.status, 'in-progress');
    assert.equal(encounter('ADT^A08', PV1_ENDED)?.status, 'finished');
  });

  it('person-only events (A28, A31) make no encounter even when a PV1 is sent', () => {
    assert.equal(encounter('ADT^A28', PV1_ACTIVE), undefined);
    assert.equal(encounter('ADT^A31', PV1_ACTIVE), undefined);
    const n = mapOk(hl7(msh('ADT^A28'), PID));
    assert.equal(n.groups[0]!.patient.identifiers[0]!.value, '12345');
  });

  it('maps each patient class, and anything else to other', () => {
    const classes = ['I', 'O', 'E', 'P', 'R', 'B', ''].map((c) => encounter('ADT^A01', seg('PV1', { 2: c, 19: 'V1' }))?.class);
    assert.deepEqual(classes, ['inpatient', 'outpatient', 'emergency', 'preadmit', 'recurring', 'other', 'other']);
  });

  it('without a visit number the key comes from patient class and admit time', () => {
    assert.equal(encounter('ADT^A04', seg('PV1', { 2: 'E', 44: '20190504181205+0700' }))?.sourceKey, 'class:E/admit:20190504181205+0700');
  });

  it('a PV1 with neither visit number nor admit time makes no encounter and the message says a segment was ignored', () => {
    const n = mapOk(hl7(msh('ADT^A01'), PID, seg('PV1', { 2: 'I' })));
    assert.equal(n.groups[0]!.encounter, undefined);
    assert.deepEqual(n.flags, [{ code: 'segment-ignored', at: 'PV1' }]);
  });

  it('reports the event it mapped and the PID position', () => {
    const n = mapOk(hl7(msh('ADT^A01^ADT_A01'), PID, PV1_ACTIVE));
    assert.equal(n.event, 'ADT^A01');
    assert.equal(n.groups[0]!.position, 'PID');
    assert.deepEqual(n.merges, []);
  });

  it('an ADT without a PID is refused (AE 101)', () => {
    const e = mapError(hl7(msh('ADT^A01'), 'EVN|A01', PV1_ACTIVE));
    assert.deepEqual([e.ackCode, e.hl7ErrorCode, e.location], ['AE', 101, { segment: 'PID' }]);
  });
});

describe('ADT^A40 patient merge', () => {
  it('makes the PID the survivor and MRG-1 the retired record, under the same authority', () => {
    const n = mapOk(hl7(msh('ADT^A40'), 'EVN|A40', 'PID|1||12345^^^BCBS^MR~999^^^SSA^SS||Test^Test', 'MRG|56789^^^BCBS^MR'));
    assert.deepEqual(n.merges, [
      {
        survivor: { system: 'urn:vigil:authority:BCBS', authority: 'BCBS', value: '12345', type: 'MR' },
        retired: { system: 'urn:vigil:authority:BCBS', authority: 'BCBS', value: '56789', type: 'MR' },
        position: 'MRG',
      },
    ]);
    assert.equal(n.groups.length, 1);
    assert.equal(n.groups[0]!.encounter, undefined);
  });

  it('reads each PID/MRG pair of a message carrying two merges', () => {
    const n = mapOk(hl7(msh('ADT^A40'), 'EVN|A40', 'PID|1||12345^^^BCBS^MR', 'MRG|56789^^^BCBS^MR', 'PID|2||145^^^BCBS^MR', 'MRG|569^^^BCBS^MR'));
    assert.deepEqual(
      n.merges.map((m) => [m.survivor.value, m.retired.value, m.position]),
      [['12345', '56789', 'MRG'], ['145', '569', 'MRG[2]']],
    );
    assert.deepEqual(n.groups.map((g) => g.position), ['PID', 'PID[2]']);
  });

  it('retires each identifier MRG-1 repeats, matching the survivor by authority', () => {
    const n = mapOk(hl7(msh('ADT^A40'), 'PID|1||A1^^^HOSP^MR~S1^^^SSA^SS', 'MRG|A2^^^HOSP^MR~S2^^^SSA^SS'));
    assert.deepEqual(n.merges.map((m) => `${m.survivor.value}<-${m.retired.value}`), ['A1<-A2', 'S1<-S2']);
  });

  it("uses the profile's default authority for a retired identifier that has none", () => {
    const n = mapOk(hl7(msh('ADT^A40'), 'PID|1||A1^^^HOSP^MR', 'MRG|A2'), context({ identifiers: { systems: {}, defaultAuthority: 'HOSP', recordNumberTypes: ['MR'] } }));
    assert.deepEqual([n.merges[0]!.retired.authority, n.merges[0]!.survivor.value], ['HOSP', 'A1']);
  });

  it('refuses to merge away a record whose authority is unknown (AE 101 at MRG-1.4)', () => {
    const e = mapError(hl7(msh('ADT^A40'), 'PID|1||A1^^^HOSP^MR', 'MRG|A2^^^^MR'));
    assert.deepEqual([e.ackCode, e.hl7ErrorCode, e.location], ['AE', 101, { segment: 'MRG', field: 1, component: 4 }]);
  });

  it('refuses a PID without its MRG, an empty MRG-1, and a record merged into itself', () => {
    assert.deepEqual(mapError(hl7(msh('ADT^A40'), 'PID|1||A1^^^HOSP^MR')).location, { segment: 'MRG' });
    assert.deepEqual(mapError(hl7(msh('ADT^A40'), 'PID|1||A1^^^HOSP^MR', 'MRG|')).location, { segment: 'MRG', field: 1 });
    const self = mapError(hl7(msh('ADT^A40'), 'PID|1||A1^^^HOSP^MR', 'MRG|A1^^^HOSP^MR'));
    assert.deepEqual([self.kind, self.ackCode, self.hl7ErrorCode], ['invalid-value', 'AE', 102]);
  });
});

describe('ADT^A24 link and ADT^A37 unlink', () => {
  it('name the two records by the identifier each is filed under, and register both PIDs', () => {
    for (const [event, kind] of [['ADT^A24', 'link'], ['ADT^A37', 'unlink']] as const) {
      const n = mapOk(hl7(msh(event), `EVN|${event.slice(4)}`, 'PID|1||12345^^^BCBS^MR~999^^^SSA^SS||Test^Ann', 'PID|2||56789^^^BCBS^MR||Test^Anne'));
      assert.deepEqual(n.merges, [
        {
          kind,
          survivor: { system: 'urn:vigil:authority:BCBS', authority: 'BCBS', value: '12345', type: 'MR' },
          retired: { system: 'urn:vigil:authority:BCBS', authority: 'BCBS', value: '56789', type: 'MR' },
          position: 'PID[2]',
        },
      ]);
      assert.deepEqual(n.groups.map((g) => [g.position, g.encounter]), [['PID', undefined], ['PID[2]', undefined]], `${event}: both people, no visit`);
    }
  });

  it('refuse a message that does not carry exactly two records, or names one record twice', () => {
    const one = mapError(hl7(msh('ADT^A24'), 'EVN|A24', 'PID|1||12345^^^BCBS^MR'));
    assert.equal(one.ackCode, 'AE');
    assert.match(one.message, /exactly two PID segments/);
    const three = mapError(hl7(msh('ADT^A37'), 'EVN|A37', 'PID|1||1^^^BCBS^MR', 'PID|2||2^^^BCBS^MR', 'PID|3||3^^^BCBS^MR'));
    assert.deepEqual(three.location, { segment: 'PID', occurrence: 3, field: 3 }, 'the third PID is named');
    const same = mapError(hl7(msh('ADT^A24'), 'EVN|A24', 'PID|1||12345^^^BCBS^MR', 'PID|2||12345^^^BCBS^MR'));
    assert.match(same.message, /same record/);
  });
});
