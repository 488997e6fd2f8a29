import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adt, NORTH, type Person } from '../support/hl7-builder.ts';
import { withProcessor } from '../support/processor-harness.ts';

/**
 * The processor recomputes the golden records of a whole batch in one statement just before it commits. Within one
 * batch, each patient must still end with its own records' projection: a change to one person never lands on another,
 * and an older account that arrives in the same batch as a newer one does not win.
 */
const ASH: Person = { mrn: 'GB-1', family: 'Ashgrove', given: 'Ada', birthDate: '19500101', sex: 'F', phone: '5550000001' };
const BRI: Person = { mrn: 'GB-2', family: 'Brindle', given: 'Bram', birthDate: '19610202', sex: 'M', phone: '5550000002' };

describe('golden records recomputed once per batch', () => {
  it('give each patient its own newest registration, whatever else the batch changed', { timeout: 60_000 }, async () => {
    await withProcessor({ workerId: 'golden', batchSize: 32 }, async ({ store, processor, arrive: send }) => {
      await send(adt(NORTH, 'A04', ASH, 'GB-R1', '20240301080000'), 'GB-R1');
      await send(adt(NORTH, 'A04', BRI, 'GB-R2', '20240301080000'), 'GB-R2');
      assert.equal(await processor.runOnce(), 2);

      // One batch: a new surname for one, a new phone for the other, and an account of the first older than both.
      await send(adt(NORTH, 'A08', { ...ASH, family: 'Ashgrove-Hale' }, 'GB-U1', '20240302090000'), 'GB-U1');
      await send(adt(NORTH, 'A08', { ...BRI, phone: '5550009999' }, 'GB-U2', '20240302090000'), 'GB-U2');
      await send(adt(NORTH, 'A08', { ...ASH, family: 'Ashgrove-Old' }, 'GB-U3', '20240301120000'), 'GB-U3');
      assert.equal(await processor.runOnce(), 3, 'the three updates are worked in one batch');

      const rows = await store.db
        .selectFrom('patients as p')
        .innerJoin('patient_identifiers as i', 'i.patient_id', 'p.id')
        .select(['i.value as mrn', 'p.family_name', 'p.given_names', 'p.phone', 'p.demographics_source_time'])
        .where('i.value', 'in', [ASH.mrn, BRI.mrn])
        .orderBy('i.value')
        .execute();
      assert.deepEqual(
        rows.map((r) => ({ mrn: r.mrn, family: r.family_name, given: r.given_names, phone: r.phone })),
        [
          { mrn: ASH.mrn, family: 'Ashgrove-Hale', given: 'Ada', phone: ASH.phone },
          { mrn: BRI.mrn, family: 'Brindle', given: 'Bram', phone: '5550009999' },
        ],
      );
      // Both newest accounts carry the same source time; the older account of the first (a day before) did not win.
      const times = rows.map((r) => new Date(r.demographics_source_time as unknown as string).getTime());
      assert.equal(times[0], times[1], 'each patient keeps the time of its newest account');
    });
  });
});
