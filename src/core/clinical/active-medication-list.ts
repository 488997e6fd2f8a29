import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { FactInput, FactKind } from '../../model/clinical.ts';
import { flagConfidence } from '../../model/quality.ts';
import type { Db, Tx } from '../../store/store.ts';

/**
 * Medications from a source whose profile says `medications: 'active-only'`. Such a source sends a patient's whole
 * active list in every medication message and never says that one stopped: it just leaves it out. So a medication a
 * list names, and a later list leaves out, is marked stopped. Vigil says so as an inference (derivation `inferred`,
 * lowered confidence, `absent_since` = the time of the list that left it out), never as the source's word; the fact's
 * versions keep only what the source sent, and a later list that names it again makes it active again.
 *
 * Lists are stored, and the inference is recomputed from all of a record's lists and facts whenever one of them
 * changes, so it ends the same whatever order lists and orders arrive in, and however often each is delivered.
 *
 * After the source merges a record into another (ADT A40), the survivor's lists are the person's whole list: a list
 * the survivor gets at or after the merge's source time speaks for the retired record's orders too (they keep their
 * record). One from before the merge does not: it was the list of the other chart. An unmerge takes that back. A merge
 * stated without a time extends no list.
 */

/** Orders and statements make up a list; administrations and dispenses are events, not a list of what is taken. */
const LISTED_KINDS: ReadonlySet<FactKind> = new Set<FactKind>(['medication-request', 'medication-statement']);

/** Statuses of a medication still on the list: only these can be inferred stopped. */
const LIVE_STATUSES: readonly string[] = ['active', 'on-hold', 'intended', 'draft', 'unknown'];

export interface ActiveListInput {
  sourceId: string;
  recordId: string;
  /** The message's source time (MSH-7, or the Bundle's time): a list without one cannot be ordered, so is not a list. */
  listedAt: Date | null;
  messageId: string;
  /** The facts the message gave for this record. */
  facts: readonly FactInput[];
}

/**
 * Applies a message from an active-only source. A message is a list only if it names at least one live medication:
 * one that only discontinues an order is not the patient's whole list, and reading it as one would stop everything
 * else. Either way, its medications may have moved relative to earlier lists, so the record's inference is redone.
 */
export async function applyActiveMedicationList(db: Db | Tx, input: ActiveListInput): Promise<void> {
  const listed = input.facts.filter((f) => LISTED_KINDS.has(f.kind));
  if (listed.length === 0) return;
  if (input.listedAt && listed.some((f) => LIVE_STATUSES.includes(f.status))) {
    const keys = [...new Set(listed.map((f) => f.sourceKey))].sort();
    await sql`
      INSERT INTO clinical_medication_lists (source_id, record_id, listed_at, source_keys, message_id)
      VALUES (${input.sourceId}::uuid, ${input.recordId}::uuid, ${input.listedAt}::timestamptz, ${keys}::text[], ${input.messageId}::uuid)
      ON CONFLICT (source_id, record_id, listed_at) DO UPDATE SET
        source_keys = ARRAY(SELECT DISTINCT k FROM unnest(clinical_medication_lists.source_keys || excluded.source_keys) AS k ORDER BY k)`.execute(db);
  }
  await inferAbsentMedications(db, input.sourceId, input.recordId);
}

/**
 * Recomputes the inference for one record of one source: a live medication is absent from the first list after its
 * current version's source time that does not name it. Rows whose state is already right are not touched; a row that
 * is no longer absent gets back what its current version says.
 */
export async function inferAbsentMedications(db: Db | Tx, sourceId: string, recordId: string): Promise<number> {
  return recompute(db, sourceId, sql<SqlBool>`f.record_id IN (${mergedInto(recordId)})`);
}

/**
 * Redoes the inference for records whose merges changed outside the gateway (an operator's unmerge), each with the
 * records merged into it. Returns how many facts changed.
 */
