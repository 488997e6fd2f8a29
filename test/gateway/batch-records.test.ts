import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Store } from '../../src/store/store.ts';
import type { MatchEngine } from '../../src/core/identity/match-engine.ts';
import { defaultMatchEngine } from '../../src/runtime/match-engine.ts';
import { adt, LAB, merge, NORTH, oru, PHARMACY, type Person } from '../support/hl7-builder.ts';
import { withProcessor, workInBatches, type Sent } from '../support/processor-harness.ts';

/**
 * A batch looks up and locks its records when it starts (src/core/identity/batch-records.ts): a result that changes
 * nothing on a known record sends no statement, and a later source time with the same content is written when the
 * batch ends. Results of one batch that depend on each other must end as if each had its own batch, where every
 * later time was written before the next message: same content later, earlier, changed, a new identifier (which
 * releases a message parked on it), and a change at an earlier time than a pending later one.
 *
 * It also searches, when it starts, for who each record it will file may be; a search the batch's own writes made
 * stale is made again.
 */
const T = { timeout: 120_000 };

const P: Person = { mrn: 'BR-P', family: 'Birchwood', given: 'Bea', birthDate: '19610202', sex: 'F', phone: '5550002222' };
const R: Person = { mrn: 'BR-R', family: 'Rowan', given: 'Rex', birthDate: '19620303', sex: 'M', phone: '5550003333' };
const NEW_PHONE = '5550009999';

const line = [{ code: '2093-3', name: 'Cholesterol', value: '150', unit: 'mg/dL', status: 'F' as const }];
/** A lab result for `p` at `time`, with the person's identifiers as given (PID-3 may carry a second one). */
const result = (p: Person, control: string, time: string, pid3?: string) => {
  const text = oru(LAB, p, control, time, `O-${control}`, line);
  return pid3 ? text.replace(`${p.mrn}^^^NORTH^MR`, pid3) : text;
};
/** P also known to the south site as BR-Q: a lab result about BR-Q alone waits for that identifier. */
const WITH_Q = `${P.mrn}^^^NORTH^MR~BR-Q^^^SOUTH^MR`;
const Q_ALONE: Person = { ...P, mrn: 'BR-Q' };

const BEFORE: Sent[] = [
  { sender: NORTH, control: 'BR-1', text: adt(NORTH, 'A04', P, 'BR-1', '20240401080000', 'V-P') },
  { sender: NORTH, control: 'BR-2', text: adt(NORTH, 'A04', R, 'BR-2', '20240401080000', 'V-R') },
  { sender: LAB, control: 'BR-3', text: result(P, 'BR-3', '20240401090000') },
  { sender: LAB, control: 'BR-4', text: result(R, 'BR-4', '20240401090000') },
  { sender: LAB, control: 'BR-5', text: result(Q_ALONE, 'BR-5', '20240401093000').replace('BR-Q^^^NORTH^MR', 'BR-Q^^^SOUTH^MR') },
];

const BATCH: Sent[] = [
  // R: the same account later, then earlier (nothing), then later again: the record ends at the last.
  { sender: LAB, control: 'BR-10', text: result(R, 'BR-10', '20240401100000') },
  { sender: LAB, control: 'BR-11', text: result(R, 'BR-11', '20240401093000') },
  { sender: LAB, control: 'BR-12', text: result(R, 'BR-12', '20240401110000') },
  // A changed account with a new identifier, earlier than R's pending later time: the identifier is added, the
  // account is not (it is older than the one the record holds by then).
  { sender: LAB, control: 'BR-13', text: result({ ...R, phone: NEW_PHONE }, 'BR-13', '20240401104500', `${R.mrn}^^^NORTH^MR~BR-S^^^SOUTH^MR`) },
  // P: later with the same account; then changed; then the old account earlier than the change (nothing).
  { sender: LAB, control: 'BR-14', text: result(P, 'BR-14', '20240401100000') },
  { sender: LAB, control: 'BR-15', text: result({ ...P, phone: NEW_PHONE }, 'BR-15', '20240401110000') },
  { sender: LAB, control: 'BR-16', text: result(P, 'BR-16', '20240401103000') },
  // The changed account with BR-Q: the parked result about BR-Q is released.
  { sender: LAB, control: 'BR-17', text: result({ ...P, phone: NEW_PHONE }, 'BR-17', '20240401120000', WITH_Q) },
  // The registration source sends R again, unchanged, later.
  { sender: NORTH, control: 'BR-18', text: adt(NORTH, 'A08', R, 'BR-18', '20240401123000', 'V-R') },
];

