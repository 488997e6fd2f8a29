import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { chartFact } from '../../src/core/clinical/chart-view.ts';
import { loadFacts } from '../../src/core/clinical/fact-query.ts';
import { toMedicationRequest } from '../../src/core/clinical/fhir/medications.ts';
import type { Store } from '../../src/store/store.ts';
import { reinferMedicationsOf } from '../../src/core/clinical/active-medication-list.ts';
import { IdentityHistoryService } from '../../src/core/identity/identity-history.ts';
import { adt, merge, NORTH, PERSON_1, PHARMACY, rde, type MedicationLine } from '../support/hl7-builder.ts';
import { withProcessor, type ProcessorHarness } from '../support/processor-harness.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { OPERATOR, OPERATOR_FACTS } from '../support/operator-subject.ts';

/**
 * A pharmacy whose profile says `medications: active-only` sends the patient's whole active list each time and never
 * says an order stopped. What a clinician must see: an order a later list leaves out is marked stopped, as Vigil's
 * inference (never as the pharmacy's word), and comes back if a later list names it again; whatever order the lists
 * arrive in.
 */
const DRUGS = {
  A: { code: '197361', name: 'Amlodipine 5 MG Oral Tablet' },
  B: { code: '310798', name: 'Hydrochlorothiazide 25 MG Oral Tablet' },
  C: { code: '314076', name: 'Lisinopril 10 MG Oral Tablet' },
  D: { code: '860975', name: 'Metformin 500 MG Oral Tablet' },
  E: { code: '617312', name: 'Atorvastatin 10 MG Oral Tablet' },
} as const;
type Drug = keyof typeof DRUGS;

const line = (drug: Drug, control: 'NW' | 'DC' = 'NW'): MedicationLine => ({ order: `RX-${drug}`, drug: DRUGS[drug], control });
const ACTIVE_ONLY = new Map([[PHARMACY, { medications: 'active-only' }]]);
const REGISTERED = adt(NORTH, 'A01', PERSON_1, 'ADT-1', '20240301070000+0000');

interface Delivery {
  sender: typeof NORTH;
  control: string;
  text: string;
}

const list = (control: string, time: string, lines: MedicationLine[]): Delivery => ({ sender: PHARMACY, control, text: rde(PHARMACY, PERSON_1, control, time, lines) });
const registration: Delivery = { sender: NORTH, control: 'ADT-1', text: REGISTERED };

interface MedicationState {
  order: string;
  status: string;
  derivation: string;
  confidence: number;
  absentSince: string | null;
  versionStatuses: string;
}

async function medications(store: Store): Promise<MedicationState[]> {
  const rows = await sql<{ source_key: string; status: string; derivation: string; confidence: number; absent_since: Date | null; versions: string }>`
    SELECT f.source_key, f.status, f.derivation, f.confidence, f.absent_since,
      (SELECT string_agg(v.status, ',' ORDER BY v.source_time) FROM clinical_fact_versions v WHERE v.fact_id = f.id) AS versions
    FROM clinical_facts f WHERE f.kind = 'medication-request' ORDER BY f.source_key`.execute(store.db);
  return rows.rows.map((r) => ({
    order: r.source_key.replace(/^.*(RX-[A-E]).*$/, '$1'),
    status: r.status,
    derivation: r.derivation,
    confidence: Math.round(r.confidence * 100) / 100,
    absentSince: r.absent_since?.toISOString() ?? null,
    versionStatuses: r.versions,
  }));
}

const byOrder = (states: MedicationState[]) => new Map(states.map((s) => [s.order, s]));

async function deliver(h: ProcessorHarness, deliveries: readonly Delivery[]): Promise<void> {
  for (const d of deliveries) {
    await h.arrive(d.text, d.control, d.sender);
    await h.processor.runOnce();
  }
  await h.drain();
}

const harness = (fn: (h: ProcessorHarness) => Promise<void>, profiles = ACTIVE_ONLY) => withProcessor({ workerId: 'lists', batchSize: 4, senders: [NORTH, PHARMACY], profiles }, fn);

