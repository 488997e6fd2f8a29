import { sql } from 'kysely';
import type { Identifier, PatientRecordInput } from '../../model/clinical.ts';
import type { ProvenanceRecord } from '../../model/provenance.ts';
import { fixedStatement } from '../../store/fixed-statement.ts';
import type { Db, Tx } from '../../store/store.ts';
import { identifierKey, isMatchableSystem } from './keys.ts';
import type { MatchEngine } from './match-engine.ts';
import { InvariantError } from '../../errors.ts';
import { candidatesFromRows, FILED_COLUMNS, fileRecordsCtes, searchedIdentifiers, type CandidateRow, type Candidates, type FullPath, type InsertArgs, type RecordArrival, type Resolution } from './resolve.ts';

/**
 * The records a batch's messages name, looked up and locked in one statement when the batch starts. Most messages are
 * results about a person their source filed before, whose account changes nothing on the record: such a message then
 * needs no statement of its own. What PostgreSQL spends a message is mostly starting statements, not writing rows
 * (docs/gateway.md, "the row floor").
 *
 * A message takes that path (`resolveKnown`) only when the per-message statement would have changed nothing but the
 * record's newest source time: the record is known, live and locked here; the message adds no identifier and does not
 * upgrade a mention to a registration; and its account is either older, or the same content at a later time. That
 * later time, with its provenance and the patient's `demographics_source_time`, is written for the whole batch at
 * once (`flush`): at the end, before any savepoint, and before a message that takes the full path on the same record,
 * whose compare must see it. Anything else takes the full path as before, and the entry of a record it touched is
 * dropped (or, for a record it filed, made from what it wrote).
 *
 * A record the batch files is not written at once either (`file`): the batch's new records go in one statement
 * (`writeFiled`) before anything reads them: a full path on the same record, a candidate search made anew, identifiers
 * added to another record, the batch's visits and facts, and any savepoint. Until then the batch answers from memory
 * whether one of them holds an identifier (`filedHolds`), so that a message naming it does not wait for it.
 *
 * Entries hold only while nothing else moves records between patients. A merge or relink is worked under its own
 * savepoint, without the batch's records; then the batch forgets what it can have changed (`forget`): its own records
 * and those of the patients it names. The lock makes entries hold against other workers: a merge elsewhere waits for
 * this batch to commit.
 * Records another worker holds are skipped, not waited for (SKIP LOCKED): their messages take the full path.
 */
interface Entry {
  id: string;
  patientId: string;
  registering: boolean;
  retired: boolean;
  /** Milliseconds; null when the source gave no time. */
  sourceTime: number | null;
  contentHash: string;
  /** Whether the patient has other records of the same kind, so that a newer time can change the golden record. */
  peers: boolean;
  /** `system|value` keys of the identifiers the record holds. */
  held: Set<string>;
}

interface Touch {
  record_id: string;
  source_time: string;
  provenance: ProvenanceRecord;
}

interface LoadedRow {
  n: number;
  found: boolean;
  id: string | null;
  patient_id: string;
  registering: boolean;
  retired: boolean;
  source_time: Date | null;
  content_hash: string;
  peers: boolean;
  held: string[];
}

/**
 * Each key is probed by index (lateral LIMIT 1: see identity_candidates for why not a join), first without a lock to
 * tell a missing record from one another worker holds, then locked.
 */
const loadRecords = fixedStatement(
  (sourceIds: string[], recordKeys: string[]) => sql<LoadedRow>`
    SELECT k.n::integer AS n, e.id IS NOT NULL AS found, r.id, r.patient_id, r.registering, r.retired_into IS NOT NULL AS retired,
      r.source_time, r.content_hash,
      EXISTS (SELECT 1 FROM patient_records o WHERE o.patient_id = r.patient_id AND o.id <> r.id
        AND (o.retired_into IS NULL) = (r.retired_into IS NULL) AND o.registering = r.registering) AS peers,
      ARRAY(SELECT system || '|' || value FROM patient_record_identifiers WHERE record_id = r.id) AS held
    FROM unnest(${sourceIds}::uuid[], ${recordKeys}::text[]) WITH ORDINALITY AS k(source_id, record_key, n)
    LEFT JOIN LATERAL (SELECT p.id FROM patient_records p WHERE p.source_id = k.source_id AND p.record_key = k.record_key LIMIT 1) e ON true
    LEFT JOIN LATERAL (SELECT p.* FROM patient_records p WHERE p.id = e.id FOR NO KEY UPDATE SKIP LOCKED) r ON true
    ORDER BY k.n`,
);

/**
 * The newest later time per record, as the per-message statement would have left it: the record's time and
 * provenance, and the patient's newest-demographics time when this one is later (per patient, the latest of its
 * records': an UPDATE … FROM would take an arbitrary one of several rows).
 */
