import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Coding, EncounterInput, FactInput } from '../../model/clinical.ts';
import type { KeyEncryptionService } from '../../controls/keys/keyring.ts';
import type { ProvenanceRecord } from '../../model/provenance.ts';
import { confidenceOf } from '../../model/quality.ts';
import { fixedStatement } from '../../store/fixed-statement.ts';
import type { Db, Tx } from '../../store/store.ts';
import { DocumentKeysUnavailableError, storeDocumentContent } from './document-content.ts';

/**
 * Writes normalized facts. A fact is identified by (source, kind, source key); every distinct content becomes a
 * version with its provenance, and the current version is the one with the latest source time (ties: content hash).
 * Delivering the same message twice, or the versions of a result in any order, therefore ends in the same state.
 * One statement for a message's facts: the upsert decides each current version, the version rows are added beside
 * them, and each fact row keeps what readers would otherwise count over the versions (how many, when the newest
 * arrived, which is current).
 */
export interface FactTarget {
  sourceId: string;
  recordId: string;
  patientId: string;
  encounterId: string | null;
  encounterKey: string | null;
  provenance: ProvenanceRecord;
  /** Seals a document's content under the patient's key; a fact that carries content cannot be written without it. */
  documentKeys?: KeyEncryptionService;
}

const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');
const instant = (t: { instant: string } | undefined) => (t ? new Date(t.instant) : null);

/** The coding search and display use first: a standard one the profile mapped to, else the source's own. */
export function primaryCoding(codings: readonly Coding[]): Coding | undefined {
  return codings.find((c) => !c.system.startsWith('urn:vigil:')) ?? codings[0];
}

export async function writeFact(db: Db | Tx, target: FactTarget, fact: FactInput, sourceTime: Date | null): Promise<string> {
  return (await writeFacts(db, target, [fact], sourceTime))[0]!;
}

/** A fact as the statement below reads it from its JSON input. */
export interface FactRow {
  ord: number;
  id: string;
  version_id: string;
  kind: string;
  source_key: string;
  status: string;
  code_system: string | null;
  code: string | null;
  code_display: string | null;
  codings: Coding[];
  effective_at: string | null;
  body: unknown;
  confidence: number;
  content_hash: string;
  provenance: unknown;
  security_labels: readonly string[];
}

/** One fact as the upsert reads it (exported for the gateway bench, which measures this work without a database). */
export function factRow(target: Pick<FactTarget, 'provenance'>, fact: FactInput, ord: number): FactRow {
  const codings = fact.code?.codings ?? [];
  const primary = primaryCoding(codings);
  const labels = [...new Set(fact.securityLabels ?? [])].sort();
  // Labels count as content only when there are any, so every fact stored before labels existed keeps its hash.
  const content = { status: fact.status, codings, text: fact.code?.text ?? null, effective: fact.effective?.instant ?? null, body: fact.body, ...(labels.length > 0 ? { labels } : {}) };
  const confidence = Math.min(target.provenance.confidence, confidenceOf(fact.flags));
  return {
    ord,
    id: uuidv7(),
    version_id: uuidv7(),
    kind: fact.kind,
    source_key: fact.sourceKey,
    status: fact.status,
    code_system: primary?.system ?? null,
    code: primary?.code ?? null,
    code_display: primary?.display ?? fact.code?.text ?? null,
    codings,
    effective_at: instant(fact.effective)?.toISOString() ?? null,
    body: fact.body,
    confidence,
    content_hash: hashOf(content),
    provenance: { ...target.provenance, position: fact.position, flags: [...target.provenance.flags, ...fact.flags], confidence },
    security_labels: labels,
  };
}

/** A message's fact rows for one patient, ready for the upsert: its JSON input and the facts they came from. */
export interface PreparedFacts {
  facts: readonly FactInput[];
  rows: FactRow[];
  json: string;
}

/** What the upsert returns for each input fact. */
export interface UpsertedFact {
  ord: number;
  fact_id: string;
  versioned: boolean;
}

/**
 * The rows of one upsert, or undefined when two facts share a key: an upsert may not touch a row twice, so those are
 * written one statement each, in order (see writeFacts).
 */
export function prepareFacts(provenance: ProvenanceRecord, facts: readonly FactInput[]): PreparedFacts | undefined {
  if (facts.length === 0 || new Set(facts.map((f) => `${f.kind}|${f.sourceKey}`)).size < facts.length) return undefined;
  const rows = facts.map((fact, ord) => factRow({ provenance }, fact, ord));
  return { facts, rows, json: JSON.stringify(rows) };
}