interface State {
  messages: Record<string, string>;
  records: { source: string; key: string; time: string | null; by: string | null; phone: string | null; registering: boolean; identifiers: string[] }[];
  patients: { mrns: string; demographicsTime: string | null; phone: string | null; family: string | null }[];
}

async function state(store: Store): Promise<State> {
  const messages = await sql<{ control_id: string; state: string }>`SELECT control_id, state FROM gateway_messages ORDER BY control_id`.execute(store.db);
  const records = await sql<State['records'][number]>`
    SELECT s.name AS source, r.record_key AS key, to_char(r.source_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS time,
      (SELECT m.control_id FROM gateway_messages m WHERE m.id = (r.provenance->>'messageId')::uuid) AS by,
      r.demographics->>'phone' AS phone, r.registering,
      ARRAY(SELECT i.value FROM patient_record_identifiers i WHERE i.record_id = r.id ORDER BY i.value) AS identifiers
    FROM patient_records r JOIN gateway_sources s ON s.id = r.source_id ORDER BY s.name, r.record_key`.execute(store.db);
  const patients = await sql<State['patients'][number]>`
    SELECT (SELECT string_agg(value, ',' ORDER BY value) FROM patient_identifiers WHERE patient_id = p.id) AS mrns,
      to_char(p.demographics_source_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "demographicsTime", p.phone, p.family_name AS family
    FROM patients p WHERE p.merged_into IS NULL ORDER BY 1`.execute(store.db);
  return { messages: Object.fromEntries(messages.rows.map((m) => [m.control_id, m.state])), records: records.rows, patients: patients.rows };
}

async function deliver(batchSize: number): Promise<{ state: State; claimedAtOnce: number }> {
  let out: { state: State; claimedAtOnce: number } | undefined;
  await withProcessor({ workerId: `batch-records-${batchSize}`, batchSize, senders: [NORTH, LAB] }, async (h) => {
    const { store } = h;
    const claimedAtOnce = await workInBatches(h, BEFORE, BATCH, batchSize);
    out = { state: await state(store), claimedAtOnce };
  });
  return out!;
}

const recordOf = (s: State, source: string, key: string) => s.records.find((r) => r.source === source && r.key.endsWith(`|${key}`));

// The pharmacy's feed stands for a second hospital in the search tests: its own MRN authority, registering its own patients.
const EAST = PHARMACY;
const east = (text: string) => text.replaceAll('^^^NORTH^MR', '^^^EAST^MR');
const W: Person = { mrn: 'BS-W', family: 'Whitacre', given: 'William', birthDate: '19620415', sex: 'M', phone: '5550101234' };
const K: Person = { mrn: 'BS-K', family: 'Kestrel', given: 'Kay', birthDate: '19700505', sex: 'F', phone: '5550104444' };
const PAT: Person = { mrn: 'BS-P', family: 'Parry', given: 'Pat', birthDate: '19800808', sex: 'F', phone: '5550105555' };

interface SearchOutcome {
  /** Each patient's record identifiers. */
  patients: string[];
  links: Record<string, string>;
  possible: number;
  claimed: number;
}

