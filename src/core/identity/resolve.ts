import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Identifier, PatientRecordInput } from '../../model/clinical.ts';
import type { ProvenanceRecord } from '../../model/provenance.ts';
import { fixedStatement } from '../../store/fixed-statement.ts';
import type { Db, Tx } from '../../store/store.ts';
import type { BatchRecords } from './batch-records.ts';
import { projectRecordIdentifiers, refreshGoldenRecord } from './golden-record.ts';
import { identifierKey, isMatchableSystem, waitKey } from './keys.ts';
import type { MatchEngine, MatchVerdict } from './match-engine.ts';
import { InvariantError } from '../../errors.ts';

/**
 * Resolving a source's account of a person to a Vigil patient. Deterministic first: the same identifier in the same
 * system links. Never across a conflict: a candidate that holds a different value in a system the record also has
 * (two MRNs from one authority) is at most a possible match for a person to review. Then, when an engine is given,
 * probabilistic matching over blocking-key candidates. Every decision is written with its evidence.
 */
export interface RecordArrival {
  sourceId: string;
  /** The identifier the source files this person under (chosen by the source profile). */
  recordKey: Identifier;
  record: PatientRecordInput;
  sourceTime: Date | null;
  provenance: ProvenanceRecord;
  messageId: string | null;
  actor: string;
  managingFacilityId?: string;
  /** The message registers the person (ADT): its demographics outrank those in results and orders. */
  registering: boolean;
  /**
   * The caller already holds the identifier lock of every identifier of this record (the gateway takes a message's
   * locks before working it): no lock is awaited here, and no other worker can have filed the record meanwhile.
   */
  identifiersLocked?: boolean;
  /**
   * The visit number the message names: an existing record's statement also finds the registered encounter (the same
   * query as `findEncounter`) and whether facts wait to be linked to it, saving the caller round trips.
   */
  encounterKey?: string | null;
  /**
   * When given, patients whose golden record must be recomputed are added here instead of being recomputed now: the
   * gateway recomputes a whole batch's in one statement before it commits. Nothing in between reads the golden record.
   */
  refreshLater?: Set<string>;
  /** Replaces the lookup of an existing record with one that does more in the same statement (see ExistingLookup). */
  lookup?: ExistingLookup;
  /** Replaces the insert of a new record likewise (see RecordInsert). */
  insert?: RecordInsert;
  /**
   * The batch's records, looked up and locked when it started (batch-records.ts): an arrival that changes nothing on
   * its known record needs no statement, and one whose source had no record skips the lookup. Only with
   * `identifiersLocked`, which keeps other workers from filing the record meanwhile.
   */
  batch?: BatchRecords;
  /**
   * With `batch`: a new record may be filed with the batch's others, in one statement when something reads them
   * (BatchRecords.writeFiled). Only for a caller that writes nothing needing the record before the batch's pending writes.
   */
  fileWithBatch?: boolean;
}

export interface Resolution {
  recordId: string;
  patientId: string;
  created: boolean;
  /** Wait keys of the identifiers this record made known: parked messages waiting for them can be released. */
  madeKnown: string[];
  /** The encounter `encounterKey` names (null: none registered yet); undefined when it was not looked up. */
  encounterId?: string | null;
  /** Whether facts of this patient name `encounterKey` without an encounter yet; undefined when not looked up. */
  factsWaiting?: boolean;
}

const canonicalHash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');


export async function findRecord(db: Db | Tx, sourceId: string, key: Identifier): Promise<{ id: string; patientId: string } | undefined> {
  const row = await db
    .selectFrom('patient_records')
    .select(['id', 'patient_id'])
    .where('source_id', '=', sourceId)
    .where('record_key', '=', identifierKey(key.system, key.value))
    .executeTakeFirst();
  return row ? { id: row.id, patientId: row.patient_id } : undefined;
}

/**
 * Serialises resolution of the same identifiers across workers for the rest of the transaction, so that two messages
 * about a new person, processed at once, cannot make two patients. Keys are locked in sorted order (no deadlock
 * between two resolvers; a deadlock with other work is reported by PostgreSQL and retried by the gateway). A message
 * that would park waiting for an identifier takes the same lock before it looks, so it either sees the record or
 * parks before the record's creator looks for parked messages to release: no wake-up is lost.
 */
