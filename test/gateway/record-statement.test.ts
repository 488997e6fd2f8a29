import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adt, LAB, NORTH, oru, type Person } from '../support/hl7-builder.ts';
import { withProcessor, type ProcessorHarness } from '../support/processor-harness.ts';

/**
 * A message's visit and facts are written by the statement that finds or files the patient's record
 * (src/gateway/record-facts.ts): on a known record, on a new record of a known person, and on a new person. Each path
 * must link facts to the visits they name exactly as writing them one statement at a time did.
 */
const ANA: Person = { mrn: 'RS-1', family: 'Okonkwo', given: 'Ada', birthDate: '19710214', sex: 'F', phone: '5550003001' };
const BEN: Person = { mrn: 'RS-2', family: 'Lindqvist', given: 'Bo', birthDate: '19650909', sex: 'M', phone: '5550003002' };
const GLUCOSE = [{ code: '2345-7', name: 'Glucose', value: '5.4', unit: 'mmol/L', status: 'F' as const }];
const PENICILLIN = 'AL1|1|DA|70618^Penicillin^RXNORM|SV|Hives';

const naming = (message: string, visit: string) => message.replace(/(\rPID\|[^\r]*)/, `$1\rPV1|1|O|||||||||||||||||${visit}`);

async function factsOf(h: ProcessorHarness, mrn: string) {
  const patient = await h.store.db.selectFrom('patient_identifiers').select('patient_id').where('value', '=', mrn).executeTakeFirstOrThrow();
  return h.store.db
    .selectFrom('clinical_facts as f')
    .leftJoin('encounters as e', 'e.id', 'f.encounter_id')
    .select(['f.kind', 'f.source_key', 'f.encounter_key', 'e.source_key as linked_visit', 'f.version_count'])
    .where('f.patient_id', '=', patient.patient_id)
    .orderBy('f.kind')
    .orderBy('f.source_key')
    .execute();
}

describe("a message's visit and facts written with its patient's record", () => {
  it('links results to the visit they name, whether the lab files the person for the first time or again', { timeout: 60_000 }, async () => {
    await withProcessor({ workerId: 'record-statement-1', senders: [NORTH, LAB] }, async (h) => {
      await h.arrive(adt(NORTH, 'A01', ANA, 'RS-A1', '20240401080000', 'RS-V1'), 'RS-A1');
      await h.drain();
      // The lab has no record of Ana yet: its record is filed with the result, for the patient the ADT feed made.
      await h.arrive(naming(oru(LAB, ANA, 'RS-R1', '20240401090000', 'RS-O1', GLUCOSE), 'RS-V1'), 'RS-R1', LAB);
      await h.drain();
      // Now it has: the result rides on the record's lookup.
      await h.arrive(naming(oru(LAB, ANA, 'RS-R2', '20240401100000', 'RS-O2', GLUCOSE), 'RS-V1'), 'RS-R2', LAB);
      // A visit never registered: the facts keep its number and wait.
      await h.arrive(naming(oru(LAB, ANA, 'RS-R3', '20240401110000', 'RS-O3', GLUCOSE), 'RS-V9'), 'RS-R3', LAB);
      await h.drain();

      const facts = await factsOf(h, ANA.mrn);
      const byOrder = (order: string) => facts.filter((f) => f.source_key.includes(order));
      for (const order of ['RS-O1', 'RS-O2']) {
        assert.equal(byOrder(order).length, 2, `${order}: the report and its observation`);
        assert.ok(byOrder(order).every((f) => f.linked_visit === 'RS-V1'), `${order} is linked to the registered visit`);
      }
      assert.ok(byOrder('RS-O3').every((f) => f.encounter_key === 'RS-V9' && f.linked_visit === null), 'the unregistered visit is named and waited for');
      const records = await h.store.db.selectFrom('patient_records').select('id').where('record_key', 'like', `%${ANA.mrn}`).execute();
      assert.equal(records.length, 2, 'one record per source');
    });
  });

  it('registers visits of a new person and of a known one, with their facts, and links results that waited', { timeout: 60_000 }, async () => {
    await withProcessor({ workerId: 'record-statement-2', senders: [NORTH, LAB] }, async (h) => {
      // A new person: the record, the visit and the allergy in one statement.
      await h.arrive(`${adt(NORTH, 'A01', BEN, 'RS-B1', '20240402080000', 'RS-V2')}${PENICILLIN}\r`, 'RS-B1');
      await h.drain();
      // A result names a visit not registered yet.
      await h.arrive(naming(oru(LAB, BEN, 'RS-R4', '20240402090000', 'RS-O4', GLUCOSE), 'RS-V3'), 'RS-R4', LAB);
      await h.drain();
      let facts = await factsOf(h, BEN.mrn);
      assert.equal(facts.find((f) => f.kind === 'allergy')?.linked_visit, 'RS-V2', 'the allergy is linked to the visit registered with it');
      assert.ok(facts.filter((f) => f.source_key.includes('RS-O4')).every((f) => f.linked_visit === null), 'the result waits for RS-V3');

      // The known person's next visit, registered twice (admit, then an update): one encounter, the waiting result linked.
      await h.arrive(`${adt(NORTH, 'A01', BEN, 'RS-B2', '20240402100000', 'RS-V3')}${PENICILLIN}\r`, 'RS-B2');
      await h.drain();
      await h.arrive(adt(NORTH, 'A08', BEN, 'RS-B3', '20240402110000', 'RS-V3'), 'RS-B3');
      await h.drain();
      facts = await factsOf(h, BEN.mrn);
      assert.ok(facts.filter((f) => f.source_key.includes('RS-O4')).every((f) => f.linked_visit === 'RS-V3'), 'the waiting result is linked once its visit is registered');
      const allergy = facts.find((f) => f.kind === 'allergy');
      assert.equal(allergy?.linked_visit, 'RS-V3', 'the allergy, sent again with the new visit, follows its newest account');
      assert.equal(allergy?.version_count, 2, 'and keeps both accounts as versions');
      const visits = await h.store.db.selectFrom('encounters').select(['source_key', 'status']).where('source_key', 'in', ['RS-V2', 'RS-V3']).orderBy('source_key').execute();
      assert.deepEqual(visits.map((v) => v.source_key), ['RS-V2', 'RS-V3'], 'each visit is one encounter, however often it is registered');
    });
  });
});