/** Works `before` one by one, then `batch` in batches of `batchSize`, and tells how the records were linked. */
async function searchRun(before: readonly Sent[], batch: readonly Sent[], batchSize: number, engine: MatchEngine | null = defaultMatchEngine()): Promise<SearchOutcome> {
  let out: SearchOutcome | undefined;
  await withProcessor({ workerId: `batch-search-${batchSize}`, batchSize, senders: [NORTH, LAB, EAST], ...(engine ? { engine } : {}) }, async (h) => {
    const { store } = h;
    const claimed = await workInBatches(h, before, batch, batchSize);
    const patients = await sql<{ mrns: string }>`
      SELECT string_agg(DISTINCT i.value, ',' ORDER BY i.value) AS mrns FROM patient_record_identifiers i JOIN patient_records r ON r.id = i.record_id
      GROUP BY r.patient_id ORDER BY 1`.execute(store.db);
    const links = await sql<{ source: string; key: string; link_reason: string }>`
      SELECT s.name AS source, r.record_key AS key, r.link_reason FROM patient_records r JOIN gateway_sources s ON s.id = r.source_id`.execute(store.db);
    const possible = await sql<{ n: string }>`SELECT count(*) AS n FROM identity_possible_matches`.execute(store.db);
    out = {
      patients: patients.rows.map((r) => r.mrns),
      links: Object.fromEntries(links.rows.map((r) => [`${r.source} ${r.key.split('|')[1]}`, r.link_reason])),
      possible: Number(possible.rows[0]!.n),
      claimed,
    };
  });
  return out!;
}