/** After the upsert: a new version's document content is sealed under the patient's key; returns ids in input order. */
export async function afterFactUpsert(db: Db | Tx, target: Pick<FactTarget, 'patientId' | 'documentKeys'>, prepared: PreparedFacts, upserted: readonly UpsertedFact[]): Promise<string[]> {
  const ids: string[] = new Array(prepared.facts.length);
  for (const r of upserted) {
    ids[r.ord] = r.fact_id;
    const content = prepared.facts[r.ord]!.content;
    if (!r.versioned || !content) continue;
    if (!target.documentKeys) throw new DocumentKeysUnavailableError();
    await storeDocumentContent(db, target.documentKeys, target.patientId, r.fact_id, prepared.rows[r.ord]!.version_id, content);
  }
  return ids;
}

/**
 * Writes a message's facts for one patient in one statement (a round trip per fact was a fifth of what a message
 * cost); returns their ids in input order. Two facts with the same key in one message cannot share a statement (an
 * upsert may not touch a row twice), so then each is written on its own, in order, as the message gave them.
 */
export async function writeFacts(db: Db | Tx, target: FactTarget, facts: readonly FactInput[], sourceTime: Date | null): Promise<string[]> {
  if (facts.length === 0) return [];
  const prepared = prepareFacts(target.provenance, facts);
  if (!prepared) {
    const ids: string[] = [];
    for (const fact of facts) ids.push(...(await writeFacts(db, target, [fact], sourceTime)));
    return ids;
  }
  const result = await upsertFacts(db, prepared.json, target.sourceId, target.recordId, target.patientId, target.encounterId, target.encounterKey, target.provenance.derivation, sourceTime);
  return afterFactUpsert(db, target, prepared, result.rows[0]!.facts);
}

/**
 * Where the upsert's facts belong: the relation its rows are selected from (the input `i`, alone or joined to the row
 * that names their owner) and the expressions for their record, patient and encounter over it.
 */
export interface FactOwner {
  from: RawBuilder<unknown>;
  recordId: RawBuilder<unknown>;
  patientId: RawBuilder<unknown>;
  encounterId: RawBuilder<unknown>;
}

/**
 * The upsert as three CTEs, `i` (the input rows), `f` (the facts) and `v` (their new versions), for a statement that
 * may do more in the same round trip (src/gateway/record-facts.ts writes them with the record's update).
 */
export function factUpsertCtes(rowsJson: string, sourceId: string, owner: FactOwner, encounterKey: string | null, derivation: string, sourceTime: Date | null): RawBuilder<unknown> {
  return upsertCtes(rowsJson, { ...owner, sourceId: sql`${sourceId}::uuid`, encounterKey: sql`${encounterKey}::text`, derivation: sql`${derivation}::text`, sourceTime: sql`${sourceTime}::timestamptz`, extraInput: sql``, sameSource: sql`` });
}

/**
 * What factUpsertCtes binds once for a message's facts, as expressions: bound values there, columns of `i` for a
 * batch's facts from many messages (pending-facts.ts). `sourceTime` must read from `i` alone (the versions are
 * selected from `f` and `i`); `extraInput` adds columns to `i`, and `sameSource` pairs `i` with `f` by source.
 */
export interface UpsertShape extends FactOwner {
  sourceId: RawBuilder<unknown>;
  encounterKey: RawBuilder<unknown>;
  derivation: RawBuilder<unknown>;
  sourceTime: RawBuilder<unknown>;
  extraInput: RawBuilder<unknown>;
  sameSource: RawBuilder<unknown>;
}

