import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Store } from '../../src/store/store.ts';
import { adt, atVisit, LAB, merge, NORTH, oru, type Person } from '../support/hl7-builder.ts';
import { withProcessor, workInBatches, type Sent } from '../support/processor-harness.ts';

/**
 * A batch's facts are written together when the batch ends (src/core/clinical/pending-facts.ts), not as each message is
 * worked. Messages of one batch that depend on each other must still end as if worked one by one: a result naming a
 * visit registered later in the batch, three versions of one result, a result for a record merged away later in the
 * batch, and a result followed by a message rolled back to its savepoint.
 */
const T = { timeout: 120_000 };

const P: Person = { mrn: 'BF-1', family: 'Ashgrove', given: 'Ada', birthDate: '19600101', sex: 'F', phone: '5550001111' };
const DUP: Person = { ...P, mrn: 'BF-1-dup' };

/** An ORU whose results name visit `visit` (PV1-19), for a patient registered by the ADT source. */
const oruAtVisit = (p: Person, control: string, time: string, order: string, value: string, status: 'P' | 'F' | 'C', visit: string) =>
  atVisit(oru(LAB, p, control, time, order, [{ code: '2093-3', name: 'Cholesterol', value, unit: 'mg/dL', status }], status), visit);

const MESSAGES: Sent[] = [
  { sender: NORTH, control: 'BF-1', text: adt(NORTH, 'A04', P, 'BF-1', '20240301080000', 'V-1') },
  // The result names V-2 before its registration, then is made final, then corrected, all in the same batch.
  { sender: LAB, control: 'BF-2', text: oruAtVisit(P, 'BF-2', '20240301090000', 'O-1', '150', 'P', 'V-2') },
  { sender: LAB, control: 'BF-3', text: oruAtVisit(P, 'BF-3', '20240301100000', 'O-1', '160', 'F', 'V-2') },
  { sender: NORTH, control: 'BF-4', text: adt(NORTH, 'A01', P, 'BF-4', '20240301103000', 'V-2') },
  { sender: LAB, control: 'BF-5', text: oruAtVisit(P, 'BF-5', '20240301110000', 'O-1', '170', 'C', 'V-2') },
  // A second record of the same person, a result for it, and the source's merge of the two.
  { sender: NORTH, control: 'BF-6', text: adt(NORTH, 'A04', DUP, 'BF-6', '20240302080000', 'V-dup') },
  { sender: LAB, control: 'BF-7', text: oru(LAB, DUP, 'BF-7', '20240302090000', 'O-2', [{ code: '2571-8', name: 'Triglyceride', value: '133', unit: 'mg/dL', status: 'F' }], 'F') },
  { sender: NORTH, control: 'BF-8', text: merge(NORTH, P, DUP.mrn, 'BF-8', '20240303080000') },
  // A result, then a merge naming a record never registered: the merge is rolled back and parked, the result stays.
  { sender: LAB, control: 'BF-9', text: oru(LAB, P, 'BF-9', '20240304090000', 'O-3', [{ code: '2085-9', name: 'HDL', value: '55', unit: 'mg/dL', status: 'F' }], 'F') },
  { sender: NORTH, control: 'BF-10', text: merge(NORTH, P, 'BF-never', 'BF-10', '20240304100000') },
];

interface Outcome {
  claimedAtOnce: number;
  states: string[];
  facts: { key: string; status: string; patientMrns: string; visit: string | null; versions: string[] }[];
}

async function outcome(store: Store, claimedAtOnce: number): Promise<Outcome> {
  const states = await sql<{ state: string }>`SELECT DISTINCT state FROM gateway_messages ORDER BY state`.execute(store.db);
  const facts = await sql<{ key: string; status: string; mrns: string; visit: string | null; versions: string[] }>`
    SELECT f.source_key AS key, f.status,
      (SELECT string_agg(value, ',' ORDER BY value) FROM patient_identifiers WHERE patient_id = f.patient_id) AS mrns,
      e.source_key AS visit,
      ARRAY(SELECT v.status FROM clinical_fact_versions v WHERE v.fact_id = f.id ORDER BY v.seq) AS versions
    FROM clinical_facts f LEFT JOIN encounters e ON e.id = f.encounter_id
    WHERE f.kind = 'observation' ORDER BY f.source_key`.execute(store.db);
  return { claimedAtOnce, states: states.rows.map((r) => r.state), facts: facts.rows.map(({ mrns, ...f }) => ({ ...f, patientMrns: mrns })) };
}