describe('records looked up when the batch starts', () => {
  it('end as if each message had a batch of its own', T, async () => {
    const together = await deliver(32);
    const oneByOne = await deliver(1);
    assert.equal(together.claimedAtOnce, BATCH.length, 'the messages were worked in one batch');
    assert.equal(oneByOne.claimedAtOnce, 1);
    const s = together.state;
    assert.deepEqual(new Set(Object.values(s.messages)), new Set(['processed']), 'every message processed, the parked one released');

    const labR = recordOf(s, 'north-lab', R.mrn)!;
    assert.deepEqual([labR.time, labR.by, labR.phone], ['2024-04-01 11:00', 'BR-12', R.phone], 'the lab’s record of R keeps its latest account, not the older changed one');
    assert.deepEqual(labR.identifiers, ['BR-R', 'BR-S'], 'but holds the identifier that account added');
    const labP = recordOf(s, 'north-lab', P.mrn)!;
    assert.deepEqual([labP.time, labP.by, labP.phone], ['2024-04-01 12:00', 'BR-17', NEW_PHONE], 'the lab’s record of P has the changed account');
    assert.deepEqual(labP.identifiers, ['BR-P', 'BR-Q']);
    const adtR = recordOf(s, 'north-adt', R.mrn)!;
    assert.deepEqual([adtR.time, adtR.by], ['2024-04-01 12:30', 'BR-18'], 'the registration moved to its later time');
    const patientR = s.patients.find((p) => p.mrns.includes('BR-R'))!;
    assert.equal(patientR.demographicsTime, '2024-04-01 12:30', 'R’s newest demographics are the registration’s');
    assert.ok(s.patients.some((p) => p.mrns.includes('BR-Q') && p.mrns.includes('BR-P')), 'the released result is filed to P');

    assert.deepEqual(together.state, oneByOne.state, 'the same records, identifiers, times and patients');
  });

  it('search again for who a new record may be once the batch filed a record it could have found', T, async () => {
    const batch = [
      // A registration, then a result about the person it registered: the result's record joins that patient.
      { sender: NORTH, control: 'BS-10', text: adt(NORTH, 'A04', PAT, 'BS-10', '20240501090000', 'V-P') },
      { sender: LAB, control: 'BS-11', text: oru(LAB, PAT, 'BS-11', '20240501091000', 'O-1', line) },
      // The same person registered at the second hospital: linked by matching to the record filed just before.
      { sender: NORTH, control: 'BS-12', text: adt(NORTH, 'A04', W, 'BS-12', '20240501100000', 'V-W') },
      { sender: EAST, control: 'BS-13', text: east(adt(EAST, 'A04', { ...W, mrn: 'BS-E', given: 'Bill', family: 'Whittacre' }, 'BS-13', '20240501101000', 'V-E')) },
    ];
    const together = await searchRun([], batch, 32);
    const oneByOne = await searchRun([], batch, 1);
    assert.equal(together.claimed, batch.length, 'the messages were worked in one batch');
    assert.deepEqual(together.patients, ['BS-E,BS-W', 'BS-P'], 'one patient per person');
    assert.equal(together.links['north-lab BS-P'], 'same-identifier', 'the result joined the patient registered earlier in the batch');
    assert.equal(together.links['north-pharmacy BS-E'], 'probabilistic', 'the second hospital’s registration matched the first’s');
    assert.deepEqual({ ...together, claimed: 0 }, { ...oneByOne, claimed: 0 });
  });

  it('search again for who a new record may be once the batch changed a patient the search found', T, async () => {
    // Without a match engine there are no blocking keys: only the patient's change tells the search is stale.
    const before = [{ sender: NORTH, control: 'BS-1', text: adt(NORTH, 'A04', K, 'BS-1', '20240501080000', 'V-K') }];
    const batch = [
      // K gains an identifier from the second hospital; then a result names K with another value from it: a conflict,
      // so the result's record is not linked to K but waits for a person.
      { sender: NORTH, control: 'BS-14', text: adt(NORTH, 'A08', K, 'BS-14', '20240501110000', 'V-K').replace(`${K.mrn}^^^NORTH^MR`, `${K.mrn}^^^NORTH^MR~BS-X^^^EAST^MR`) },
      { sender: LAB, control: 'BS-15', text: oru(LAB, K, 'BS-15', '20240501111000', 'O-2', line).replace(`${K.mrn}^^^NORTH^MR`, `${K.mrn}^^^NORTH^MR~BS-Y^^^EAST^MR`) },
    ];
    const together = await searchRun(before, batch, 32, null);
    const oneByOne = await searchRun(before, batch, 1, null);
    assert.equal(together.claimed, batch.length, 'the messages were worked in one batch');
    assert.deepEqual(together.patients, ['BS-K,BS-X', 'BS-K,BS-Y'], 'the conflicting result’s record apart from K');
    assert.equal(together.possible, 1, 'and waiting for a person to review');
    assert.deepEqual({ ...together, claimed: 0 }, { ...oneByOne, claimed: 0 });
  });

  it('that fail when their later times are written leave the failing message set aside and the others applied once', T, async () => {
    await withProcessor({ workerId: 'batch-records-fault', batchSize: 32, maxAttempts: 1, senders: [NORTH, LAB] }, async ({ store, processor, arrive, drain }) => {
      await arrive(adt(NORTH, 'A04', P, 'BRF-1', '20240401080000', 'V-P'), 'BRF-1', NORTH);
      await arrive(result(P, 'BRF-2', '20240401090000'), 'BRF-2', LAB);
      await drain();
      // The fault: one later time can never be written. It fails in the batch's statement for later times, after every
      // message of the batch was worked; worked again with savepoints, it fails in that message's own statement.
      await sql`CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.source_time = '2024-04-01 10:00:00+00' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$`.execute(store.db);
      await sql`CREATE TRIGGER test_fault BEFORE UPDATE ON patient_records FOR EACH ROW EXECUTE FUNCTION test_fault()`.execute(store.db);
      await arrive(result(P, 'BRF-3', '20240401093000'), 'BRF-3', LAB);
      await arrive(result(R, 'BRF-4', '20240401093000'), 'BRF-4', LAB);
      await arrive(result(P, 'BRF-5', '20240401100000'), 'BRF-5', LAB);
      await arrive(adt(NORTH, 'A04', R, 'BRF-6', '20240401080000', 'V-R'), 'BRF-6', NORTH);
      assert.equal(await processor.runOnce(), 4, 'the four messages were claimed in one batch');
      await drain();

      const s = await state(store);
      assert.deepEqual(s.messages, { 'BRF-1': 'processed', 'BRF-2': 'processed', 'BRF-3': 'processed', 'BRF-4': 'processed', 'BRF-5': 'dead-letter', 'BRF-6': 'processed' });
      const labP = recordOf(s, 'north-lab', P.mrn)!;
      assert.deepEqual([labP.time, labP.by], ['2024-04-01 09:30', 'BRF-3'], 'the lab’s record of P has the last time that could be written');
      const facts = await sql<{ n: string }>`SELECT count(*) AS n FROM clinical_facts WHERE code = '2093-3'`.execute(store.db);
      assert.equal(Number(facts.rows[0]!.n), 3, 'each processed result once (R’s parked, then released by its registration), none of the failing one');
    });
  });
});

