import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Identifier, PatientRecordInput } from '../../model/clinical.ts';
import type { ProvenanceRecord } from '../../model/provenance.ts';
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
}

export interface Resolution {
  recordId: string;
  patientId: string;
  created: boolean;
  /** Wait keys of the identifiers this record made known: parked messages waiting for them can be released. */
  madeKnown: string[];
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
  for (const key of keys) await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 7))`.execute(db);
}

/** The patient a merge chain ends at; the hop limit keeps a corrupt cycle from hanging a transaction. */
export async function livePatient(db: Db | Tx, patientId: string): Promise<string> {
  let id = patientId;
  for (let hops = 0; hops < 16; hops++) {
    const row = await db.selectFrom('patients').select('merged_into').where('id', '=', id).executeTakeFirst();
    if (!row?.merged_into) return id;
    id = row.merged_into;
  }
  return id;
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
  const live = new Set<string>();
  for (const r of rows) live.add(await livePatient(db, r.patient_id));
  return [...live];
}

/**
 * Systems where the candidate holds values and none of them is the record's: a link there would join two people (two
 * MRNs from one authority). A value the candidate holds through a source-retired record still counts as its own: a
 * message naming the old MRN after a merge belongs to the survivor.
 */
async function conflictingSystems(db: Db | Tx, patientId: string, identifiers: readonly Identifier[]): Promise<string[]> {
  const systems = [...new Set(identifiers.filter((i) => isMatchableSystem(i.system)).map((i) => i.system))];
  if (systems.length === 0) return [];
  const held = await db.selectFrom('patient_identifiers').select(['system', 'value']).where('patient_id', '=', patientId).where('system', 'in', systems).execute();
  const mine = new Set(identifiers.map((i) => identifierKey(i.system, i.value)));
  return systems.filter((system) => {
    const values = held.filter((h) => h.system === system);
    return values.length > 0 && !values.some((h) => mine.has(identifierKey(h.system, h.value)));
  });
}

async function probabilisticCandidates(db: Db | Tx, engine: MatchEngine, record: PatientRecordInput, keys: string[]): Promise<Candidate[]> {
  if (keys.length === 0) return [];
  const rows = await db
    .selectFrom('patient_match_keys as k')
    .innerJoin('patient_records as r', 'r.id', 'k.record_id')
    .select(['r.id', 'r.patient_id', 'r.demographics'])
    .distinct()
    .where('k.key', 'in', keys)
    .where('r.retired_into', 'is', null)
    .limit(200)
    .execute();
  return rows.map((r) => ({ patientId: r.patient_id, recordId: r.id, verdict: engine.score(record, r.demographics as PatientRecordInput) }));
}

async function linkEvent(db: Db | Tx, e: { recordId: string; from: string | null; to: string; decision: string; weight?: number | null; evidence?: unknown; actor: string; messageId: string | null }): Promise<void> {
  await db
    .insertInto('identity_link_events')
    .values({ record_id: e.recordId, from_patient_id: e.from, to_patient_id: e.to, decision: e.decision, weight: e.weight ?? null, evidence: e.evidence === undefined ? null : JSON.stringify(e.evidence), actor: e.actor, message_id: e.messageId, undoes: null })
    .execute();
}

async function newPatient(db: Db | Tx, managingFacilityId: string | undefined): Promise<string> {
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

/**
 * Applies a newer account to an existing record (the compare is in the UPDATE itself, so two workers cannot write an
 * older account over a newer one) and adds identifiers it did not have, under their locks. Undefined when the source
 * has no record of this person yet.
 */
async function updateExisting(db: Db | Tx, arrival: RecordArrival, hash: string, engine: MatchEngine | null): Promise<Resolution | undefined> {
  const { record } = arrival;
  const existing = await db
    .selectFrom('patient_records')
    .select(['id', 'patient_id', 'registering'])
    .where('source_id', '=', arrival.sourceId)
    .where('record_key', '=', identifierKey(arrival.recordKey.system, arrival.recordKey.value))
    .executeTakeFirst();
  if (!existing) return undefined;
  const updated = await sql<{ id: string }>`
    UPDATE patient_records SET demographics = ${JSON.stringify(record)}::jsonb, source_time = ${arrival.sourceTime}, content_hash = ${hash},
      provenance = ${JSON.stringify(arrival.provenance)}::jsonb, updated_at = now()
    WHERE id = ${existing.id}
      AND (COALESCE(${arrival.sourceTime}::timestamptz, '-infinity'::timestamptz), ${hash}::text) > (COALESCE(source_time, '-infinity'::timestamptz), content_hash)
    RETURNING id`.execute(db);
  const newer = updated.rows.length > 0;
  const held = await db.selectFrom('patient_record_identifiers').select(['system', 'value']).where('record_id', '=', existing.id).execute();
  const heldKeys = new Set(held.map((h) => identifierKey(h.system, h.value)));
  const added = record.identifiers.filter((i) => !heldKeys.has(identifierKey(i.system, i.value)));
  if (added.length > 0) {
    await lockIdentifiers(db, added);
    await writeIdentifiers(db, existing.id, added);
  }
  const upgraded = arrival.registering && !existing.registering;
  if (upgraded) await db.updateTable('patient_records').set({ registering: true }).where('id', '=', existing.id).execute();
  if (newer && engine) await writeMatchKeys(db, existing.id, engine.blockingKeys(record));
  if (newer || upgraded || added.length > 0) await refreshGoldenRecord(db, existing.patient_id);
  return { recordId: existing.id, patientId: existing.patient_id, created: false, madeKnown: added.map((i) => waitKey(i.system, i.value)) };
}

/** Creates or updates the source's record of this person and links it to a Vigil patient. */
export async function resolveRecord(db: Db | Tx, arrival: RecordArrival, engine: MatchEngine | null): Promise<Resolution> {
  const { record } = arrival;
  const hash = canonicalHash(record);
  // Most messages are about a person the source already filed: that path takes no identifier lock, so workers do not
  // queue behind each other for a busy patient. Only creating a record (or adding identifiers) locks.
  const found = await updateExisting(db, arrival, hash, engine);
  if (found) return found;
  await lockIdentifiers(db, [arrival.recordKey, ...record.identifiers]);
  const madeKnown = record.identifiers.map((i) => waitKey(i.system, i.value));
  // Another worker may have filed this person while we waited for the lock.
  const raced = await updateExisting(db, arrival, hash, engine);
  if (raced) return raced;

  const recordId = uuidv7();
  let patientId: string | null = null;
  let decision = 'new-patient';
  let weight: number | null = null;
  let evidence: unknown;
  const possible: Candidate[] = [];

  const byIdentifier = await identifierCandidates(db, record.identifiers);
  for (const candidate of byIdentifier) {
    const conflicts = await conflictingSystems(db, candidate, record.identifiers);
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
    const seen = new Set<string>();
    for (const c of scored) {
      const live = await livePatient(db, c.patientId);
      if (seen.has(live)) continue;
      seen.add(live);
      const conflicts = await conflictingSystems(db, live, record.identifiers);
      const verdict = conflicts.length ? { ...c.verdict, outcome: c.verdict.outcome === 'no-match' ? 'no-match' as const : 'possible' as const, conflict: 'identifier-conflict' } : c.verdict;
      if (!patientId && verdict.outcome === 'match') {
        patientId = live;
        decision = 'probabilistic';
        weight = verdict.weight;
        evidence = verdict.evidence;
      } else if (verdict.outcome !== 'no-match') {
        possible.push({ patientId: live, recordId: c.recordId, verdict });
      }
    }
  }
  const created = !patientId;
  patientId ??= await newPatient(db, arrival.managingFacilityId);
  await db
    .insertInto('patient_records')
    .values({
      id: recordId,
      source_id: arrival.sourceId,
      record_key: identifierKey(arrival.recordKey.system, arrival.recordKey.value),
      patient_id: patientId,
      link_reason: decision as 'new-patient' | 'same-identifier' | 'probabilistic',
      demographics: JSON.stringify(record),
      source_time: arrival.sourceTime,
      content_hash: hash,
      provenance: JSON.stringify(arrival.provenance),
      registering: arrival.registering,
      retired_into: null,
    })
    .execute();
  await writeIdentifiers(db, recordId, record.identifiers);
  await writeMatchKeys(db, recordId, keys);
  await linkEvent(db, { recordId, from: null, to: patientId, decision, weight, evidence, actor: arrival.actor, messageId: arrival.messageId });
  for (const p of possible.filter((c) => c.patientId !== patientId)) {
    await db
      .insertInto('identity_possible_matches')
      .values({ id: uuidv7(), record_id: recordId, candidate_patient_id: p.patientId, candidate_record_id: p.recordId, weight: p.verdict.weight, evidence: JSON.stringify({ ...(Array.isArray(p.verdict.evidence) ? { evidence: p.verdict.evidence } : (p.verdict.evidence as object)), ...(p.verdict.conflict ? { conflict: p.verdict.conflict } : {}) }), decided_by: null, decided_at: null })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  await refreshGoldenRecord(db, patientId);
  return { recordId, patientId, created, madeKnown };
}