export function upsertCtes(rowsJson: string, shape: UpsertShape): RawBuilder<unknown> {
  const newer = sql`(COALESCE(excluded.source_time, '-infinity'::timestamptz), excluded.content_hash) > (COALESCE(clinical_facts.source_time, '-infinity'::timestamptz), clinical_facts.content_hash)`;
  const pick = (column: string) => sql`CASE WHEN ${newer} THEN excluded.${sql.ref(column)} ELSE clinical_facts.${sql.ref(column)} END`;
  // A version row is skipped when this exact version is stored already (a repeated message): then nothing is counted.
  // A version that wins `newer` cannot be stored already, so the new version id is current exactly then. The count
  // after this write is the new version's arrival number (its FHIR versionId), given under the fact's row lock.
  // A scalar subquery, not EXISTS: the planner takes the JSON input for 100 rows and would hash the whole versions
  // table once (a sequential scan, measured at 3 ms on 25,000 versions) instead of probing the index per fact.
  const repeated = sql`(SELECT true FROM clinical_fact_versions v WHERE v.fact_id = clinical_facts.id AND v.content_hash = excluded.content_hash
    AND COALESCE(v.source_time, '-infinity'::timestamptz) = COALESCE(excluded.source_time, '-infinity'::timestamptz) LIMIT 1) IS NOT NULL`;
  const at = shape.sourceTime;
  return sql`
    i AS (
      SELECT * FROM jsonb_to_recordset(${rowsJson}::jsonb) AS i(ord integer, id uuid, version_id uuid, kind text, source_key text,
        status text, code_system text, code text, code_display text, codings jsonb, effective_at timestamptz, body jsonb, confidence real,
        content_hash text, provenance jsonb, security_labels text[]${shape.extraInput})),
    f AS (
      INSERT INTO clinical_facts (id, kind, source_id, source_key, record_id, patient_id, encounter_id, encounter_key, status, code_system,
        code, code_display, codings, effective_at, body, derivation, confidence, source_time, content_hash, version_count, last_version_at, current_version_id,
        security_labels)
      SELECT i.id, i.kind, ${shape.sourceId}, i.source_key, ${shape.recordId}, ${shape.patientId}, ${shape.encounterId},
        ${shape.encounterKey}, i.status, i.code_system, i.code, i.code_display, i.codings, i.effective_at, i.body, ${shape.derivation},
        i.confidence, ${at}, i.content_hash, 1, now(), i.version_id, i.security_labels
      FROM ${shape.from}
      ON CONFLICT (source_id, kind, source_key) DO UPDATE SET
        status = ${pick('status')}, code_system = ${pick('code_system')}, code = ${pick('code')},
        code_display = ${pick('code_display')}, codings = ${pick('codings')}, effective_at = ${pick('effective_at')},
        body = ${pick('body')}, confidence = ${pick('confidence')}, encounter_id = COALESCE(${pick('encounter_id')}, clinical_facts.encounter_id),
        encounter_key = COALESCE(${pick('encounter_key')}, clinical_facts.encounter_key),
        source_time = ${pick('source_time')}, content_hash = ${pick('content_hash')}, derivation = ${pick('derivation')},
        security_labels = ${pick('security_labels')},
        updated_at = CASE WHEN ${newer} THEN now() ELSE clinical_facts.updated_at END,
        last_confirmed_at = now(),
        version_count = clinical_facts.version_count + CASE WHEN ${repeated} THEN 0 ELSE 1 END,
        last_version_at = CASE WHEN ${repeated} THEN clinical_facts.last_version_at ELSE now() END,
        current_version_id = CASE WHEN ${newer} THEN excluded.current_version_id ELSE clinical_facts.current_version_id END
      RETURNING id, source_id, kind, source_key, version_count, patient_id),
    v AS (
      INSERT INTO clinical_fact_versions (id, fact_id, status, codings, effective_at, body, source_time, content_hash, provenance, seq, security_labels)
      SELECT i.version_id, f.id, i.status, i.codings, i.effective_at, i.body, ${at}, i.content_hash, i.provenance, f.version_count, i.security_labels
      FROM f JOIN i ON i.kind = f.kind AND i.source_key = f.source_key${shape.sameSource}
      ON CONFLICT (fact_id, content_hash, (COALESCE(source_time, '-infinity'::timestamptz))) DO NOTHING
      RETURNING fact_id)`;
}

/** Over factUpsertCtes: each input fact's row id and whether a new version was stored, as a JSON array in input order. */
export const UPSERTED_FACTS_JSON = sql<UpsertedFact[]>`(SELECT COALESCE(json_agg(json_build_object('ord', i.ord, 'fact_id', f.id,
  'versioned', EXISTS (SELECT 1 FROM v WHERE v.fact_id = f.id)) ORDER BY i.ord), '[]'::json) FROM i JOIN f ON f.kind = i.kind AND f.source_key = i.source_key)`;

/**
 * The upsert behind writeFacts, compiled once (see fixedStatement): its text is the same for every message, so only the
 * values are bound.
 */