describe('records the batch files', () => {
  const N: Person = { mrn: 'BF-N', family: 'Nettleton', given: 'Nora', birthDate: '19750707', sex: 'F', phone: '5550107777' };
  const M: Person = { mrn: 'BF-M', family: 'Marlowe', given: 'Max', birthDate: '19760808', sex: 'M', phone: '5550108888' };
  const WITH_Z = `${P.mrn}^^^NORTH^MR~BF-Z^^^SOUTH^MR`;
  const before: Sent[] = [{ sender: NORTH, control: 'BF-1', text: adt(NORTH, 'A04', P, 'BF-1', '20240601080000', 'V-P') }];
  const batch: Sent[] = [
    // N registered, then registered again with a changed phone before anything wrote the first record.
    { sender: NORTH, control: 'BF-10', text: adt(NORTH, 'A04', N, 'BF-10', '20240601090000', 'V-N') },
    { sender: NORTH, control: 'BF-11', text: adt(NORTH, 'A08', { ...N, phone: NEW_PHONE }, 'BF-11', '20240601091000', 'V-N') },
    // M registered, and a result names M: it is worked in this batch, not parked until the registration is written.
    { sender: NORTH, control: 'BF-12', text: adt(NORTH, 'A04', M, 'BF-12', '20240601092000', 'V-M') },
    { sender: LAB, control: 'BF-13', text: oru(LAB, M, 'BF-13', '20240601093000', 'O-M', line) },
    // The lab's first result about P, with the south site's BF-Z: a new record of P holding BF-Z. Then the registration
    // adds BF-Z to P's first record: P's identifier index keeps the record that gave BF-Z first.
    { sender: LAB, control: 'BF-14', text: result(P, 'BF-14', '20240601094000', WITH_Z) },
    { sender: NORTH, control: 'BF-15', text: adt(NORTH, 'A08', P, 'BF-15', '20240601095000', 'V-P').replace(`${P.mrn}^^^NORTH^MR`, WITH_Z) },
  ];

  interface Filed {
    state: State;
    /** Message states right after the one batch, before anything else was worked. */
    afterBatch: Record<string, string>;
    claimed: number;
    /** Which source's record gave each identifier of P's index. */
    givenBy: Record<string, string>;
    /** Batches worked again with savepoints: a record read before it was written would fail its batch. */
    redone: number;
  }

  async function file(batchSize: number): Promise<Filed> {
    let out: Filed | undefined;
    await withProcessor({ workerId: `batch-filed-${batchSize}`, batchSize, senders: [NORTH, LAB] }, async (h) => {
      const { store } = h;
      let afterBatch: Record<string, string> = {};
      const claimed = await workInBatches(h, before, batch, batchSize, async () => {
        afterBatch = (await state(store)).messages;
      });
      const given = await sql<{ value: string; source: string }>`
        SELECT i.value, s.name AS source FROM patient_identifiers i JOIN patient_records r ON r.id = i.record_id JOIN gateway_sources s ON s.id = r.source_id
        WHERE i.patient_id = (SELECT patient_id FROM patient_records WHERE record_key LIKE ${`%|${P.mrn}`} LIMIT 1)`.execute(store.db);
      out = { state: await state(store), afterBatch, claimed, givenBy: Object.fromEntries(given.rows.map((r) => [r.value, r.source])), redone: await h.redone() };
    });
    return out!;
  }

  it('are written before anything reads them, and end as if each message had a batch of its own', T, async () => {
    const together = await file(32);
    const oneByOne = await file(1);
    assert.equal(together.claimed, batch.length, 'the messages were worked in one batch');
    assert.deepEqual(new Set(Object.values(together.afterBatch)), new Set(['processed']), 'the result about M was not parked waiting for its registration');
    assert.equal(together.redone, 0, 'the batch was not worked again: each record was written before something read it');
    const s = together.state;
    const adtN = recordOf(s, 'north-adt', N.mrn)!;
    assert.deepEqual([adtN.time, adtN.by, adtN.phone], ['2024-06-01 09:10', 'BF-11', NEW_PHONE], 'N’s record has the second, changed account');
    assert.equal(s.patients.filter((p) => p.mrns.split(',').includes(N.mrn)).length, 1, 'one patient for N');
    assert.ok(s.patients.some((p) => p.mrns === M.mrn && p.family === M.family), 'the lab’s record of M joined M’s patient');
    assert.deepEqual(recordOf(s, 'north-adt', P.mrn)!.identifiers, ['BF-Z', 'BR-P'], 'the registration added BF-Z to P’s first record');
    assert.equal(together.givenBy['BF-Z'], 'north-lab', 'P’s index keeps the lab’s record, which gave BF-Z first');
    assert.deepEqual({ ...together, claimed: 0 }, { ...oneByOne, claimed: 0 });
  });

  it('that fail when written leave the failing message set aside and the others applied once', T, async () => {
    await withProcessor({ workerId: 'batch-filed-fault', batchSize: 32, maxAttempts: 1, senders: [NORTH, LAB] }, async ({ store, processor, arrive, drain, redone }) => {
      // The fault: one person's record can never be filed. It fails in the batch's statement for new records, written
      // when the result about M searches; worked again with savepoints, it fails in that message's own statement.
      await sql`CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.record_key LIKE '%|BF-N' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$`.execute(store.db);
      await sql`CREATE TRIGGER test_fault BEFORE INSERT ON patient_records FOR EACH ROW EXECUTE FUNCTION test_fault()`.execute(store.db);
      await arrive(adt(NORTH, 'A04', N, 'BFF-1', '20240601090000', 'V-N'), 'BFF-1', NORTH);
      await arrive(adt(NORTH, 'A04', M, 'BFF-2', '20240601092000', 'V-M'), 'BFF-2', NORTH);
      await arrive(oru(LAB, M, 'BFF-3', '20240601093000', 'O-M', line), 'BFF-3', LAB);
      assert.equal(await processor.runOnce(), 3, 'the three messages were claimed in one batch');
      assert.equal(await redone(), 1, 'the batch was worked again with savepoints');
      await drain();

      const s = await state(store);
      assert.deepEqual(s.messages, { 'BFF-1': 'dead-letter', 'BFF-2': 'processed', 'BFF-3': 'processed' });
      assert.equal(recordOf(s, 'north-adt', N.mrn), undefined, 'no record of N');
      assert.deepEqual(s.patients.map((p) => p.mrns), [M.mrn], 'M alone, with the lab’s record and the registration’s');
      const facts = await sql<{ n: string }>`SELECT count(*) AS n FROM clinical_facts WHERE code = '2093-3'`.execute(store.db);
      assert.equal(Number(facts.rows[0]!.n), 1, 'the result about M once');
    });
  });
});

