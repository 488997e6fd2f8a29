import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Store } from '../../src/store/store.ts';
import { adt, LAB, merge, NORTH, oru, type Person, type Sender } from '../support/hl7-builder.ts';
import { withProcessor } from '../support/processor-harness.ts';
import { seededRandom } from '../support/seeded-random.ts';

/**
 * Property: whatever order messages arrive in, and however often each is delivered, the normalized state ends the
 * same as one in-order delivery. Message sets are generated from a seed; a failure names the seed.
 */
interface Delivery {
  sender: Sender;
  control: string;
  text: string;
}

const FAMILIES = ['Ashgrove', 'Brindle', 'Calloway', 'Dunmore', 'Ellery', 'Fairweather'];
const GIVENS = ['Ada', 'Bram', 'Cleo', 'Dov', 'Esme', 'Fitz'];

function messageSet(seed: number): Delivery[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const out: Delivery[] = [];
  let n = 0;
  const control = () => `P${seed}-${++n}`;
  const people: Person[] = [0, 1, 2].map((i) => ({ mrn: `PM-${seed}-${i}`, family: pick(FAMILIES), given: pick(GIVENS), birthDate: `19${50 + i}0${1 + i}1${i}`, sex: i % 2 ? 'M' : 'F', phone: `55500000${i}${seed % 10}` }));
  people.forEach((p, i) => {
    const day = `2024030${i + 1}`;
    out.push({ sender: NORTH, control: control(), text: '' }, { sender: NORTH, control: control(), text: '' });
    out[out.length - 2]!.text = adt(NORTH, 'A01', p, out[out.length - 2]!.control, `${day}080000`, `V-${i}`);
    out[out.length - 1]!.text = adt(NORTH, 'A08', { ...p, phone: `55599999${i}${seed % 10}` }, out[out.length - 1]!.control, `${day}100000`, `V-${i}`);
    const order = `O-${seed}-${i}`;
    const value = (v: number, status: 'P' | 'F' | 'C') => [{ code: '2093-3', name: 'Cholesterol', value: String(v), unit: 'mg/dL', status }];
    for (const [hour, status, v] of [['11', 'P', 150 + i], ['13', 'F', 160 + i], ['15', 'C', 170 + i]] as const) {
      const c = control();
      out.push({ sender: LAB, control: c, text: oru(LAB, p, c, `${day}${hour}0000`, order, value(v, status), status) });
    }
  });
  // The first person was also registered a second time under another MRN, and the source merges the two later.
  const duplicate: Person = { ...people[0]!, mrn: `PM-${seed}-dup` };
  const d1 = control();
  out.push({ sender: NORTH, control: d1, text: adt(NORTH, 'A04', duplicate, d1, '20240304080000', 'V-dup') });
  const d2 = control();
  out.push({ sender: LAB, control: d2, text: oru(LAB, duplicate, d2, '20240304090000', `O-${seed}-dup`, [{ code: '2571-8', name: 'Triglyceride', value: '133', unit: 'mg/dL', status: 'F' }], 'F') });
  const m = control();
  out.push({ sender: NORTH, control: m, text: merge(NORTH, people[0]!, duplicate.mrn, m, '20240305080000') });
  return out;
}

function shuffledWithRepeats(list: readonly Delivery[], random: () => number): Delivery[] {
  const out = [...list, ...list.filter(() => random() < 0.3)];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The normalized state with everything random (ids, arrival times) left out. */
async function snapshot(store: Store): Promise<unknown> {
  const patients = await sql<{ id: string; ids: string; family: string | null; given: string | null; birth: string | null; phone: string | null }>`
    SELECT p.id, (SELECT string_agg(system || '|' || value, ',' ORDER BY system, value) FROM patient_identifiers WHERE patient_id = p.id) AS ids,
      p.family_name AS family, p.given_names AS given, p.birth_date AS birth, p.phone
    FROM patients p WHERE p.merged_into IS NULL ORDER BY ids`.execute(store.db);
  const keyOf = new Map(patients.rows.map((p) => [p.id, p.ids]));
  const facts = await sql<{ source: string; kind: string; source_key: string; status: string; body: unknown; patient_id: string; versions: string }>`
    SELECT s.name AS source, f.kind, f.source_key, f.status, f.body, f.patient_id,
      (SELECT string_agg(content_hash, ',' ORDER BY content_hash) FROM clinical_fact_versions v WHERE v.fact_id = f.id) AS versions
    FROM clinical_facts f JOIN gateway_sources s ON s.id = f.source_id ORDER BY s.name, f.kind, f.source_key`.execute(store.db);
  const encounters = await sql<{ source_key: string; status: string; patient_id: string }>`SELECT source_key, status, patient_id FROM encounters ORDER BY source_key`.execute(store.db);
  const merged = await sql<{ n: string }>`SELECT count(*) AS n FROM patients WHERE merged_into IS NOT NULL`.execute(store.db);
  const states = await sql<{ state: string; n: string }>`SELECT state, count(*) AS n FROM gateway_messages GROUP BY state ORDER BY state`.execute(store.db);
  return {
    patients: patients.rows.map(({ id: _id, ...rest }) => rest),
    facts: facts.rows.map(({ patient_id, ...rest }) => ({ ...rest, patient: keyOf.get(patient_id) ?? 'merged-away' })),
    encounters: encounters.rows.map(({ patient_id, ...rest }) => ({ ...rest, patient: keyOf.get(patient_id) ?? 'merged-away' })),
    mergedPatients: merged.rows[0]!.n,
    states: states.rows,
  };
}

async function deliver(deliveries: readonly Delivery[]): Promise<unknown> {
  let state: unknown;
  await withProcessor({ workerId: 'property', batchSize: 4, senders: [NORTH, LAB] }, async ({ store, processor, arrive, drain }) => {
    for (const d of deliveries) {
      await arrive(d.text, d.control, d.sender);
      // Work interleaves with arrivals, as it does in production.
      await processor.runOnce();
    }
    await drain();
    state = await snapshot(store);
  });
  return state;
}

describe('delivery order and repeats do not change the outcome', () => {
  for (const seed of [11, 29]) {
    it(`set ${seed}: four shuffled deliveries with repeats end where in-order delivery ends`, { timeout: 240_000 }, async () => {
      const set = messageSet(seed);
      const expected = await deliver(set);
      const states = (expected as { states: { state: string }[] }).states.map((s) => s.state);
      assert.deepEqual(states, ['processed'], 'in order, every message is processed');
      const random = seededRandom(seed * 7919);
      for (let round = 0; round < 4; round++) {
        assert.deepEqual(await deliver(shuffledWithRepeats(set, random)), expected, `seed ${seed}, round ${round}`);
      }
    });
  }
});