const writeTouches = fixedStatement(
  (touchesJson: string) => sql`
    WITH t AS (SELECT * FROM jsonb_to_recordset(${touchesJson}::jsonb) AS t(record_id uuid, source_time timestamptz, provenance jsonb)),
    u AS (
      UPDATE patient_records p SET source_time = t.source_time, provenance = t.provenance, updated_at = now()
      FROM t WHERE p.id = t.record_id AND (p.source_time IS NULL OR p.source_time < t.source_time)
      RETURNING p.patient_id, t.source_time)
    UPDATE patients SET demographics_source_time = u.latest
    FROM (SELECT patient_id, max(source_time) AS latest FROM u GROUP BY patient_id) u
    WHERE patients.id = u.patient_id AND (patients.demographics_source_time IS NULL OR patients.demographics_source_time < u.latest)`,
);

/**
 * The candidate search of resolveRecord for every record the batch will file, one per row of the input, in one
 * statement: the same function, called once per record.
 */
const searchCandidates = fixedStatement(
  (searchesJson: string) => sql<CandidateRow & { n: number }>`
    SELECT s.n, c.record_id, c.demographics, c.live_patient_id, c.held
    FROM jsonb_to_recordset(${searchesJson}::jsonb) AS s(n integer, systems text[], "values" text[], keys text[], match_systems text[])
    CROSS JOIN LATERAL identity_candidates(s.systems, s."values", s.keys, s.match_systems) c
    ORDER BY s.n`,
);

/** The batch's new records, in the order filed, each a row of FILED_COLUMNS. */
const fileRecords = fixedStatement(
  (rowsJson: string) => sql`WITH ${fileRecordsCtes(sql`SELECT * FROM jsonb_to_recordset(${rowsJson}::jsonb) AS x(${FILED_COLUMNS})`)} SELECT count(*) AS n FROM r`,
);

/**
 * A record's InsertArgs as a JSON object of FILED_COLUMNS. The JSON arguments (demographics, provenance, evidence,
 * matches) are set in as they are, not parsed and serialized again.
 */
function filedRow(
  ...[patientId, managingFacilityId, demographics, sourceTime, created, recordId, sourceId, recordKey, decision, hash, provenance, registering, systems, values, keys, weight, evidence, actor, messageId, matches]: InsertArgs
): string {
  const q = JSON.stringify;
  return (
    `{"patient_id":${q(patientId)},"managing_facility_id":${q(managingFacilityId)},"demographics":${demographics},` +
    `"source_time":${q(sourceTime?.toISOString() ?? null)},"created":${created},"record_id":${q(recordId)},"source_id":${q(sourceId)},` +
    `"record_key":${q(recordKey)},"decision":${q(decision)},"content_hash":${q(hash)},"provenance":${provenance},"registering":${registering},` +
    `"systems":${q(systems)},"values":${q(values)},"keys":${q(keys)},"weight":${q(weight)},"evidence":${evidence ?? 'null'},` +
    `"actor":${q(actor)},"message_id":${q(messageId)},"matches":${matches}}`
  );
}

/** A search made when the batch started, valid while nothing the batch wrote could change its answer. */
interface Search {
  /** The account it was made for: another account under the same key is searched for anew. */
  record: PatientRecordInput;
  /** What it looked for: the record's matchable identifiers (`system|value`) and its blocking keys. */
  identifiers: string[];
  keys: string[];
  found: Candidates;
}

/** What the batch knows of a record it will file: its blocking keys, and its candidates unless they must be searched again. */
export interface BatchSearch {
  keys: string[];
  found: Candidates | undefined;
}

export interface WantedRecord {
  sourceId: string;
  recordKey: Identifier;
  record: PatientRecordInput;
}

const keyOf = (sourceId: string, recordKey: Identifier) => `${sourceId}\n${identifierKey(recordKey.system, recordKey.value)}`;

export class BatchRecords {
  private readonly entries = new Map<string, Entry>();
  /** Keys with no record when the batch started. Only matchable keys: their identifier lock keeps others from filing one. */
  private readonly absent = new Set<string>();
  private readonly touches = new Map<string, Touch>();
  /**
   * Patients a full path resolved to in this batch: their records may have changed, so a newer time refreshes them,
   * and a search that found them is made again.
   */
  private readonly dirty = new Set<string>();
  /** Candidate searches for the records missing when the batch started, by record key. */
  private readonly searches = new Map<string, Search>();
  /** Identifiers (`system|value`) and blocking keys the batch's full paths wrote: a search that looked for one is stale. */
  private readonly writtenIdentifiers = new Set<string>();
  private readonly writtenKeys = new Set<string>();
  /** Records filed and not written yet (FILED_COLUMNS rows), by record key, and the identifiers they hold. */
  private readonly filed = new Map<string, string>();
  private readonly filedIdentifiers = new Set<string>();