describe('medications from an active-only pharmacy', () => {
  it('an order a later list leaves out is stopped as an inference; the pharmacy\'s own versions are unchanged', async () => {
    await harness(async (h) => {
      await deliver(h, [registration, list('RX-1', '20240301090000+0000', [line('A'), line('B')]), list('RX-2', '20240302090000+0000', [line('A')])]);
      const meds = byOrder(await medications(h.store));
      assert.deepEqual(meds.get('RX-A'), { order: 'RX-A', status: 'active', derivation: 'asserted', confidence: 1, absentSince: null, versionStatuses: 'active,active' });
      assert.deepEqual(meds.get('RX-B'), { order: 'RX-B', status: 'stopped', derivation: 'inferred', confidence: 0.6, absentSince: '2024-03-02T09:00:00.000Z', versionStatuses: 'active' });

      // What the chart shows: stopped, inferred, with the reason among the provenance flags.
      const id = (await sql<{ id: string }>`SELECT id FROM clinical_facts WHERE source_key LIKE '%RX-B%'`.execute(h.store.db)).rows[0]!.id;
      const shown = chartFact((await h.store.tx((trx) => loadFacts(trx, [id])))[0]!);
      assert.equal(shown.status, 'stopped');
      assert.equal(shown.inferred, true);
      assert.equal(shown.absentSince, '2024-03-02T09:00:00.000Z');
      assert.ok(shown.provenance.flags.some((f) => f.code === 'absent-from-active-list'));
      // And what a FHIR client reads: status stopped, tagged inferred.
      const resource = toMedicationRequest((await h.store.tx((trx) => loadFacts(trx, [id])))[0]!);
      assert.equal(resource['status'], 'stopped');
      assert.deepEqual(resource.meta?.tag?.map((t) => t.code), ['inferred']);
    });
  });

  it('an order a later list names again is active again, as the pharmacy said', async () => {
    await harness(async (h) => {
      await deliver(h, [
        registration,
        list('RX-1', '20240301090000+0000', [line('A'), line('B')]),
        list('RX-2', '20240302090000+0000', [line('A')]),
        list('RX-3', '20240303090000+0000', [line('A'), line('B')]),
      ]);
      const b = byOrder(await medications(h.store)).get('RX-B')!;
      assert.deepEqual({ status: b.status, derivation: b.derivation, confidence: b.confidence, absentSince: b.absentSince }, { status: 'active', derivation: 'asserted', confidence: 1, absentSince: null });
    });
  });

  it('a message that only discontinues an order is not the whole list: nothing else is stopped', async () => {
    await harness(async (h) => {
      await deliver(h, [registration, list('RX-1', '20240301090000+0000', [line('A'), line('B')]), list('RX-2', '20240302090000+0000', [line('B', 'DC')])]);
      const meds = byOrder(await medications(h.store));
      assert.equal(meds.get('RX-A')!.status, 'active');
      assert.equal(meds.get('RX-A')!.absentSince, null);
      assert.deepEqual({ status: meds.get('RX-B')!.status, derivation: meds.get('RX-B')!.derivation }, { status: 'stopped', derivation: 'asserted' }, 'the explicit stop is the pharmacy\'s word');
    });
  });

  it('a message without a time (MSH-7 empty) cannot be ordered among the lists, so it stops nothing', async () => {
    await harness(async (h) => {
      const untimed = list('RX-2', '20240302090000+0000', [line('A')]);
      untimed.text = untimed.text.replace(/^(MSH\|[^|]*\|[^|]*\|[^|]*\|[^|]*\|[^|]*\|)[^|]*/, '$1');
      await deliver(h, [registration, list('RX-1', '20240301090000+0000', [line('A'), line('B')]), untimed]);
      const b = byOrder(await medications(h.store)).get('RX-B')!;
      assert.deepEqual({ status: b.status, derivation: b.derivation, absentSince: b.absentSince }, { status: 'active', derivation: 'asserted', absentSince: null });
      const lists = await sql<{ n: string }>`SELECT count(*) AS n FROM clinical_medication_lists`.execute(h.store.db);
      assert.equal(Number(lists.rows[0]!.n), 1, 'only the timed message is a list');
      const untimedState = await sql<{ state: string }>`SELECT state FROM gateway_messages WHERE control_id = 'RX-2'`.execute(h.store.db);
      assert.equal(untimedState.rows[0]!.state, 'processed', 'the untimed message itself was applied');
    });
  });

  it('a full-history source infers nothing from an order it leaves out', async () => {
    await harness(
      async (h) => {
        await deliver(h, [registration, list('RX-1', '20240301090000+0000', [line('A'), line('B')]), list('RX-2', '20240302090000+0000', [line('A')])]);
        const b = byOrder(await medications(h.store)).get('RX-B')!;
        assert.deepEqual({ status: b.status, derivation: b.derivation, absentSince: b.absentSince }, { status: 'active', derivation: 'asserted', absentSince: null });
        const lists = await sql<{ n: string }>`SELECT count(*) AS n FROM clinical_medication_lists`.execute(h.store.db);
        assert.equal(Number(lists.rows[0]!.n), 0);
      },
      new Map(),
    );
  });

  it('changing the profile to full-history gives every inferred stop back to what the pharmacy said, audited', async () => {
    await harness(async (h) => {
      await deliver(h, [registration, list('RX-1', '20240301090000+0000', [line('A'), line('B')]), list('RX-2', '20240302090000+0000', [line('A')])]);
      await h.store.tx((trx) => h.registry.updateProfile(trx, h.sourceId(PHARMACY), { medications: 'full-history' }, { actorName: 'test' }));
      const b = byOrder(await medications(h.store)).get('RX-B')!;
      assert.deepEqual({ status: b.status, derivation: b.derivation, confidence: b.confidence, absentSince: b.absentSince }, { status: 'active', derivation: 'asserted', confidence: 1, absentSince: null });
      const audit = await sql<{ details: { medications_restored?: number } }>`SELECT details FROM audit.events WHERE action = 'gateway.source.profile-update' ORDER BY recorded_at DESC, id DESC LIMIT 1`.execute(h.store.db);
      assert.equal(audit.rows[0]!.details.medications_restored, 1);
    });
  });

  it('a FHIR Bundle from an active-only source is a list too: a statement it leaves out is stopped, inferred', async () => {
    const statement = (id: string, code: string, name: string) => ({
      resource: { resourceType: 'MedicationStatement', id, status: 'active', medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code, display: name }] }, subject: { reference: 'Patient/p1' }, effectiveDateTime: '2024-03-01T09:00:00Z' },
    });
    const patient = { resource: { resourceType: 'Patient', id: 'p1', identifier: [{ system: 'http://hospital.example/mrn', value: 'FHIR-LIST-1' }], name: [{ family: 'Lindqvist', given: ['Amara'] }], birthDate: '1961-04-12', gender: 'female' } };
    const list = (timestamp: string, ...entries: object[]) => JSON.stringify({ resourceType: 'Bundle', type: 'collection', timestamp, entry: [patient, ...entries] });
    await harness(
      async (h) => {
        await deliver(h, [
          { sender: PHARMACY, control: 'FL-1', text: list('2024-03-01T09:00:00Z', statement('ms-a', '197361', 'Amlodipine 5 MG Oral Tablet'), statement('ms-b', '314076', 'Lisinopril 10 MG Oral Tablet')) },
          { sender: PHARMACY, control: 'FL-2', text: list('2024-03-05T09:00:00Z', statement('ms-a', '197361', 'Amlodipine 5 MG Oral Tablet')) },
        ]);
        const rows = await sql<{ source_key: string; status: string; derivation: string; absent_since: Date | null }>`
          SELECT source_key, status, derivation, absent_since FROM clinical_facts WHERE kind = 'medication-statement' ORDER BY source_key`.execute(h.store.db);
        assert.deepEqual(
          rows.rows.map((r) => [r.source_key, r.status, r.derivation, r.absent_since?.toISOString() ?? null]),
          [
            ['MedicationStatement/ms-a', 'active', 'asserted', null],
            ['MedicationStatement/ms-b', 'stopped', 'inferred', '2024-03-05T09:00:00.000Z'],
          ],
        );
      },
      new Map([[PHARMACY, { medications: 'active-only', unknownPatient: 'create' }]]),
    );
  });

  describe('after the pharmacy merges two of its records (A40)', () => {
    const DUPLICATE = { ...PERSON_1, mrn: 'MRN-RX-DUP-7' };
    const listOf = (person: typeof PERSON_1, control: string, time: string, lines: MedicationLine[]): Delivery => ({ sender: PHARMACY, control, text: rde(PHARMACY, person, control, time, lines) });
    const registrations: Delivery[] = [registration, { sender: NORTH, control: 'ADT-2', text: adt(NORTH, 'A04', DUPLICATE, 'ADT-2', '20240301073000+0000') }];
    // Order A on the duplicate chart; the survivor's chart lists B before the merge (2 March) and after it (4 March).
    const duplicateList = listOf(DUPLICATE, 'RXD-1', '20240301090000+0000', [line('A')]);
    const beforeMerge = listOf(PERSON_1, 'RX-1', '20240302090000+0000', [line('B')]);
    const mergeMessage: Delivery = { sender: PHARMACY, control: 'MRG-1', text: merge(PHARMACY, PERSON_1, DUPLICATE.mrn, 'MRG-1', '20240303090000+0000') };
    const afterMerge = listOf(PERSON_1, 'RX-2', '20240304090000+0000', [line('B')]);
    const stateOf = async (store: Store, order: string) => {
      const m = byOrder(await medications(store)).get(order)!;
      return { status: m.status, derivation: m.derivation, absentSince: m.absentSince };
    };
    const active = { status: 'active', derivation: 'asserted', absentSince: null };
    const stoppedByLaterList = { status: 'stopped', derivation: 'inferred', absentSince: '2024-03-04T09:00:00.000Z' };

    it('the survivor\'s lists from the merge on stop the retired chart\'s orders they leave out; an unmerge takes it back', async () => {
      await harness(async (h) => {
        await deliver(h, [...registrations, duplicateList, beforeMerge]);
        assert.deepEqual(await stateOf(h.store, 'RX-A'), active, 'two charts: the survivor\'s list does not speak for the other');
        await deliver(h, [mergeMessage]);
        assert.deepEqual(await stateOf(h.store, 'RX-A'), active, 'a list from before the merge was the other chart\'s list');
        await deliver(h, [afterMerge]);
        assert.deepEqual(await stateOf(h.store, 'RX-A'), stoppedByLaterList, 'the first list after the merge that leaves A out');
        assert.deepEqual(await stateOf(h.store, 'RX-B'), active);

        const mergeId = (await sql<{ merge: string }>`SELECT evidence->>'merge' AS merge FROM identity_link_events WHERE decision = 'source-merge'`.execute(h.store.db)).rows[0]!.merge;
        await new IdentityHistoryService(h.store, reinferMedicationsOf).unmerge(OPERATOR, OPERATOR_FACTS, mergeId, 'A40 sent for the wrong chart');
        assert.deepEqual(await stateOf(h.store, 'RX-A'), active, 'unmerged: the survivor\'s list no longer speaks for it');
      });
    });

    it('takes the merge\'s time from its earliest statement when the pharmacy sends it twice, whatever the order', async () => {
      await harness(async (h) => {
        const restated: Delivery = { sender: PHARMACY, control: 'MRG-2', text: merge(PHARMACY, PERSON_1, DUPLICATE.mrn, 'MRG-2', '20240305090000+0000') };
        await deliver(h, [...registrations, duplicateList, beforeMerge, afterMerge, restated]);
        assert.deepEqual(await stateOf(h.store, 'RX-A'), active, 'stated on 5 March only so far: the list of the 4th predates it');
        await deliver(h, [mergeMessage]);
        assert.deepEqual(await stateOf(h.store, 'RX-A'), stoppedByLaterList, 'the statement of the 3rd arrives: the list of the 4th speaks for both charts');
      });
    });

    it('ends the same when the merge arrives after the lists it bears on', async () => {
      await harness(async (h) => {
        await deliver(h, [...registrations, afterMerge, duplicateList, beforeMerge, mergeMessage]);
        assert.deepEqual(await stateOf(h.store, 'RX-A'), stoppedByLaterList);
        assert.deepEqual(await stateOf(h.store, 'RX-B'), active);
      });
    });
  });

  it('property: lists delivered shuffled and repeated end where in-order delivery ends, and where the lists say', { timeout: 240_000 }, async () => {
    const random = seededRandom(2024);
    const drugs = Object.keys(DRUGS) as Drug[];
    // Five lists a day apart, each naming a random non-empty subset of the drugs.
    const lists = [1, 2, 3, 4, 5].map((day) => {
      const named = drugs.filter(() => random() < 0.6);
      return { time: `2024030${day}090000+0000`, iso: `2024-03-0${day}T09:00:00.000Z`, named: named.length ? named : ['A' as Drug] };
    });
    const set = [registration, ...lists.map((l, i) => list(`RX-${i + 1}`, l.time, l.named.map((d) => line(d))))];

    // What the lists say, worked out here rather than by Vigil: a drug is absent from the first list after the last
    // one that names it.
    const expected = new Map<string, string | null>();
    for (const drug of drugs) {
      const last = lists.map((l) => l.named.includes(drug)).lastIndexOf(true);
      if (last < 0) continue;
      expected.set(`RX-${drug}`, lists.slice(last + 1).find((l) => !l.named.includes(drug))?.iso ?? null);
    }

    assert.ok([...expected.values()].some((v) => v !== null) && [...expected.values()].some((v) => v === null), 'the seed gives both stopped and active drugs');

    let inOrder: MedicationState[] = [];
    await harness(async (h) => {
      await deliver(h, set);
      inOrder = await medications(h.store);
    });
    assert.deepEqual(new Map(inOrder.map((m) => [m.order, m.absentSince])), expected);
    for (const m of inOrder) assert.equal(m.status, m.absentSince ? 'stopped' : 'active', m.order);

    for (let round = 0; round < 3; round++) {
      const shuffled = [...set, ...set.filter(() => random() < 0.3)];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      await harness(async (h) => {
        await deliver(h, shuffled);
        assert.deepEqual(await medications(h.store), inOrder, `round ${round}`);
      });
    }
  });
});