const upsertFacts = fixedStatement(
  (rowsJson: string, sourceId: string, recordId: string, patientId: string, encounterId: string | null, encounterKey: string | null, derivation: string, sourceTime: Date | null) => {
    const owner = { from: sql`i`, recordId: sql`${recordId}::uuid`, patientId: sql`${patientId}::uuid`, encounterId: sql`${encounterId}::uuid` };
    return sql<{ facts: UpsertedFact[] }>`WITH ${factUpsertCtes(rowsJson, sourceId, owner, encounterKey, derivation, sourceTime)} SELECT ${UPSERTED_FACTS_JSON} AS facts`;
  },
);

const ENCOUNTER_STATUS: Record<EncounterInput['status'], 'planned' | 'active' | 'finished' | 'cancelled'> = {
  planned: 'planned',
  arrived: 'active',
  'in-progress': 'active',
  finished: 'finished',
  cancelled: 'cancelled',
  'entered-in-error': 'cancelled',
};

/** Facts that named this visit before its registration arrived are linked to it now. */
export async function linkWaitingFacts(db: Db | Tx, patientId: string, encounterKey: string, encounterId: string): Promise<void> {
  await db.updateTable('clinical_facts').set({ encounter_id: encounterId }).where('patient_id', '=', patientId).where('encounter_key', '=', encounterKey).where('encounter_id', 'is', null).execute();
}

/**
 * Links facts that still wait for a visit registered in the last `windowSeconds`. A result and the registration of its
 * visit can be worked at once by two workers when they share no identifier (their lanes differ): the result looked
 * for the visit before the registration committed, and the registration linked waiting facts before the result
 * committed, so neither saw the other. This closes that gap after both have committed. Returns how many were linked.
 */
export async function linkStrandedFacts(db: Db | Tx, windowSeconds: number): Promise<number> {
  const linked = await sql<{ id: string }>`
    UPDATE clinical_facts f SET encounter_id = e.id
    FROM (SELECT DISTINCT ON (o.patient_id, o.source_key) o.id, o.patient_id, o.source_key FROM encounters o
          WHERE (o.patient_id, o.source_key) IN (
            SELECT patient_id, source_key FROM encounters WHERE created_at > now() - make_interval(secs => ${windowSeconds}) AND source_key IS NOT NULL)
          ORDER BY o.patient_id, o.source_key, o.created_at) e
    WHERE f.patient_id = e.patient_id AND f.encounter_key = e.source_key AND f.encounter_id IS NULL
    RETURNING f.id`.execute(db);
  return linked.rows.length;
}

/**
 * The registered encounter a fact's visit number names for this patient (the earliest, should a number repeat), as
 * a query of one `id` column: no row while it is not registered.
 */
export function namedEncounter(patientId: RawBuilder<unknown>, encounterKey: RawBuilder<unknown>): RawBuilder<{ id: string }> {
  return sql<{ id: string }>`SELECT e.id FROM encounters e WHERE e.patient_id = ${patientId} AND e.source_key = ${encounterKey} ORDER BY e.created_at LIMIT 1`;
}

/** The registered encounter a fact's visit number names, if it is known yet. */
export async function findEncounter(db: Db | Tx, patientId: string, encounterKey: string): Promise<string | null> {
  const row = await namedEncounter(sql`${patientId}::uuid`, sql`${encounterKey}::text`).execute(db);
  return row.rows[0]?.id ?? null;
}

/** A visit's values as the encounter upsert binds them (see encounterValues). */
export type EncounterValues = [
  id: string,
  facilityId: string | null,
  status: string,
  klass: string,
  startsAt: Date | null,
  endsAt: Date | null,
  sourceId: string,
  sourceKey: string,
  sourceTime: Date | null,
  provenance: string,
  location: string | null,
];

/** Whose visit it is: the expressions for its patient and record, over `from` when they come from another relation. */
export interface EncounterOwner {
  from?: RawBuilder<unknown>;
  patientId: RawBuilder<unknown>;
  recordId: RawBuilder<unknown>;
}

/**
 * The encounter upsert as one statement or CTE body, returning the encounter's id: one row per visit number of a
 * source, the newest account (by source time) wins. Exported for a statement that does more in the same round trip
 * (src/gateway/record-facts.ts writes it with the record's update).
 */
