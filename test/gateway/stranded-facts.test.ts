import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { v7 as uuidv7 } from 'uuid';
import { adt, LAB, NORTH, oru, type Person } from '../support/hl7-builder.ts';
import { withProcessor } from '../support/processor-harness.ts';

/**
 * A result names a visit whose registration another worker commits at the same moment: neither sees the other, and
 * the result's facts would wait for their visit for ever. The processor's periodic step links them once both have
 * committed. The race itself needs two connections; here its outcome is set up directly, as it is left in the tables.
 */
const PAT: Person = { mrn: 'SF-1', family: 'Calloway', given: 'Dov', birthDate: '19800505', sex: 'M', phone: '5550002001' };
const LIPIDS = [{ code: '2093-3', name: 'Cholesterol', value: '5.2', unit: 'mmol/L', status: 'F' as const }];

describe('facts left waiting for a visit registered at the same moment', () => {
  it('are linked to it by the periodic step, and facts of visits never registered keep waiting', { timeout: 60_000 }, async () => {
    await withProcessor({ workerId: 'stranded', senders: [NORTH, LAB] }, async ({ store, processor, arrive, drain }) => {
      await arrive(adt(NORTH, 'A28', PAT, 'SF-A', '20240301080000'), 'SF-A');
      await drain();
      // Results naming visits SV-9 and SV-10 (PV1-19), neither registered yet.
      const withVisit = (control: string, visit: string, order: string) =>
        oru(LAB, PAT, control, '20240301100000', order, LIPIDS).replace(/(\rPID\|[^\r]*)/, `$1\rPV1|1|O|||||||||||||||||${visit}`);
      await arrive(withVisit('SF-R1', 'SV-9', 'ORD-9'), 'SF-R1', LAB);
      await arrive(withVisit('SF-R2', 'SV-10', 'ORD-10'), 'SF-R2', LAB);
      await drain();
      const waiting = () => store.db.selectFrom('clinical_facts').select(['encounter_key', 'encounter_id']).where('encounter_key', 'in', ['SV-9', 'SV-10']).orderBy('encounter_key').execute();
      const before = await waiting();
      assert.deepEqual([...new Set(before.map((f) => f.encounter_key))], ['SV-10', 'SV-9'], 'both results name their visits');
      assert.ok(before.every((f) => f.encounter_id === null), 'the results wait for their visits');

      // What the other worker left: SV-9 registered (and its waiting facts looked for before these committed).
      const patient = await store.db.selectFrom('patient_identifiers').select('patient_id').where('value', '=', PAT.mrn).executeTakeFirstOrThrow();
      const encounterId = uuidv7();
      await store.db.insertInto('encounters').values({ id: encounterId, patient_id: patient.patient_id, facility_id: null, status: 'active', source_id: null, source_key: 'SV-9', record_id: null }).execute();

      assert.ok((await processor.linkStranded()) >= 1);
      const after = await waiting();
      assert.ok(after.filter((f) => f.encounter_key === 'SV-9').every((f) => f.encounter_id === encounterId), 'the SV-9 facts are linked to the visit');
      assert.ok(after.filter((f) => f.encounter_key === 'SV-10').every((f) => f.encounter_id === null), 'the SV-10 facts still wait');
      assert.equal(await processor.linkStranded(), 0, 'a second pass finds nothing more');
    });
  });

  it('are still linked when the other periodic step, expiring parked messages, keeps failing', { timeout: 60_000 }, async () => {
    await withProcessor({ workerId: 'stranded-2', senders: [NORTH, LAB] }, async ({ store, processor, arrive, drain }) => {
      await arrive(adt(NORTH, 'A28', PAT, 'SF-B', '20240301080000'), 'SF-B');
      await arrive(oru(LAB, PAT, 'SF-R3', '20240301100000', 'ORD-11', LIPIDS).replace(/(\rPID\|[^\r]*)/, '$1\rPV1|1|O|||||||||||||||||SV-11'), 'SF-R3', LAB);
      await drain();
      const patient = await store.db.selectFrom('patient_identifiers').select('patient_id').where('value', '=', PAT.mrn).executeTakeFirstOrThrow();
      const encounterId = uuidv7();
      await store.db.insertInto('encounters').values({ id: encounterId, patient_id: patient.patient_id, facility_id: null, status: 'active', source_id: null, source_key: 'SV-11', record_id: null }).execute();

      processor.expireParked = () => Promise.reject(new Error('expiry unavailable'));
      await processor['housekeeping']();
      const facts = await store.db.selectFrom('clinical_facts').select('encounter_id').where('encounter_key', '=', 'SV-11').execute();
      assert.ok(facts.length > 0 && facts.every((f) => f.encounter_id === encounterId), 'the late link was made despite the failing expiry');
    });
  });
});