export async function lockIdentifiers(db: Db | Tx, identifiers: readonly Identifier[]): Promise<void> {
  const keys = [...new Set(identifiers.filter((i) => isMatchableSystem(i.system)).map((i) => identifierKey(i.system, i.value)))].sort();
  if (keys.length === 0) return;
  // One round trip; unnest yields the keys in array order, so they are taken in sorted order as before.
  await sql`SELECT count(pg_advisory_xact_lock(hashtextextended(k, 7))) FROM unnest(${keys}::text[]) AS k`.execute(db);
}

/** The patient a merge chain ends at; the hop limit keeps a corrupt cycle from hanging a transaction. */
export async function livePatient(db: Db | Tx, patientId: string): Promise<string> {
  return (await livePatients(db, [patientId])).get(patientId) ?? patientId;
}

/**
 * livePatient for many patients in one query (candidate lists run to 200). Each step of a chain is a primary-key probe
 * (a lateral `LIMIT 1`): written as a join, the planner hashed every patient.
 */
export async function livePatients(db: Db | Tx, patientIds: readonly string[]): Promise<Map<string, string>> {
  const ids = [...new Set(patientIds)];
  const live = new Map(ids.map((id) => [id, id]));
  if (ids.length === 0) return live;
  const rows = await sql<{ start: string; id: string }>`
    WITH RECURSIVE ${liveChain(sql`SELECT unnest(${ids}::uuid[])`)}
    SELECT start, id FROM live`.execute(db);
  for (const r of rows.rows) live.set(r.start, r.id);
  return live;
}

/**
 * CTEs `chain` and `live` (start, id): the patient each patient of `seed` (a query of one uuid column) ends at after
 * merges, for a `WITH RECURSIVE` statement. The hop limit keeps a corrupt cycle from hanging a transaction.
 */
