import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Store } from '../../src/store/store.ts';
import { adt, atVisit, LAB, NORTH, oru, type Person } from '../support/hl7-builder.ts';
import { withProcessor, workInBatches, type Sent } from '../support/processor-harness.ts';

/**
 * A batch's visits are written together before its facts (src/core/clinical/pending-visits.ts), not as each
 * registration is worked. Registrations of one batch that depend on each other must end as if each had a batch of its
 * own: accounts of one visit in and out of time order, a visit registered after a result named it (the result written
 * before the batch, or in it), and a registration's own facts on its visit.
 */
const T = { timeout: 120_000 };

const P: Person = { mrn: 'BV-1', family: 'Cedarly', given: 'Cy', birthDate: '19630404', sex: 'M', phone: '5550004444' };
const line = [{ code: '2093-3', name: 'Cholesterol', value: '150', unit: 'mg/dL', status: 'F' as const }];

const BEFORE: Sent[] = [
  { sender: NORTH, control: 'BV-1', text: adt(NORTH, 'A04', P, 'BV-1', '20240601080000', 'V-1') },
  // A result naming a visit not registered yet: it waits for it.
  { sender: LAB, control: 'BV-2', text: atVisit(oru(LAB, P, 'BV-2', '20240601083000', 'O-1', line), 'V-9') },
];

const BATCH: Sent[] = [
  // An update of V-1 with a diagnosis on the visit; then an older account of V-1 in another ward, which loses.
  { sender: NORTH, control: 'BV-10', text: `${adt(NORTH, 'A08', P, 'BV-10', '20240601090000', 'V-1')}DG1|1||J18.9^Pneumonia^I10||20240601090000|A\r` },
  { sender: NORTH, control: 'BV-11', text: adt(NORTH, 'A08', P, 'BV-11', '20240601084500', 'V-1').replace('WARD1^101^A', 'WARD2^202^B') },
  // V-9 registered: the result that waited for it is linked; a result naming it afterwards too.
  { sender: NORTH, control: 'BV-12', text: adt(NORTH, 'A01', P, 'BV-12', '20240601091000', 'V-9') },
  { sender: LAB, control: 'BV-13', text: atVisit(oru(LAB, P, 'BV-13', '20240601092000', 'O-2', line), 'V-9') },
  // V-1 ends.
  { sender: NORTH, control: 'BV-14', text: adt(NORTH, 'A03', P, 'BV-14', '20240601100000', 'V-1') },
];

interface State {
  visits: { key: string; status: string; location: string | null; ended: boolean; time: string | null; by: string | null; mrns: string }[];
  facts: { code: string; visit: string | null }[];
}

async function state(store: Store): Promise<State> {
  const visits = await sql<State['visits'][number]>`
    SELECT e.source_key AS key, e.status, e.location, e.ends_at IS NOT NULL AS ended,
      to_char(e.source_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS time,
      (SELECT m.control_id FROM gateway_messages m WHERE m.id = (e.provenance->>'messageId')::uuid) AS by,
      (SELECT string_agg(value, ',' ORDER BY value) FROM patient_identifiers WHERE patient_id = e.patient_id) AS mrns
    FROM encounters e ORDER BY e.source_key`.execute(store.db);
  const facts = await sql<State['facts'][number]>`
    SELECT f.code, e.source_key AS visit FROM clinical_facts f LEFT JOIN encounters e ON e.id = f.encounter_id
    WHERE f.kind IN ('observation', 'condition') ORDER BY f.code, f.source_key`.execute(store.db);
  return { visits: visits.rows, facts: facts.rows };
}

async function deliver(batchSize: number): Promise<{ state: State; claimedAtOnce: number }> {
  let out: { state: State; claimedAtOnce: number } | undefined;
  await withProcessor({ workerId: `batch-visits-${batchSize}`, batchSize, senders: [NORTH, LAB] }, async (h) => {
    const { store } = h;
    const claimedAtOnce = await workInBatches(h, BEFORE, BATCH, batchSize);
    const states = await sql<{ state: string }>`SELECT DISTINCT state FROM gateway_messages`.execute(store.db);
    assert.deepEqual(states.rows.map((r) => r.state), ['processed']);
    out = { state: await state(store), claimedAtOnce };
  });
  return out!;
}

describe('visits written when the batch ends', () => {
  it('end as if each registration had a batch of its own', T, async () => {
    const together = await deliver(32);
    const oneByOne = await deliver(1);
    assert.equal(together.claimedAtOnce, BATCH.length, 'the messages were worked in one batch');
    assert.equal(oneByOne.claimedAtOnce, 1);

    const [v1, v9] = together.state.visits;
    assert.deepEqual([v1!.key, v1!.ended, v1!.location, v1!.by, v1!.time], ['V-1', true, 'WARD1 / 101 / A', 'BV-14', '2024-06-01 10:00'], 'V-1 ended, in the ward of its latest account');
    assert.equal(v9!.key, 'V-9');
    assert.equal(together.state.visits.length, 2, 'one row per visit');
    assert.deepEqual(together.state.facts.map((f) => [f.code, f.visit]), [
      ['2093-3', 'V-9'],
      ['2093-3', 'V-9'],
      ['J18.9', 'V-1'],
    ], 'both results on V-9 (one waited for it, one came after), the diagnosis on the visit its registration gave');

    assert.deepEqual(together.state, oneByOne.state, 'the same visits and facts');
  });
});