  private constructor() {}

  /**
   * Looks up and locks the batch's records (the caller holds the identifier locks of their keys), and makes the
   * candidate search of each record that is missing, with the engine's blocking keys.
   */
  static async load(db: Db | Tx, wanted: readonly WantedRecord[], engine: MatchEngine | null): Promise<BatchRecords> {
    const batch = new BatchRecords();
    // The first account under a key is the one that files the record; later ones find it.
    const unique = new Map<string, WantedRecord>();
    for (const w of wanted) if (!unique.has(keyOf(w.sourceId, w.recordKey))) unique.set(keyOf(w.sourceId, w.recordKey), w);
    if (unique.size === 0) return batch;
    const list = [...unique.entries()];
    const rows = (await loadRecords(db, list.map(([, w]) => w.sourceId), list.map(([, w]) => identifierKey(w.recordKey.system, w.recordKey.value)))).rows;
    for (const row of rows) {
      const [key, w] = list[row.n - 1]!;
      if (!row.found) {
        if (isMatchableSystem(w.recordKey.system)) batch.absent.add(key);
      } else if (row.id !== null) {
        batch.entries.set(key, {
          id: row.id,
          patientId: row.patient_id,
          registering: row.registering,
          retired: row.retired,
          sourceTime: row.source_time?.getTime() ?? null,
          contentHash: row.content_hash,
          peers: row.peers,
          held: new Set(row.held),
        });
      }
    }
    await batch.search(db, list.filter(([key]) => batch.absent.has(key)), engine);
    return batch;
  }

  private async search(db: Db | Tx, missing: readonly [string, WantedRecord][], engine: MatchEngine | null): Promise<void> {
    const inputs: { n: number; systems: string[]; values: string[]; keys: string[]; match_systems: string[] }[] = [];
    const planned: [string, Search][] = [];
    for (const [key, w] of missing) {
      const pairs = searchedIdentifiers(w.record);
      const keys = engine ? engine.blockingKeys(w.record) : [];
      const search: Search = { record: w.record, identifiers: pairs.map((i) => identifierKey(i.system, i.value)), keys, found: { holders: [], similar: [] } };
      planned.push([key, search]);
      // As candidatesFor: nothing to look for, nothing found.
      if (pairs.length === 0 && keys.length === 0) continue;
      inputs.push({ n: planned.length - 1, systems: pairs.map((i) => i.system), values: pairs.map((i) => i.value), keys, match_systems: [...new Set(pairs.map((i) => i.system))] });
    }
    if (inputs.length > 0) {
      const rows = (await searchCandidates(db, JSON.stringify(inputs))).rows;
      const byInput = new Map<number, CandidateRow[]>();
      for (const row of rows) (byInput.get(row.n) ?? byInput.set(row.n, []).get(row.n)!).push(row);
      for (const [n, found] of byInput) planned[n]![1].found = candidatesFromRows(found);
    }
    for (const [key, search] of planned) this.searches.set(key, search);
  }

  /**
   * What the batch's search found for this arrival's record: undefined when it was made for another account (or none),
   * and `found` undefined when it must be made again: the batch has since written one of the identifiers or blocking
   * keys it looked for, or changed a patient it found. The blocking keys are the search's, computed once.
   */
  searchOf(arrival: RecordArrival): BatchSearch | undefined {
    const search = this.searches.get(keyOf(arrival.sourceId, arrival.recordKey));
    if (!search || search.record !== arrival.record) return undefined;
    const { keys, identifiers, found } = search;
    const stale =
      identifiers.some((i) => this.writtenIdentifiers.has(i)) ||
      keys.some((k) => this.writtenKeys.has(k)) ||
      found.holders.some((h) => this.dirty.has(h.patientId)) ||
      found.similar.some((c) => this.dirty.has(c.patientId));
    return { keys, found: stale ? undefined : found };
  }

  /**
   * The resolution of an arrival that changes nothing on its record but, at most, its newest source time; undefined
   * when the arrival needs the full path. `hash` is the arrival's content hash.
   */
  resolveKnown(arrival: RecordArrival, hash: string): Resolution | undefined {
    const entry = this.entries.get(keyOf(arrival.sourceId, arrival.recordKey));
    if (!entry || entry.retired || !arrival.refreshLater || (arrival.registering && !entry.registering)) return undefined;
    if (!arrival.record.identifiers.every((i) => entry.held.has(identifierKey(i.system, i.value)))) return undefined;
    const time = arrival.sourceTime?.getTime() ?? null;
    const mine = time ?? -Infinity;
    const theirs = entry.sourceTime ?? -Infinity;
    // The statement's compare is (time, hash) > (time, hash): with equal content only the time decides. Different
    // content at an earlier time changes nothing either; at a later or equal time it is a change: the full path.
    if (hash !== entry.contentHash && mine >= theirs) return undefined;
    if (hash === entry.contentHash && mine > theirs && time !== null) {
      entry.sourceTime = time;
      this.touches.set(entry.id, { record_id: entry.id, source_time: arrival.sourceTime!.toISOString(), provenance: arrival.provenance });
      if (entry.peers || this.dirty.has(entry.patientId)) arrival.refreshLater.add(entry.patientId);
    }
    return { recordId: entry.id, patientId: entry.patientId, created: false, madeKnown: [] };
  }