async function deliver(batchSize: number): Promise<Outcome> {
  let result: Outcome | undefined;
  await withProcessor({ workerId: `batch-facts-${batchSize}`, batchSize, senders: [NORTH, LAB] }, async (h) => {
    result = await outcome(h.store, await workInBatches(h, [], MESSAGES, batchSize));
  });
  return result!;
}

describe('facts written when the batch ends', () => {
  it('end as if each message had been worked on its own', T, async () => {
    const together = await deliver(32);
    const oneByOne = await deliver(1);
    assert.equal(together.claimedAtOnce, MESSAGES.length, 'the messages were worked in one batch');
    assert.equal(oneByOne.claimedAtOnce, 1);
    assert.deepEqual(together.states, ['parked', 'processed'], 'the merge of an unknown record waits for it');

    const cholesterol = together.facts.find((f) => f.versions.length === 3);
    assert.ok(cholesterol, 'the result has its three versions');
    assert.deepEqual(cholesterol.versions, ['preliminary', 'final', 'corrected'], 'in the order they arrived');
    assert.equal(cholesterol.status, 'corrected');
    assert.equal(cholesterol.visit, 'V-2', 'linked to the visit registered after the result named it');

    const triglyceride = together.facts.find((f) => f.key.includes('O-2'));
    const hdl = together.facts.find((f) => f.key.includes('O-3'));
    assert.ok(triglyceride && hdl, 'the other two results are there, the one before the parked merge included');
    assert.equal(triglyceride.patientMrns, `${P.mrn},${DUP.mrn}`, 'the merged-away record’s result belongs to the surviving patient');

    assert.deepEqual({ ...together, claimedAtOnce: 0 }, { ...oneByOne, claimedAtOnce: 0 }, 'the same facts, versions, visits and patients');
  });

  it('that fail when written leave the failing message set aside and the others written once', T, async () => {
    await withProcessor({ workerId: 'batch-facts-fault', batchSize: 32, maxAttempts: 1, senders: [NORTH, LAB] }, async ({ store, processor, arrive, drain }) => {
      // The fault: one result's fact row can never be written. It fails in the batch's fact statement, after every
      // message of the batch was worked.
      await sql`CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.code = '9999-9' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$`.execute(store.db);
      await sql`CREATE TRIGGER test_fault BEFORE INSERT ON clinical_facts FOR EACH ROW EXECUTE FUNCTION test_fault()`.execute(store.db);
      await arrive(adt(NORTH, 'A04', P, 'BFF-1', '20240301080000', 'V-1'), 'BFF-1', NORTH);
      const line = (code: string, value: string) => [{ code, name: 'Test', value, unit: 'mg/dL', status: 'F' as const }];
      await arrive(oru(LAB, P, 'BFF-2', '20240301090000', 'O-1', line('2093-3', '150')), 'BFF-2', LAB);
      await arrive(oru(LAB, P, 'BFF-3', '20240301091000', 'O-2', line('9999-9', '1')), 'BFF-3', LAB);
      await arrive(oru(LAB, P, 'BFF-4', '20240301092000', 'O-3', line('2085-9', '55')), 'BFF-4', LAB);
      assert.equal(await processor.runOnce(), 4, 'the four messages were claimed in one batch');
      await drain();

      const states = await sql<{ control_id: string; state: string }>`SELECT control_id, state FROM gateway_messages ORDER BY control_id`.execute(store.db);
      assert.deepEqual(Object.fromEntries(states.rows.map((r) => [r.control_id, r.state])), { 'BFF-1': 'processed', 'BFF-2': 'processed', 'BFF-3': 'dead-letter', 'BFF-4': 'processed' });
      const facts = await sql<{ code: string; versions: string }>`
        SELECT f.code, (SELECT count(*) FROM clinical_fact_versions v WHERE v.fact_id = f.id) AS versions FROM clinical_facts f ORDER BY f.code`.execute(store.db);
      // Each result is an observation and its lab report (24331-1, the panel): the failing message's report is gone too.
      assert.deepEqual(facts.rows.map((r) => [r.code, Number(r.versions)]), [['2085-9', 1], ['2093-3', 1], ['24331-1', 1], ['24331-1', 1]], 'the others’ facts once each, none of the failing one');
    });
  });
});