export async function reinferMedicationsOf(db: Db | Tx, recordIds: readonly string[]): Promise<number> {
  if (recordIds.length === 0) return 0;
  const records = await db.selectFrom('patient_records').select(['id', 'source_id']).where('id', 'in', [...recordIds]).execute();
  let changed = 0;
  for (const r of records) changed += await inferAbsentMedications(db, r.source_id, r.id);
  return changed;
}

/** The record and every record the source merged into it, directly or through others, as a query of one column. */
function mergedInto(recordId: string): RawBuilder<unknown> {
  return sql`
    WITH RECURSIVE family(id) AS (
      SELECT ${recordId}::uuid
      UNION SELECT p.id FROM patient_records p JOIN family ON p.retired_into = family.id)
    SELECT id FROM family`;
}

/**
 * A source's profile no longer says active-only: its lists stop meaning anything, and every medication inferred
 * stopped from them gets back what its current version says (the recompute finds no list left). Returns how many
 * facts changed.
 */
export async function forgetActiveMedicationLists(db: Db | Tx, sourceId: string): Promise<number> {
  await sql`DELETE FROM clinical_medication_lists WHERE source_id = ${sourceId}::uuid`.execute(db);
  return recompute(db, sourceId, sql<SqlBool>`f.absent_since IS NOT NULL`);
}

/** The inference over the source's medications that `scope` selects. */
async function recompute(db: Db | Tx, sourceId: string, scope: RawBuilder<SqlBool>): Promise<number> {
  // Whose lists speak for a fact's record, and from when: its own always, then each record it was merged into from the
  // merge's time on (through a chain of merges, from the latest of their times).
  const result = await sql<{ id: string }>`
    WITH RECURSIVE speaking(fact_record_id, record_id, since) AS (
      SELECT DISTINCT f.record_id, f.record_id, '-infinity'::timestamptz FROM clinical_facts f
      WHERE f.source_id = ${sourceId}::uuid AND ${scope} AND f.kind = ANY (${[...LISTED_KINDS]}::text[]) AND f.record_id IS NOT NULL
      UNION
      SELECT s.fact_record_id, p.retired_into, GREATEST(s.since, p.retired_at)
      FROM speaking s JOIN patient_records p ON p.id = s.record_id
      WHERE p.retired_into IS NOT NULL AND p.retired_at IS NOT NULL),
    x AS (
      SELECT f.id, cv.status AS stated, cv.provenance,
        CASE WHEN cv.status = ANY (${LIVE_STATUSES}::text[]) THEN (
          SELECT min(l.listed_at) FROM speaking s JOIN clinical_medication_lists l ON l.record_id = s.record_id AND l.listed_at >= s.since
          WHERE s.fact_record_id = f.record_id AND l.source_id = f.source_id
            AND l.listed_at > COALESCE(cv.source_time, '-infinity'::timestamptz)
            AND NOT (f.source_key = ANY (l.source_keys))) END AS absent
      FROM clinical_facts f JOIN clinical_fact_versions cv ON cv.id = f.current_version_id
      WHERE f.source_id = ${sourceId}::uuid AND ${scope} AND f.kind = ANY (${[...LISTED_KINDS]}::text[])),
    t AS (
      SELECT id, absent,
        CASE WHEN absent IS NULL THEN stated ELSE 'stopped' END AS status,
        CASE WHEN absent IS NULL THEN provenance->>'derivation' ELSE 'inferred' END AS derivation,
        CASE WHEN absent IS NULL THEN (provenance->>'confidence')::real
             ELSE LEAST((provenance->>'confidence')::real, ${flagConfidence('absent-from-active-list')}::real) END AS confidence
      FROM x)
    UPDATE clinical_facts f SET absent_since = t.absent, status = t.status, derivation = t.derivation, confidence = t.confidence
    FROM t
    WHERE f.id = t.id AND (f.absent_since, f.status, f.derivation, f.confidence) IS DISTINCT FROM (t.absent, t.status, t.derivation, t.confidence)
    RETURNING f.id`.execute(db);
  return result.rows.length;
}