  /** True when the source had no record under this key when the batch started and none was filed since. */
  knownAbsent(arrival: RecordArrival): boolean {
    return this.absent.has(keyOf(arrival.sourceId, arrival.recordKey));
  }

  /**
   * Before the full path works on this record: the record, when the batch filed it, and its pending later time are
   * written first, so that its lookup finds it and its compare sees the time.
   */
  async beforeFullPath(db: Db | Tx, arrival: RecordArrival): Promise<void> {
    const key = keyOf(arrival.sourceId, arrival.recordKey);
    if (this.filed.has(key)) await this.writeFiled(db);
    const entry = this.entries.get(key);
    if (entry && this.touches.has(entry.id)) await this.flush(db);
  }

  /** Keeps a new record for the batch's statement (see writeFiled); the full path calls afterFullPath next. */
  file(arrival: RecordArrival, args: InsertArgs): void {
    const key = keyOf(arrival.sourceId, arrival.recordKey);
    if (this.filed.has(key)) throw new InvariantError('BatchRecords.file: the batch filed this record already; a later account must find it');
    this.filed.set(key, filedRow(...args));
    for (const i of arrival.record.identifiers) this.filedIdentifiers.add(identifierKey(i.system, i.value));
  }

  /** True when a record the batch filed and has not written holds this identifier (as the index will once written). */
  filedHolds(identifier: Identifier): boolean {
    return this.filedIdentifiers.has(identifierKey(identifier.system, identifier.value));
  }

  /** Writes the records the batch filed, in one statement. */
  async writeFiled(db: Db | Tx): Promise<void> {
    if (this.filed.size === 0) return;
    const rows = [...this.filed.values()];
    this.filed.clear();
    this.filedIdentifiers.clear();
    await fileRecords(db, `[${rows.join(',')}]`);
  }

  /**
   * After the full path: the entry no longer tells what the record holds, except for a record just filed, whose
   * every field the arrival wrote; and what it wrote makes searches that looked for it stale.
   */
  afterFullPath(arrival: RecordArrival, hash: string, { resolution, filed, identifiers, keys }: FullPath): void {
    const key = keyOf(arrival.sourceId, arrival.recordKey);
    this.entries.delete(key);
    this.absent.delete(key);
    this.searches.delete(key);
    this.dirty.add(resolution.patientId);
    for (const i of identifiers) this.writtenIdentifiers.add(identifierKey(i.system, i.value));
    for (const k of keys) this.writtenKeys.add(k);
    if (!filed) return;
    this.entries.set(key, {
      id: resolution.recordId,
      patientId: resolution.patientId,
      registering: arrival.registering,
      retired: false,
      sourceTime: arrival.sourceTime?.getTime() ?? null,
      contentHash: hash,
      // A record linked to a patient found by matching may have peers; a new patient's first record has none.
      peers: !resolution.created,
      held: new Set(arrival.record.identifiers.map((i) => identifierKey(i.system, i.value))),
    });
  }

  /**
   * After a message worked without the batch (under its savepoint): its own records, and every record of the patients
   * it may have moved records between (`patients`), are looked up again by whoever needs them; so is every search,
   * which may have missed what it filed. The rest of the batch's records stay known: a merge moves only the records of
   * the two patients it names.
   */
  forget(own: readonly WantedRecord[], patients: readonly string[]): void {
    for (const w of own) {
      const key = keyOf(w.sourceId, w.recordKey);
      this.entries.delete(key);
      this.absent.delete(key);
    }
    const touched = new Set(patients);
    for (const [key, entry] of this.entries) if (touched.has(entry.patientId)) this.entries.delete(key);
    for (const p of touched) this.dirty.add(p);
    this.searches.clear();
  }

  /** Writes the records filed, then the pending later source times (which may be theirs). */
  async flush(db: Db | Tx): Promise<void> {
    await this.writeFiled(db);
    if (this.touches.size === 0) return;
    const touches = [...this.touches.values()];
    this.touches.clear();
    await writeTouches(db, JSON.stringify(touches));
  }
}
