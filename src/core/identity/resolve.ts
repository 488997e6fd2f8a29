import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Identifier, PatientRecordInput } from '../../model/clinical.ts';
import type { ProvenanceRecord } from '../../model/provenance.ts';
import { fixedStatement } from '../../store/fixed-statement.ts';
import type { Db, Tx } from '../../store/store.ts';
import { projectRecordIdentifiers, refreshGoldenRecord } from './golden-record.ts';
import { identifierKey, isMatchableSystem, waitKey } from './keys.ts';
import type { MatchEngine, MatchVerdict } from './match-engine.ts';

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
    WITH RECURSIVE chain (start, id, merged_into, hops) AS (
      SELECT p.id, p.id, p.merged_into, 0 FROM patients p WHERE p.id = ANY(${ids}::uuid[])
      UNION ALL
      SELECT c.start, p.id, p.merged_into, c.hops + 1 FROM chain c
      CROSS JOIN LATERAL (SELECT n.id, n.merged_into FROM patients n WHERE n.id = c.merged_into LIMIT 1) p WHERE c.hops < 16)
    SELECT DISTINCT ON (start) start, id FROM chain ORDER BY start, hops DESC`.execute(db);
  for (const r of rows.rows) live.set(r.start, r.id);
  return live;
}

interface Candidate {
  patientId: string;
  recordId: string | null;
  verdict: MatchVerdict;
}

async function identifierCandidates(db: Db | Tx, identifiers: readonly Identifier[]): Promise<string[]> {
  const pairs = identifiers.filter((i) => isMatchableSystem(i.system));
  if (pairs.length === 0) return [];
  const rows = await db
    .selectFrom('patient_identifiers')
    .select('patient_id')
    .distinct()
    .where((eb) => eb.or(pairs.map((i) => eb.and([eb('system', '=', i.system), eb('value', '=', i.value)]))))
    .execute();
  const live = await livePatients(db, rows.map((r) => r.patient_id));
  return [...new Set(rows.map((r) => live.get(r.patient_id)!))];
}

/**
 * Systems where the candidate holds values and none of them is the record's: a link there would join two people (two
 * MRNs from one authority). A value the candidate holds through a source-retired record still counts as its own: a
 * message naming the old MRN after a merge belongs to the survivor. For every candidate at once (one query).
 */
async function conflictingSystems(db: Db | Tx, patientIds: readonly string[], identifiers: readonly Identifier[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(patientIds.map((id) => [id, []]));
  const systems = [...new Set(identifiers.filter((i) => isMatchableSystem(i.system)).map((i) => i.system))];
  if (systems.length === 0 || patientIds.length === 0) return out;
  // Driven from the patients, one index probe each (OFFSET 0 keeps the planner from flattening it into a join): given
  // the system alone, a planner with lagging statistics walked every identifier of that system.
  const held = (
    await sql<{ patient_id: string; system: string; value: string }>`
      SELECT i.patient_id, i.system, i.value FROM unnest(${[...new Set(patientIds)]}::uuid[]) AS p(id)
      CROSS JOIN LATERAL (SELECT patient_id, system, value FROM patient_identifiers WHERE patient_id = p.id AND system = ANY (${systems}::text[]) OFFSET 0) i`.execute(db)
  ).rows;
  const mine = new Set(identifiers.map((i) => identifierKey(i.system, i.value)));
  for (const patientId of out.keys()) {
    const own = held.filter((h) => h.patient_id === patientId);
    out.set(
      patientId,
      systems.filter((system) => {
        const values = own.filter((h) => h.system === system);
        return values.length > 0 && !values.some((h) => mine.has(identifierKey(h.system, h.value)));
      }),
    );
  }
  return out;
}

/**
 * The live records that share a blocking key with this one, at most 200 (lowest ids first: the same set whatever the
 * order records arrived in). Each candidate's record is fetched by primary key, one probe per candidate, so the cost
 * follows the size of the blocks and never the size of the index. Written as a join, the planner chose a hash join
 * over every record whenever its statistics lagged behind a fast-growing index (as in a first bulk load, before
 * autovacuum's next ANALYZE): measured at 3-20 ms per search with 9,000 records. `LIMIT 1` keeps the planner from
 * flattening the lateral probe back into such a join.
 */
async function probabilisticCandidates(db: Db | Tx, engine: MatchEngine, record: PatientRecordInput, keys: string[]): Promise<Candidate[]> {
  if (keys.length === 0) return [];
  const rows = await candidateRecords(db, keys);
  return rows.rows.map((r) => ({ patientId: r.patient_id, recordId: r.id, verdict: engine.score(record, r.demographics as PatientRecordInput) }));
}

const candidateRecords = fixedStatement(
  (keys: string[]) => sql<{ id: string; patient_id: string; demographics: unknown }>`
    SELECT r.id, r.patient_id, r.demographics
    FROM (SELECT DISTINCT k.record_id FROM patient_match_keys k WHERE k.key = ANY (${keys}::text[])) c
    CROSS JOIN LATERAL (
      SELECT p.id, p.patient_id, p.demographics FROM patient_records p WHERE p.id = c.record_id AND p.retired_into IS NULL LIMIT 1) r
    ORDER BY r.id
    LIMIT 200`,
);

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

interface ExistingRow {
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

/** The statement of updateExisting, compiled once (see fixedStatement). */
const selectExisting = fixedStatement(
  (sourceTime: Date | null, hash: string, sourceId: string, recordKey: string, demographics: string, provenance: string, registering: boolean, encounterKey: string | null) =>
    sql<ExistingRow>`
      WITH r AS (
        SELECT id, patient_id, registering, retired_into, content_hash,
          (COALESCE(${sourceTime}::timestamptz, '-infinity'::timestamptz), ${hash}::text) > (COALESCE(source_time, '-infinity'::timestamptz), content_hash) AS newer
        FROM patient_records WHERE source_id = ${sourceId} AND record_key = ${recordKey}
        FOR NO KEY UPDATE),
      u AS (
        UPDATE patient_records p SET
          demographics = CASE WHEN r.newer THEN ${demographics}::jsonb ELSE p.demographics END,
          source_time = CASE WHEN r.newer THEN ${sourceTime}::timestamptz ELSE p.source_time END,
          content_hash = CASE WHEN r.newer THEN ${hash} ELSE p.content_hash END,
          provenance = CASE WHEN r.newer THEN ${provenance}::jsonb ELSE p.provenance END,
          registering = p.registering OR ${registering}, updated_at = now()
        FROM r WHERE p.id = r.id AND (r.newer OR (${registering} AND NOT r.registering))
        RETURNING p.id),
      -- (Data-modifying CTEs run whether or not the query reads them.) A newer source time with the same content moves only the patient's newest-demographics time (see below).
      t AS (
        UPDATE patients SET demographics_source_time = ${sourceTime}::timestamptz
        FROM r WHERE patients.id = r.patient_id AND r.newer AND r.content_hash = ${hash} AND ${sourceTime}::timestamptz IS NOT NULL
          AND (patients.demographics_source_time IS NULL OR patients.demographics_source_time < ${sourceTime}::timestamptz)
        RETURNING patients.id)
      SELECT r.id, r.patient_id, r.newer, (${registering} AND NOT r.registering) AS upgraded, r.content_hash = ${hash} AS same_content,
        EXISTS (SELECT 1 FROM patient_records o WHERE o.patient_id = r.patient_id AND o.id <> r.id
          AND (o.retired_into IS NULL) = (r.retired_into IS NULL) AND o.registering = r.registering) AS peers,
        ARRAY(SELECT system || '|' || value FROM patient_record_identifiers WHERE record_id = r.id) AS held,
        (SELECT e.id FROM encounters e WHERE e.patient_id = r.patient_id AND e.source_key = ${encounterKey}::text ORDER BY e.created_at LIMIT 1) AS encounter_id,
        EXISTS (SELECT 1 FROM clinical_facts f WHERE f.patient_id = r.patient_id AND f.encounter_key = ${encounterKey}::text AND f.encounter_id IS NULL) AS facts_waiting
      FROM r`,
);

/**
 * Applies a newer account to an existing record and adds identifiers it did not have, under their locks. Undefined
 * when the source has no record of this person yet. One statement finds the record (locked, so the compare sees the
 * latest account), writes the newer account or the registration upgrade, and returns what the rest needs: the
 * identifiers already held and whether the patient's golden record can change. The compare is in the statement, so
 * two workers cannot write an older account over a newer one.
 */
async function updateExisting(db: Db | Tx, arrival: RecordArrival, hash: string, engine: MatchEngine | null): Promise<Resolution | undefined> {
  const { record } = arrival;
  const result = await selectExisting(db, arrival.sourceTime, hash, arrival.sourceId, identifierKey(arrival.recordKey.system, arrival.recordKey.value),
    JSON.stringify(record), JSON.stringify(arrival.provenance), arrival.registering, arrival.encounterKey ?? null);
  const existing = result.rows[0];
  if (!existing) return undefined;
  const heldKeys = new Set(existing.held);
  const added = record.identifiers.filter((i) => !heldKeys.has(identifierKey(i.system, i.value)));
  if (added.length > 0) {
    if (!arrival.identifiersLocked) await lockIdentifiers(db, added);
    await writeIdentifiers(db, existing.id, added);
  }
  // Same content at a later source time changes no field of the golden record unless the record's rank among others
  // of its kind (live or retired, registration or mention) can change: only then is the projection recomputed.
  const contentChanged = existing.newer && !existing.same_content;
  if (contentChanged && engine) await writeMatchKeys(db, existing.id, engine.blockingKeys(record));
  if (contentChanged || (existing.newer && existing.peers) || existing.upgraded || added.length > 0) await refreshGolden(db, arrival, existing.patient_id);
  return {
    recordId: existing.id,
    patientId: existing.patient_id,
    created: false,
    madeKnown: added.map((i) => waitKey(i.system, i.value)),
    ...(arrival.encounterKey ? { encounterId: existing.encounter_id, factsWaiting: existing.facts_waiting } : {}),
  };
}

async function refreshGolden(db: Db | Tx, arrival: RecordArrival, patientId: string): Promise<void> {
  if (arrival.refreshLater) arrival.refreshLater.add(patientId);
  else await refreshGoldenRecord(db, patientId);
}

/**
 * The new record with everything that hangs off it, in one statement (one round trip instead of nine): the patient
 * when none was found (with its golden record, the projection of this one record), the record, its identifiers and
 * their projection for search, its blocking keys, the link decision with its evidence, and the possible matches for
 * review. Foreign keys are checked at the statement's end, when the patient row exists. Compiled once (see
 * fixedStatement).
 */
const insertRecord = fixedStatement(
  (
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
  ) =>
    sql`
      WITH p AS (
        INSERT INTO patients (id, managing_facility_id, family_name, given_names, birth_date, sex, phone, address_line, address_city,
          address_postal_code, demographics_source_time)
        SELECT ${patientId}::uuid, ${managingFacilityId}::uuid, d->>'family',
          CASE WHEN d->>'family' IS NOT NULL THEN NULLIF(array_to_string(ARRAY(SELECT jsonb_array_elements_text(d->'given')), ' '), '') END,
          (d->>'birthDate')::date, d->>'sex', d->>'phone', d->'address'->>'line', d->'address'->>'city', d->'address'->>'postalCode',
          ${sourceTime}::timestamptz
        FROM (SELECT ${demographics}::jsonb AS d) AS x WHERE ${created} RETURNING id),
      r AS (
        INSERT INTO patient_records (id, source_id, record_key, patient_id, link_reason, demographics, source_time, content_hash, provenance, registering, retired_into)
        VALUES (${recordId}, ${sourceId}, ${recordKey}, ${patientId}, ${decision},
          ${demographics}::jsonb, ${sourceTime}::timestamptz, ${hash}, ${provenance}::jsonb, ${registering}, NULL)
        RETURNING id),
      ids AS (SELECT DISTINCT system, value FROM unnest(${systems}::text[], ${values}::text[]) AS i(system, value)),
      ri AS (INSERT INTO patient_record_identifiers (record_id, system, value) SELECT ${recordId}::uuid, system, value FROM ids ON CONFLICT DO NOTHING),
      pi AS (
        INSERT INTO patient_identifiers (patient_id, system, value, record_id) SELECT ${patientId}::uuid, system, value, ${recordId}::uuid FROM ids
        ON CONFLICT (system, value, patient_id) DO NOTHING),
      k AS (INSERT INTO patient_match_keys (key, record_id) SELECT DISTINCT key, ${recordId}::uuid FROM unnest(${keys}::text[]) AS key ON CONFLICT DO NOTHING),
      e AS (
        INSERT INTO identity_link_events (record_id, from_patient_id, to_patient_id, decision, weight, evidence, actor, message_id, undoes)
        VALUES (${recordId}, NULL, ${patientId}, ${decision}, ${weight}::double precision, ${evidence}::jsonb, ${actor}, ${messageId}::uuid, NULL)),
      m AS (
        INSERT INTO identity_possible_matches (id, record_id, candidate_patient_id, candidate_record_id, weight, evidence, decided_by, decided_at)
        SELECT id, ${recordId}::uuid, candidate_patient_id, candidate_record_id, weight, evidence, NULL, NULL
        FROM jsonb_to_recordset(${matches}::jsonb) AS m(id uuid, candidate_patient_id uuid, candidate_record_id uuid, weight double precision, evidence jsonb)
        ON CONFLICT DO NOTHING)
      SELECT count(*) AS n FROM r`,
);

/** Creates or updates the source's record of this person and links it to a Vigil patient. */
export async function resolveRecord(db: Db | Tx, arrival: RecordArrival, engine: MatchEngine | null): Promise<Resolution> {
  const { record } = arrival;
  const hash = canonicalHash(record);
  // Most messages are about a person the source already filed: that path takes no identifier lock, so workers do not
  // queue behind each other for a busy patient. Only creating a record (or adding identifiers) locks.
  const found = await updateExisting(db, arrival, hash, engine);
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

  const byIdentifier = await identifierCandidates(db, record.identifiers);
  const identifierConflicts = await conflictingSystems(db, byIdentifier, record.identifiers);
  for (const candidate of byIdentifier) {
    const conflicts = identifierConflicts.get(candidate)!;
    if (conflicts.length === 0 && byIdentifier.length === 1) {
      patientId = candidate;
      decision = 'same-identifier';
      evidence = { rule: 'same-identifier' };
    } else {
      possible.push({ patientId: candidate, recordId: null, verdict: { weight: 0, outcome: 'possible', evidence: { rule: 'same-identifier', conflictingSystems: conflicts.length, candidates: byIdentifier.length }, ...(conflicts.length ? { conflict: 'identifier-conflict' } : {}) } });
    }
  }
  const keys = engine ? engine.blockingKeys(record) : [];
  if (!patientId && possible.length === 0 && engine) {
    const scored = (await probabilisticCandidates(db, engine, record, keys)).sort((a, b) => b.verdict.weight - a.verdict.weight);
    const live = await livePatients(db, scored.map((c) => c.patientId));
    const conflictsOf = await conflictingSystems(db, [...new Set(live.values())], record.identifiers);
    const seen = new Set<string>();
    for (const c of scored) {
      const livePatientId = live.get(c.patientId)!;
      if (seen.has(livePatientId)) continue;
      seen.add(livePatientId);
      const conflicts = conflictsOf.get(livePatientId)!;
      const verdict = conflicts.length ? { ...c.verdict, outcome: c.verdict.outcome === 'no-match' ? ('no-match' as const) : ('possible' as const), conflict: 'identifier-conflict' } : c.verdict;
      if (!patientId && verdict.outcome === 'match') {
        patientId = livePatientId;
        decision = 'probabilistic';
        weight = verdict.weight;
        evidence = verdict.evidence;
      } else if (verdict.outcome !== 'no-match') {
        possible.push({ patientId: livePatientId, recordId: c.recordId, verdict });
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
  await insertRecord(db, patientId, arrival.managingFacilityId ?? null, JSON.stringify(record), arrival.sourceTime, created, recordId, arrival.sourceId,
    identifierKey(arrival.recordKey.system, arrival.recordKey.value), decision, hash, JSON.stringify(arrival.provenance), arrival.registering,
    record.identifiers.map((i) => i.system), record.identifiers.map((i) => i.value), keys, weight, evidence === undefined ? null : JSON.stringify(evidence),
    arrival.actor, arrival.messageId, JSON.stringify(matches));
  // A patient made just now is its one record's projection, written above with the same rules as refreshGoldenRecord.
  if (!created) await refreshGolden(db, arrival, patientId);
  // A patient made just now has no facts and no encounters yet.
  return { recordId, patientId, created, madeKnown, ...(created && arrival.encounterKey ? { encounterId: null, factsWaiting: false } : {}) };
}