export function encounterUpsert(owner: EncounterOwner, ...[id, facilityId, status, klass, startsAt, endsAt, sourceId, sourceKey, sourceTime, provenance, location]: EncounterValues): RawBuilder<{ id: string }> {
  return encounterUpsertOf(owner, [
    sql`${id}::uuid`, sql`${facilityId}::uuid`, sql`${status}::text`, sql`${klass}::text`, sql`${startsAt}::timestamptz`, sql`${endsAt}::timestamptz`,
    sql`${sourceId}::uuid`, sql`${sourceKey}::text`, sql`${sourceTime}::timestamptz`, sql`${provenance}::jsonb`, sql`${location}::text`,
  ]);
}

/** The columns of a visit in EncounterValues' order, as a relation of many visits (pending-visits.ts) names them. */
export const ENCOUNTER_COLUMNS = ['id', 'facility_id', 'status', 'class', 'starts_at', 'ends_at', 'source_id', 'source_key', 'source_time', 'provenance', 'location'] as const;

/**
 * encounterUpsert over expressions for its values, in EncounterValues' order: bound values, or the columns of many
 * visits in `owner.from` (each written once: an upsert may not touch a row twice).
 */
export function encounterUpsertOf(
  owner: EncounterOwner,
  [id, facilityId, status, klass, startsAt, endsAt, sourceId, sourceKey, sourceTime, provenance, location]: readonly RawBuilder<unknown>[],
  returning: RawBuilder<unknown> = sql`id`,
): RawBuilder<{ id: string }> {
  const newer = sql`COALESCE(excluded.source_time, '-infinity'::timestamptz) >= COALESCE(encounters.source_time, '-infinity'::timestamptz)`;
  const pick = (column: string) => sql`CASE WHEN ${newer} THEN excluded.${sql.ref(column)} ELSE encounters.${sql.ref(column)} END`;
  return sql<{ id: string }>`
    INSERT INTO encounters (id, patient_id, facility_id, status, class, starts_at, ends_at, source_id, source_key, record_id, source_time, provenance, location)
    SELECT ${id}, ${owner.patientId}, ${facilityId}, ${status}, ${klass}, ${startsAt}, ${endsAt}, ${sourceId}, ${sourceKey}, ${owner.recordId}, ${sourceTime},
      ${provenance}, ${location}
    ${owner.from ? sql`FROM ${owner.from}` : sql``}
    ON CONFLICT (source_id, source_key) WHERE source_id IS NOT NULL DO UPDATE SET
      status = ${pick('status')}, class = ${pick('class')}, starts_at = COALESCE(${pick('starts_at')}, encounters.starts_at),
      ends_at = ${pick('ends_at')}, location = ${pick('location')}, provenance = ${pick('provenance')},
      source_time = GREATEST(excluded.source_time, encounters.source_time), updated_at = now()
    RETURNING ${returning}`;
}

/** How many EncounterValues there are: fixedStatement cannot count a rest parameter. */
export const ENCOUNTER_ARITY = 11;

/** The upsert behind writeEncounter, compiled once (see fixedStatement). */
const upsertEncounter = fixedStatement(
  (patientId: string, recordId: string, ...visit: EncounterValues) => encounterUpsert({ patientId: sql`${patientId}::uuid`, recordId: sql`${recordId}::uuid` }, ...visit),
  2 + ENCOUNTER_ARITY,
);

/** The values encounterUpsert binds for this visit of a message (a new id, used only if the visit is new). */
export function encounterValues(target: { sourceId: string; provenance: ProvenanceRecord; facilityId: string | null }, encounter: EncounterInput, sourceTime: Date | null): EncounterValues {
  const provenance = JSON.stringify({ ...target.provenance, flags: [...target.provenance.flags, ...encounter.flags] });
  return [uuidv7(), target.facilityId, ENCOUNTER_STATUS[encounter.status], encounter.class, instant(encounter.start), instant(encounter.end), target.sourceId, encounter.sourceKey, sourceTime, provenance, encounter.location ?? null];
}

/** Encounters from a source: one row per visit number, the newest account (by source time) wins. */
export async function writeEncounter(db: Db | Tx, target: Omit<FactTarget, 'encounterId' | 'encounterKey'> & { facilityId: string | null }, encounter: EncounterInput, sourceTime: Date | null): Promise<string> {
  const row = await upsertEncounter(db, target.patientId, target.recordId, ...encounterValues(target, encounter, sourceTime));
  return row.rows[0]!.id;
}
