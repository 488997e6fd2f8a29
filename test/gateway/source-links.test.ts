import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repoint } from '../../src/core/identity/merge.ts';
import type { Store } from '../../src/store/store.ts';
import { adt, linkPair, NORTH, type Person } from '../support/hl7-builder.ts';
import { withProcessor } from '../support/processor-harness.ts';

/**
 * ADT A24 (link) and A37 (unlink) through the processor: a source's link joins its two records' patients and keeps
 * both records live; its unlink restores exactly the two patients as they were; the two arriving in the wrong order
 * end as the source's newer word says; and an unlink Vigil cannot apply by itself goes to the operator with a reason.
 */
const ONE: Person = { mrn: 'SL-1', family: 'Fairweather', given: 'Esme', birthDate: '19720304', sex: 'F', phone: '5550001001' };
const TWO: Person = { mrn: 'SL-2', family: 'Fairweather', given: 'Esmé', birthDate: '19720304', sex: 'F', phone: '5550001002' };

interface Gateway {
  store: Store;
  send(text: string, control: string): Promise<void>;
  drain(): Promise<void>;
  /** Per MRN: the live patient its record sits on, and that patient's encounters' visit numbers. */
  patients(): Promise<Record<string, { patient: string; visits: string[] }>>;
  message(control: string): Promise<{ state: string; reason_code: string | null }>;
}

async function withGateway(fn: (g: Gateway) => Promise<void>): Promise<void> {
  await withProcessor({ workerId: 'links', maxAttempts: 3 }, async ({ store, arrive, drain }) => {
    await fn({
      store,
      send: (text, control) => arrive(text, control),
      drain: () => drain(20),
      patients: async () => {
        const rows = await store.db
          .selectFrom('patient_records as r')
          .innerJoin('patients as p', 'p.id', 'r.patient_id')
          .leftJoin('encounters as e', 'e.patient_id', 'p.id')
          .select(['r.record_key', 'p.id', 'p.merged_into', 'e.source_key'])
          .orderBy('e.source_key')
          .execute();
        const out: Record<string, { patient: string; visits: string[] }> = {};
        for (const r of rows) {
          assert.equal(r.merged_into, null, 'a record sits on a live patient');
          const mrn = r.record_key.split('|').at(-1)!;
          out[mrn] ??= { patient: r.id, visits: [] };
          if (r.source_key) out[mrn].visits.push(r.source_key);
        }
        return out;
      },
      message: async (control) => store.db.selectFrom('gateway_messages').select(['state', 'reason_code']).where('control_id', '=', control).executeTakeFirstOrThrow(),
    });
  });
}

async function registerBoth(g: Gateway): Promise<Record<string, { patient: string; visits: string[] }>> {
  await g.send(adt(NORTH, 'A01', ONE, 'SL-A1', '20240301080000', 'V-ONE'), 'SL-A1');
  await g.send(adt(NORTH, 'A01', TWO, 'SL-A2', '20240301090000', 'V-TWO'), 'SL-A2');
  await g.drain();
  const before = await g.patients();
  assert.notEqual(before[ONE.mrn]!.patient, before[TWO.mrn]!.patient, 'two records with different MRNs are two patients');
  return before;
}

describe('a source links and unlinks two of its records (ADT A24, A37)', () => {
  it('the link joins them on one patient with both records live; the unlink restores the two patients exactly', { timeout: 60_000 }, async () => {
    await withGateway(async (g) => {
      const before = await registerBoth(g);
      await g.send(linkPair(NORTH, 'A24', ONE, TWO, 'SL-L1', '20240302080000'), 'SL-L1');
      await g.drain();
      assert.equal((await g.message('SL-L1')).state, 'processed');
      const linked = await g.patients();
      assert.equal(linked[TWO.mrn]!.patient, before[ONE.mrn]!.patient, 'the second record joined the first’s patient');
      assert.deepEqual(linked[ONE.mrn]!.visits, ['V-ONE', 'V-TWO'], 'the second record’s visit followed it');
      const retired = await g.store.db.selectFrom('patient_records').select('retired_into').where('record_key', 'like', `%|${TWO.mrn}`).executeTakeFirstOrThrow();
      assert.equal(retired.retired_into, null, 'a link is not a merge: the second record stays live');
      const shell = await g.store.db.selectFrom('patients').select('merged_into').where('id', '=', before[TWO.mrn]!.patient).executeTakeFirstOrThrow();
      assert.equal(shell.merged_into, before[ONE.mrn]!.patient, 'the emptied patient points to the one it joined');

      await g.send(linkPair(NORTH, 'A37', ONE, TWO, 'SL-U1', '20240303080000'), 'SL-U1');
      await g.drain();
      assert.equal((await g.message('SL-U1')).state, 'processed');
      assert.deepEqual(await g.patients(), before, 'the two patients are back, each with its own visit');
      const decisions = await g.store.db.selectFrom('identity_link_events').select('decision').where('decision', 'in', ['source-link', 'source-unlink']).orderBy('id').execute();
      assert.deepEqual(decisions.map((d) => d.decision), ['source-link', 'source-unlink'], 'both decisions are in the identity history');
    });
  });

  it('an unlink delivered before the older link it takes back leaves the records apart', { timeout: 60_000 }, async () => {
    await withGateway(async (g) => {
      const before = await registerBoth(g);
      await g.send(linkPair(NORTH, 'A37', ONE, TWO, 'SL-U2', '20240303080000'), 'SL-U2');
      await g.drain();
      await g.send(linkPair(NORTH, 'A24', ONE, TWO, 'SL-L2', '20240302080000'), 'SL-L2');
      await g.drain();
      assert.deepEqual([(await g.message('SL-U2')).state, (await g.message('SL-L2')).state], ['processed', 'processed']);
      assert.deepEqual(await g.patients(), before, 'the source’s newer word (not linked) stands');

      // A link the source makes after its unlink does join them.
      await g.send(linkPair(NORTH, 'A24', TWO, ONE, 'SL-L3', '20240304080000'), 'SL-L3');
      await g.drain();
      const relinked = await g.patients();
      assert.equal(relinked[ONE.mrn]!.patient, relinked[TWO.mrn]!.patient);
    });
  });

  it('an unlink of records Vigil joined otherwise goes to the operator with a reason, and changes nothing', { timeout: 60_000 }, async () => {
    await withGateway(async (g) => {
      const before = await registerBoth(g);
      // As a person's link from the review queue does: the second record moved onto the first's patient.
      const second = await g.store.db.selectFrom('patient_records').select('id').where('record_key', 'like', `%|${TWO.mrn}`).executeTakeFirstOrThrow();
      await g.store.tx((trx) => repoint(trx, second.id, before[ONE.mrn]!.patient));
      const joined = await g.patients();

      await g.send(linkPair(NORTH, 'A37', ONE, TWO, 'SL-U3', '20240303080000'), 'SL-U3');
      await g.drain();
      assert.deepEqual(await g.message('SL-U3'), { state: 'quarantined', reason_code: 'unlink-needs-review' });
      assert.deepEqual(await g.patients(), joined, 'nothing moved');
    });
  });
});