describe('a merge in a batch', () => {
  const K2: Person = { mrn: 'BM-K', family: 'Kittredge', given: 'Kim', birthDate: '19770909', sex: 'F', phone: '5550109999' };
  const before: Sent[] = [P, R, K2].flatMap((p, i) => [
    { sender: NORTH, control: `BM-${i}A`, text: adt(NORTH, 'A04', p, `BM-${i}A`, '20240701080000', `V-${i}`) },
    { sender: LAB, control: `BM-${i}L`, text: result(p, `BM-${i}L`, '20240701090000') },
  ]);
  const batch: Sent[] = [
    { sender: LAB, control: 'BM-10', text: result(R, 'BM-10', '20240701100000') },
    { sender: LAB, control: 'BM-11', text: result(K2, 'BM-11', '20240701100000') },
    // The hospital merges R into P: R's records, the lab's among them, move to P's patient.
    { sender: NORTH, control: 'BM-12', text: merge(NORTH, P, R.mrn, 'BM-12', '20240701103000') },
    // Then the lab's results about R belong to P's patient; K's record was not moved.
    { sender: LAB, control: 'BM-13', text: result(R, 'BM-13', '20240701110000') },
    { sender: LAB, control: 'BM-14', text: result(K2, 'BM-14', '20240701110000') },
  ];

  async function run(batchSize: number) {
    let out: { state: State; facts: Record<string, number>; audited: Record<string, string>; claimed: number; redone: number } | undefined;
    await withProcessor({ workerId: `batch-merge-${batchSize}`, batchSize, senders: [NORTH, LAB] }, async (h) => {
      const claimed = await workInBatches(h, before, batch, batchSize);
      const facts = await sql<{ mrns: string; n: string }>`
        SELECT (SELECT string_agg(value, ',' ORDER BY value) FROM patient_identifiers WHERE patient_id = f.patient_id) AS mrns, count(*) AS n
        FROM clinical_facts f GROUP BY f.patient_id ORDER BY 1`.execute(h.store.db);
      // Whom each message's audit event names: the patient its records were on when it was worked.
      const audited = await sql<{ control_id: string; mrns: string }>`
        SELECT m.control_id, string_agg((SELECT string_agg(value, ',' ORDER BY value) FROM patient_identifiers i WHERE i.patient_id = p.id), ';') AS mrns
        FROM audit.events e JOIN gateway_messages m ON m.id::text = e.resource_ids[1] JOIN patients p ON p.id = e.patient_id
        WHERE e.action = 'gateway.message.apply' AND p.merged_into IS NULL GROUP BY m.control_id`.execute(h.store.db);
      out = {
        state: await state(h.store),
        facts: Object.fromEntries(facts.rows.map((r) => [r.mrns, Number(r.n)])),
        audited: Object.fromEntries(audited.rows.map((r) => [r.control_id, r.mrns])),
        claimed,
        redone: await h.redone(),
      };
    });
    return out!;
  }

  it('makes the batch look up again the records of the two patients it names, and only those', T, async () => {
    const together = await run(32);
    const oneByOne = await run(1);
    assert.equal(together.claimed, batch.length, 'the messages were worked in one batch');
    assert.equal(together.redone, 0);
    assert.deepEqual(new Set(Object.values(together.state.messages)), new Set(['processed']));
    // A result is two facts: its report and its one observation.
    assert.deepEqual(together.facts, { [`${P.mrn},${R.mrn}`]: 8, [K2.mrn]: 6 }, 'every result about R, before the merge or after, is on the surviving patient');
    assert.equal(together.audited['BM-13'], `${P.mrn},${R.mrn}`, 'the result about R after the merge is audited on the surviving patient');
    assert.deepEqual({ ...together, claimed: 0 }, { ...oneByOne, claimed: 0 });
  });
});