function liveChain(seed: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    chain (start, id, merged_into, hops) AS (
      SELECT p.id, p.id, p.merged_into, 0 FROM (${seed}) AS s(patient_id)
      CROSS JOIN LATERAL (SELECT n.id, n.merged_into FROM patients n WHERE n.id = s.patient_id LIMIT 1) p
      UNION ALL
      SELECT c.start, p.id, p.merged_into, c.hops + 1 FROM chain c
      CROSS JOIN LATERAL (SELECT n.id, n.merged_into FROM patients n WHERE n.id = c.merged_into LIMIT 1) p WHERE c.hops < 16),
    live AS (SELECT DISTINCT ON (start) start, id FROM chain ORDER BY start, hops DESC)`;
}

interface Candidate {
  patientId: string;
  recordId: string | null;
  verdict: MatchVerdict;
}

/** A live patient who may be this person, with the identifiers it holds in the record's matchable systems. */
export interface Holder {
  patientId: string;
  /** [system, value] pairs. */
  held: [string, string][];
}

export interface SimilarRecord extends Holder {
  recordId: string;
  demographics: PatientRecordInput;
}

export interface CandidateRow {
  record_id: string | null;
  demographics: PatientRecordInput | null;
  live_patient_id: string;
  held: [string, string][];
}

/** Who a new record may be: the live patients holding its identifiers, else the live records alike (candidatesFor). */
export interface Candidates {
  holders: Holder[];
  similar: SimilarRecord[];
}

/** The candidate search's rows as holders and similar records. */
export function candidatesFromRows(rows: readonly CandidateRow[]): Candidates {
  const holders = new Map<string, Holder>();
  const similar: SimilarRecord[] = [];
  for (const r of rows) {
    if (r.record_id === null) holders.set(r.live_patient_id, { patientId: r.live_patient_id, held: r.held });
    else similar.push({ recordId: r.record_id, demographics: r.demographics!, patientId: r.live_patient_id, held: r.held });
  }
  return { holders: [...holders.values()], similar };
}

/** The identifiers a candidate search looks for: the record's in matchable systems. */
export function searchedIdentifiers(record: PatientRecordInput): Identifier[] {
  return record.identifiers.filter((i) => isMatchableSystem(i.system));
}

/**
 * Who this person may be, in one statement (each part was a round trip of its own): the live patients that hold one
 * of the record's identifiers; when none does, the live records sharing a blocking key with it, at most 200 (lowest
 * ids first: the same set whatever the order records arrived in). Each comes with its live patient after merges and
 * the identifiers that patient holds in the record's systems, for the conflict check.
 *
 * Every lookup is an index probe per key, per candidate or per patient (a lateral subquery with `LIMIT 1` or
 * `OFFSET 0`, which the planner cannot flatten into a join): written as joins, the planner chose hash joins over whole
 * tables whenever its statistics lagged behind a fast-growing index (as in a first bulk load, before autovacuum's
 * next ANALYZE), measured at 3-20 ms per search with 9,000 records. So the cost follows the size of the blocks, never
 * the size of the index. The query is the function `identity_candidates` (migration 0018), which runs it on its
 * generic plan: sent as a statement, it was planned anew on most calls, and planning cost more than running it.
 */
const candidatesOf = fixedStatement(
  (systems: string[], values: string[], keys: string[], matchSystems: string[]) =>
    sql<CandidateRow>`SELECT record_id, demographics, live_patient_id, held FROM identity_candidates(${systems}::text[], ${values}::text[], ${keys}::text[], ${matchSystems}::text[])`,
);

async function candidatesFor(db: Db | Tx, record: PatientRecordInput, keys: readonly string[], systems: readonly string[]): Promise<Candidates> {
  const pairs = searchedIdentifiers(record);
  if (pairs.length === 0 && keys.length === 0) return { holders: [], similar: [] };
  return candidatesFromRows((await candidatesOf(db, pairs.map((i) => i.system), pairs.map((i) => i.value), [...keys], [...systems])).rows);
}

/**
 * Systems where the candidate holds values and none of them is the record's: a link there would join two people (two
 * MRNs from one authority). A value the candidate holds through a source-retired record still counts as its own: a
 * message naming the old MRN after a merge belongs to the survivor.
 */
function conflictingSystems(held: readonly [string, string][], systems: readonly string[], mine: ReadonlySet<string>): string[] {
  return systems.filter((system) => {
    const values = held.filter(([s]) => s === system);
    return values.length > 0 && !values.some(([s, v]) => mine.has(identifierKey(s, v)));
  });
}

/** A Vigil patient with no demographics yet (the golden record fills them from its records). */
export async function newPatient(db: Db | Tx, managingFacilityId: string | undefined): Promise<string> {
  const id = uuidv7();
  await db.insertInto('patients').values({ id, family_name: null, given_names: null, birth_date: null, sex: null, phone: null, address_line: null, address_city: null, address_postal_code: null, payer_name: null, payer_member_id: null, managing_facility_id: managingFacilityId ?? null }).execute();
  return id;
}

async function writeIdentifiers(db: Db | Tx, recordId: string, identifiers: readonly Identifier[]): Promise<void> {
  if (identifiers.length === 0) return;
  await db
    .insertInto('patient_record_identifiers')
    .values(identifiers.map((i) => ({ record_id: recordId, system: i.system, value: i.value })))
    .onConflict((oc) => oc.doNothing())
    .execute();
  await projectRecordIdentifiers(db, recordId);
}

async function writeMatchKeys(db: Db | Tx, recordId: string, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  await db.insertInto('patient_match_keys').values([...new Set(keys)].map((key) => ({ key, record_id: recordId }))).onConflict((oc) => oc.doNothing()).execute();
}

export interface ExistingRow {
  id: string;
  patient_id: string;
  newer: boolean;
  upgraded: boolean;
  same_content: boolean;
  peers: boolean;
  held: string[];
  encounter_id: string | null;
  facts_waiting: boolean;
}

/** What looking up a source's existing record takes, in the order of ExistingLookup's arguments. */
export type ExistingArgs = [
  sourceTime: Date | null,
  hash: string,
  sourceId: string,
  recordKey: string,
  demographics: string,
  provenance: string,
  registering: boolean,
  encounterKey: string | null,
];

/** How many ExistingArgs there are: fixedStatement cannot count a rest parameter. */
export const EXISTING_ARITY = 8;

/**
 * Finds the source's record of this person and applies the account (see updateExisting); undefined when there is none.
 * A caller may bring its own, to do more in the same statement (existingRecordCtes).
 */
export type ExistingLookup = (db: Db | Tx, ...args: ExistingArgs) => Promise<ExistingRow | undefined>;

/**
 * updateExisting's statement as a CTE: `r`, the function `record_account` (migration 0020), which finds the record,
 * locked, writes a newer account, and returns an ExistingRow (no row when the source has none). A function, so that it
 * runs on its generic plan: sent as a statement, it was planned on nearly every call, and planning cost three times
 * what running it did. Exported so that a statement may carry more work on the same record (src/gateway/record-facts.ts).
 */
export function existingRecordCtes(...[sourceTime, hash, sourceId, recordKey, demographics, provenance, registering, encounterKey]: ExistingArgs): RawBuilder<unknown> {
  return sql`
    r AS (SELECT * FROM record_account(${sourceTime}::timestamptz, ${hash}::text, ${sourceId}::uuid, ${recordKey}::text, ${demographics}::jsonb,
      ${provenance}::jsonb, ${registering}::boolean, ${encounterKey}::text))`;
}

/** The columns of an ExistingRow, over existingRecordCtes' `r`. */
export const EXISTING_COLUMNS = sql`r.id, r.patient_id, r.newer, r.upgraded, r.same_content, r.peers, r.held, r.encounter_id, r.facts_waiting`;

/** The statement of updateExisting, compiled once (see fixedStatement). */
const selectExisting = fixedStatement((...args: ExistingArgs) => sql<ExistingRow>`WITH ${existingRecordCtes(...args)} SELECT ${EXISTING_COLUMNS} FROM r`, EXISTING_ARITY);

/**
 * Applies a newer account to an existing record and adds identifiers it did not have, under their locks. Undefined
 * when the source has no record of this person yet. One statement finds the record (locked, so the compare sees the
 * latest account), writes the newer account or the registration upgrade, and returns what the rest needs: the
 * identifiers already held and whether the patient's golden record can change. The compare is in the statement, so
 * two workers cannot write an older account over a newer one.
 */
async function updateExisting(db: Db | Tx, arrival: RecordArrival, hash: string, engine: MatchEngine | null): Promise<FullPath | undefined> {
  const { record } = arrival;
  const args: ExistingArgs = [arrival.sourceTime, hash, arrival.sourceId, identifierKey(arrival.recordKey.system, arrival.recordKey.value),
    JSON.stringify(record), JSON.stringify(arrival.provenance), arrival.registering, arrival.encounterKey ?? null];
  const existing = arrival.lookup ? await arrival.lookup(db, ...args) : (await selectExisting(db, ...args)).rows[0];
  if (!existing) return undefined;
  const heldKeys = new Set(existing.held);
  const added = record.identifiers.filter((i) => !heldKeys.has(identifierKey(i.system, i.value)));
  if (added.length > 0) {
    if (!arrival.identifiersLocked) await lockIdentifiers(db, added);
    // The projection of a patient's identifiers keeps the first record to give one: records filed before go in first.
    await arrival.batch?.writeFiled(db);
    await writeIdentifiers(db, existing.id, added);
  }
  // Same content at a later source time changes no field of the golden record unless the record's rank among others
  // of its kind (live or retired, registration or mention) can change: only then is the projection recomputed.
  const contentChanged = existing.newer && !existing.same_content;
  const keys = contentChanged && engine ? engine.blockingKeys(record) : [];
  await writeMatchKeys(db, existing.id, keys);
  if (contentChanged || (existing.newer && existing.peers) || existing.upgraded || added.length > 0) await refreshGolden(db, arrival, existing.patient_id);
  const resolution: Resolution = {
    recordId: existing.id,
    patientId: existing.patient_id,
    created: false,
    madeKnown: added.map((i) => waitKey(i.system, i.value)),
    ...(arrival.encounterKey ? { encounterId: existing.encounter_id, factsWaiting: existing.facts_waiting } : {}),
  };
  return { resolution, filed: false, identifiers: added, keys };
}

async function refreshGolden(db: Db | Tx, arrival: RecordArrival, patientId: string): Promise<void> {
  if (arrival.refreshLater) arrival.refreshLater.add(patientId);
  else await refreshGoldenRecord(db, patientId);
}

/** What inserting a new record takes, in the order of RecordInsert's arguments. */
export type InsertArgs = [
  patientId: string,
  managingFacilityId: string | null,
  demographics: string,
  sourceTime: Date | null,
  created: boolean,
  recordId: string,
  sourceId: string,
  recordKey: string,
  decision: string,
  hash: string,
  provenance: string,
  registering: boolean,
  systems: string[],
  values: string[],
  keys: string[],
  weight: number | null,
  evidence: string | null,
  actor: string,
  messageId: string | null,
  matches: string,
];

/** How many InsertArgs there are: fixedStatement cannot count a rest parameter. */
export const INSERT_ARITY = 20;

/** Inserts the new record (see insertRecordCtes); a caller may bring its own, to do more in the same statement. */
export type RecordInsert = (db: Db | Tx, ...args: InsertArgs) => Promise<void>;

/**
 * The columns of `x`, one row per new record, over which fileRecordsCtes files them: InsertArgs by name, for
 * jsonb_to_recordset.
 */
export const FILED_COLUMNS = sql.raw(`patient_id uuid, managing_facility_id uuid, demographics jsonb, source_time timestamptz, created boolean,
  record_id uuid, source_id uuid, record_key text, decision text, content_hash text, provenance jsonb, registering boolean, systems text[],
  "values" text[], keys text[], weight double precision, evidence jsonb, actor text, message_id uuid, matches jsonb`);

/**
 * The CTEs that file new records (`p`, `r`, `ids`, `ri`, `pi`, `k`, `e`, `m`), over the CTE `x` given (FILED_COLUMNS):
 * one record by insertRecordCtes, a batch's by BatchRecords. No DISTINCT: ON CONFLICT DO NOTHING skips a repeat within
 * the statement too, and rows go in the order of `x`, so where two records give a patient the same identifier, the
 * first keeps it, as when they are filed one at a time.
 */
export function fileRecordsCtes(x: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`
    x AS (${x}),
    p AS (
      INSERT INTO patients (id, managing_facility_id, family_name, given_names, birth_date, sex, phone, address_line, address_city,
        address_postal_code, demographics_source_time)
      SELECT x.patient_id, x.managing_facility_id, d->>'family',
        CASE WHEN d->>'family' IS NOT NULL THEN NULLIF(array_to_string(ARRAY(SELECT jsonb_array_elements_text(d->'given')), ' '), '') END,
        (d->>'birthDate')::date, d->>'sex', d->>'phone', d->'address'->>'line', d->'address'->>'city', d->'address'->>'postalCode',
        x.source_time
      FROM x CROSS JOIN LATERAL (SELECT x.demographics AS d) AS dd WHERE x.created RETURNING id),
    r AS (
      INSERT INTO patient_records (id, source_id, record_key, patient_id, link_reason, demographics, source_time, content_hash, provenance, registering, retired_into)
      SELECT x.record_id, x.source_id, x.record_key, x.patient_id, x.decision, x.demographics, x.source_time, x.content_hash, x.provenance, x.registering, NULL
      FROM x RETURNING id),
    ids AS (SELECT x.record_id, x.patient_id, i.system, i.value FROM x CROSS JOIN LATERAL unnest(x.systems, x."values") AS i(system, value)),
    ri AS (INSERT INTO patient_record_identifiers (record_id, system, value) SELECT record_id, system, value FROM ids ON CONFLICT DO NOTHING),
    pi AS (
      INSERT INTO patient_identifiers (patient_id, system, value, record_id) SELECT patient_id, system, value, record_id FROM ids
      ON CONFLICT (system, value, patient_id) DO NOTHING),
    k AS (INSERT INTO patient_match_keys (key, record_id) SELECT k.key, x.record_id FROM x CROSS JOIN LATERAL unnest(x.keys) AS k(key) ON CONFLICT DO NOTHING),
    e AS (
      INSERT INTO identity_link_events (record_id, from_patient_id, to_patient_id, decision, weight, evidence, actor, message_id, undoes)
      SELECT x.record_id, NULL, x.patient_id, x.decision, x.weight, x.evidence, x.actor, x.message_id, NULL FROM x),
    m AS (
      INSERT INTO identity_possible_matches (id, record_id, candidate_patient_id, candidate_record_id, weight, evidence, decided_by, decided_at)
      SELECT m.id, x.record_id, m.candidate_patient_id, m.candidate_record_id, m.weight, m.evidence, NULL, NULL
      FROM x CROSS JOIN LATERAL jsonb_to_recordset(x.matches) AS m(id uuid, candidate_patient_id uuid, candidate_record_id uuid, weight double precision, evidence jsonb)
      ON CONFLICT DO NOTHING)`;
}

/** insertRecord's statement as CTEs (fileRecordsCtes over the one record), for a statement that does more. */
export function insertRecordCtes(
  ...[patientId, managingFacilityId, demographics, sourceTime, created, recordId, sourceId, recordKey, decision, hash, provenance, registering, systems, values, keys, weight, evidence, actor, messageId, matches]: InsertArgs
): RawBuilder<unknown> {
  return fileRecordsCtes(sql`
    SELECT ${patientId}::uuid AS patient_id, ${managingFacilityId}::uuid AS managing_facility_id, ${demographics}::jsonb AS demographics,
      ${sourceTime}::timestamptz AS source_time, ${created}::boolean AS created, ${recordId}::uuid AS record_id, ${sourceId}::uuid AS source_id,
      ${recordKey}::text AS record_key, ${decision}::text AS decision, ${hash}::text AS content_hash, ${provenance}::jsonb AS provenance,
      ${registering}::boolean AS registering, ${systems}::text[] AS systems, ${values}::text[] AS "values", ${keys}::text[] AS keys,
      ${weight}::double precision AS weight, ${evidence}::jsonb AS evidence, ${actor}::text AS actor, ${messageId}::uuid AS message_id,
      ${matches}::jsonb AS matches`);
}

/**
 * The new record with everything that hangs off it, in one statement (one round trip instead of nine): the patient
 * when none was found (with its golden record, the projection of this one record), the record, its identifiers and
 * their projection for search, its blocking keys, the link decision with its evidence, and the possible matches for
 * review. Foreign keys are checked at the statement's end, when the patient row exists. Compiled once (see
 * fixedStatement).
 */
const insertRecord = fixedStatement((...args: InsertArgs) => sql`WITH ${insertRecordCtes(...args)} SELECT count(*) AS n FROM r`, INSERT_ARITY);

/** Creates or updates the source's record of this person and links it to a Vigil patient. */
export async function resolveRecord(db: Db | Tx, arrival: RecordArrival, engine: MatchEngine | null): Promise<Resolution> {
  const hash = canonicalHash(arrival.record);
  const { batch } = arrival;
  if (!batch) return (await resolveFully(db, arrival, engine, hash)).resolution;
  if (!arrival.identifiersLocked) throw new InvariantError('resolveRecord: batch records are only for a caller that holds the identifier locks');
  // An arrival that writes more with its record (a rider) needs the record's statement anyway.
  const known = arrival.lookup ? undefined : batch.resolveKnown(arrival, hash);
  if (known) return known;
  await batch.beforeFullPath(db, arrival);
  const done = await resolveFully(db, arrival, engine, hash);
  batch.afterFullPath(arrival, hash, done);
  return done.resolution;
}

/** What the full path did: the resolution, whether it filed the record, and the identifiers and blocking keys it wrote. */
export interface FullPath {
  resolution: Resolution;
  filed: boolean;
  identifiers: readonly Identifier[];
  keys: readonly string[];
}

/** The record's statements, one arrival at a time (with what the batch knows, when given: see BatchRecords). */
async function resolveFully(db: Db | Tx, arrival: RecordArrival, engine: MatchEngine | null, hash: string): Promise<FullPath> {
  const { record, batch } = arrival;
  // Most messages are about a person the source already filed: that path takes no identifier lock, so workers do not
  // queue behind each other for a busy patient. Only creating a record (or adding identifiers) locks.
  const found = batch?.knownAbsent(arrival) ? undefined : await updateExisting(db, arrival, hash, engine);
  if (found) return found;
  const madeKnown = record.identifiers.map((i) => waitKey(i.system, i.value));
  if (!arrival.identifiersLocked) {
    await lockIdentifiers(db, [arrival.recordKey, ...record.identifiers]);
    // Another worker may have filed this person while we waited for the lock.
    const raced = await updateExisting(db, arrival, hash, engine);
    if (raced) return raced;
  }

  const recordId = uuidv7();
  let patientId: string | null = null;
  let decision = 'new-patient';
  let weight: number | null = null;
  let evidence: unknown;
  const possible: Candidate[] = [];

  const systems = [...new Set(record.identifiers.filter((i) => isMatchableSystem(i.system)).map((i) => i.system))];
  const mine = new Set(record.identifiers.map((i) => identifierKey(i.system, i.value)));
  // The batch computed the blocking keys and searched when it started (BatchRecords.searchOf).
  const searched = batch?.searchOf(arrival);
  const keys = searched?.keys ?? (engine ? engine.blockingKeys(record) : []);
  // A search made now must see the records the batch filed.
  if (!searched?.found) await batch?.writeFiled(db);
  const { holders, similar } = searched?.found ?? (await candidatesFor(db, record, keys, systems));
  for (const holder of holders) {
    const conflicts = conflictingSystems(holder.held, systems, mine);
    if (conflicts.length === 0 && holders.length === 1) {
      patientId = holder.patientId;
      decision = 'same-identifier';
      evidence = { rule: 'same-identifier' };
    } else {
      possible.push({ patientId: holder.patientId, recordId: null, verdict: { weight: 0, outcome: 'possible', evidence: { rule: 'same-identifier', conflictingSystems: conflicts.length, candidates: holders.length }, ...(conflicts.length ? { conflict: 'identifier-conflict' } : {}) } });
    }
  }
  // Records similar to this one are looked for only when no patient holds its identifiers (candidatesFor).
  if (engine) {
    const scored = similar.map((c) => ({ ...c, verdict: engine.score(record, c.demographics) })).sort((a, b) => b.verdict.weight - a.verdict.weight);
    const seen = new Set<string>();
    for (const c of scored) {
      if (seen.has(c.patientId)) continue;
      seen.add(c.patientId);
      const conflicts = conflictingSystems(c.held, systems, mine);
      const verdict = conflicts.length ? { ...c.verdict, outcome: c.verdict.outcome === 'no-match' ? ('no-match' as const) : ('possible' as const), conflict: 'identifier-conflict' } : c.verdict;
      if (!patientId && verdict.outcome === 'match') {
        patientId = c.patientId;
        decision = 'probabilistic';
        weight = verdict.weight;
        evidence = verdict.evidence;
      } else if (verdict.outcome !== 'no-match') {
        possible.push({ patientId: c.patientId, recordId: c.recordId, verdict });
      }
    }
  }
  const created = !patientId;
  patientId ??= uuidv7();
  const matches = possible
    .filter((c) => c.patientId !== patientId)
    .map((p) => ({
      id: uuidv7(),
      candidate_patient_id: p.patientId,
      candidate_record_id: p.recordId,
      weight: p.verdict.weight,
      evidence: { ...(Array.isArray(p.verdict.evidence) ? { evidence: p.verdict.evidence } : (p.verdict.evidence as object)), ...(p.verdict.conflict ? { conflict: p.verdict.conflict } : {}) },
    }));
  const args: InsertArgs = [patientId, arrival.managingFacilityId ?? null, JSON.stringify(record), arrival.sourceTime, created, recordId, arrival.sourceId,
    identifierKey(arrival.recordKey.system, arrival.recordKey.value), decision, hash, JSON.stringify(arrival.provenance), arrival.registering,
    record.identifiers.map((i) => i.system), record.identifiers.map((i) => i.value), keys, weight, evidence === undefined ? null : JSON.stringify(evidence),
    arrival.actor, arrival.messageId, JSON.stringify(matches)];
  if (arrival.insert) await arrival.insert(db, ...args);
  else if (batch && arrival.fileWithBatch) batch.file(arrival, args);
  else await insertRecord(db, ...args);
  // A patient made just now is its one record's projection, written above with the same rules as refreshGoldenRecord.
  if (!created) await refreshGolden(db, arrival, patientId);
  // A patient made just now has no facts and no encounters yet.
  const resolution = { recordId, patientId, created, madeKnown, ...(created && arrival.encounterKey ? { encounterId: null, factsWaiting: false } : {}) };
  return { resolution, filed: true, identifiers: record.identifiers, keys };
}
