import { sql, type RawBuilder } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { VigilError } from '../../errors.ts';
import type { Db, Tx } from '../../store/store.ts';
import { refreshGoldenRecord, refreshGoldenRecords } from './golden-record.ts';

/**
 * Merges that a source states (HL7 ADT A40, FHIR Patient.link `replaced-by`) and their undoing. A merge moves every
 * record of the retired person's Vigil patient onto the survivor's; facts follow their record, so nothing is copied
 * and every fact keeps its provenance. Each move is a link event in one merge group, and an unmerge replays the group
 * backwards: the state before the merge comes back exactly.
 */
export interface MergeOutcome {
  mergeId: string;
  survivorPatientId: string;
  retiredPatientId: string;
  movedRecords: number;
  alreadyMerged: boolean;
}

/**
 * Records moved onto patient `to` by the data-modifying CTE `moving` (its rows: the ids of the records moved), with what
 * follows them, as CTEs to go after it: their facts and encounters, and the identifier index, which holds their
 * identifiers on `to` and no longer on the patient they left. Identifiers go in record id order: where two records
 * give the same one, the index keeps the first.
 *
 * The followers find the moved records by their ids as an array (an index scan whatever the statistics), not by a
 * join with `moving`: on tables without statistics yet (a new installation, a table just filled) the planner took the
 * join for a large one and read the whole of clinical_facts for each merge, 12 ms where the index takes under one.
 */
function recordsFollowed(moving: RawBuilder<unknown>, to: string): RawBuilder<unknown> {
  return sql`
    moving AS (${moving}),
    moved AS (SELECT ARRAY(SELECT id FROM moving) AS ids),
    facts AS (UPDATE clinical_facts f SET patient_id = ${to}::uuid WHERE f.record_id = ANY ((SELECT ids FROM moved)::uuid[])),
    visits AS (UPDATE encounters e SET patient_id = ${to}::uuid WHERE e.record_id = ANY ((SELECT ids FROM moved)::uuid[])),
    unprojected AS (DELETE FROM patient_identifiers pi WHERE pi.record_id = ANY ((SELECT ids FROM moved)::uuid[]) AND pi.patient_id <> ${to}::uuid),
    projected AS (
      INSERT INTO patient_identifiers (patient_id, system, value, record_id)
      SELECT ${to}::uuid, i.system, i.value, i.record_id FROM patient_record_identifiers i WHERE i.record_id = ANY ((SELECT ids FROM moved)::uuid[])
      ORDER BY i.record_id, i.system, i.value
      ON CONFLICT (system, value, patient_id) DO NOTHING)`;
}

/** Moves one record onto a patient, its facts, encounters and identifiers with it, in one statement. */
export async function repoint(db: Db | Tx, recordId: string, patientId: string): Promise<void> {
  await sql`
    WITH ${recordsFollowed(sql`UPDATE patient_records SET patient_id = ${patientId}::uuid, updated_at = now() WHERE id = ${recordId}::uuid RETURNING id`, patientId)}
    SELECT count(*) AS n FROM moving`.execute(db);
}

/** One link decision of a source statement or its undoing (no weight: a source or a person decided, not the matcher). */
async function recordLinkEvent(
  db: Db | Tx,
  e: { recordId: string; from: string; to: string; decision: string; evidence: object; actor: string; messageId: string | null; undoes?: string },
): Promise<void> {
  await db
    .insertInto('identity_link_events')
    .values({ record_id: e.recordId, from_patient_id: e.from, to_patient_id: e.to, decision: e.decision, weight: null, evidence: JSON.stringify(e.evidence), actor: e.actor, message_id: e.messageId, undoes: e.undoes ?? null })
    .execute();
}

/** The records named, with the patient each sits on now (absent when unknown). */
async function recordsByIds(db: Db | Tx, ids: readonly string[]) {
  const rows = await db.selectFrom('patient_records').select(['id', 'patient_id', 'retired_into', 'retired_at']).where('id', 'in', [...ids]).execute();
  return ids.map((id) => rows.find((r) => r.id === id));
}

/**
 * Moves every record of patient `from` onto `to` (facts and encounters follow their record, the identifier index
 * follows too), recording a link event for each record other than `named` (whose own event the caller wrote), and
 * leaves `from` as an empty shell that points to `to`. Returns how many records moved.
 *
 * One statement (recordsFollowed, as `repoint` for one record), where moving record by record took five or six round
 * trips a record (a merge in the gateway's bench moved two records in about fifteen).
 */
async function moveAllRecords(
  db: Db | Tx,
  move: { from: string; to: string; named: string; decision: 'moved-by-merge' | 'moved-by-link'; evidence: Record<string, string>; actor: string; messageId: string | null },
): Promise<number> {
  if (move.from === move.to) return 0;
  const moved = await sql<{ n: string }>`
    WITH ${recordsFollowed(sql`UPDATE patient_records SET patient_id = ${move.to}::uuid, updated_at = now() WHERE patient_id = ${move.from}::uuid RETURNING id`, move.to)},
    events AS (
      INSERT INTO identity_link_events (record_id, from_patient_id, to_patient_id, decision, weight, evidence, actor, message_id, undoes)
      SELECT m.id, ${move.from}::uuid, ${move.to}::uuid, ${move.decision}, NULL, ${JSON.stringify(move.evidence)}::jsonb, ${move.actor}, ${move.messageId}::uuid, NULL
      FROM moving m WHERE m.id <> ${move.named}::uuid ORDER BY m.id),
    shell AS (UPDATE patients SET merged_into = ${move.to}::uuid, updated_at = now() WHERE id = ${move.from}::uuid)
    SELECT count(*) AS n FROM moving`.execute(db);
  return Number(moved.rows[0]!.n);
}

/** `sourceTime` is when the source stated the merge (MSH-7), kept as the record's `retired_at`; absent, unknown. */
export async function mergeRecords(db: Db | Tx, input: { survivorRecordId: string; retiredRecordId: string; actor: string; messageId: string | null; sourceTime?: Date | null }): Promise<MergeOutcome> {
  const [survivor, retired] = await recordsByIds(db, [input.survivorRecordId, input.retiredRecordId]);
  if (!survivor || !retired) throw new VigilError('merge-record-unknown', 404, 'A record named by the merge is not in the index.');
  const mergeId = uuidv7();
  if (survivor.patient_id === retired.patient_id && retired.retired_into === survivor.id) {
    // The same merge stated again: its time is the earliest statement's, whatever order the copies arrive in.
    if (input.sourceTime && (!retired.retired_at || input.sourceTime < retired.retired_at)) {
      await db.updateTable('patient_records').set({ retired_at: input.sourceTime }).where('id', '=', retired.id).execute();
    }
    return { mergeId, survivorPatientId: survivor.patient_id, retiredPatientId: retired.patient_id, movedRecords: 0, alreadyMerged: true };
  }
  const from = retired.patient_id;
  const to = survivor.patient_id;
  await db.updateTable('patient_records').set({ retired_into: survivor.id, retired_at: input.sourceTime ?? null }).where('id', '=', retired.id).execute();
  await recordLinkEvent(db, { recordId: retired.id, from, to, decision: 'source-merge', evidence: { merge: mergeId, retiredInto: survivor.id }, actor: input.actor, messageId: input.messageId });
  const moved = await moveAllRecords(db, { from, to, named: retired.id, decision: 'moved-by-merge', evidence: { merge: mergeId }, actor: input.actor, messageId: input.messageId });
  await refreshGoldenRecord(db, to);
  return { mergeId, survivorPatientId: to, retiredPatientId: from, movedRecords: moved, alreadyMerged: false };
}

/** Undoes one merge group: every record goes back to the patient it left, the retired record becomes live again. */
export async function unmerge(db: Db | Tx, input: { mergeId: string; actor: string }): Promise<{ restoredRecords: number; patientId: string }> {
  return undoGroup(db, { group: 'merge', id: input.mergeId, actor: input.actor, messageId: null });
}

/** The link events of a source's merge or link group, and what an unknown or undone group is called. */
export const SOURCE_GROUPS = {
  merge: { decisions: ['source-merge', 'moved-by-merge'], undo: 'unmerge', unknown: 'No merge with that id is recorded.', done: 'This merge was already undone.' },
  link: { decisions: ['source-link', 'moved-by-link'], undo: 'source-unlink', unknown: 'No source link with that id is recorded.', done: 'This link was already undone.' },
} as const;

/** Replays a merge or link group backwards: the state before it comes back exactly. */
async function undoGroup(
  db: Db | Tx,
  input: { group: keyof typeof SOURCE_GROUPS; id: string; actor: string; messageId: string | null; evidence?: Record<string, string | null>; decision?: string },
): Promise<{ restoredRecords: number; patientId: string }> {
  const group = SOURCE_GROUPS[input.group];
  const events = await sql<{ id: string; record_id: string; from_patient_id: string; to_patient_id: string; decision: string }>`
    SELECT id, record_id, from_patient_id, to_patient_id, decision FROM identity_link_events
    WHERE evidence->>${input.group} = ${input.id} AND decision = ANY(${[...group.decisions]}::text[]) ORDER BY id DESC`.execute(db);
  if (events.rows.length === 0) throw new VigilError(`${input.group}-unknown`, 404, group.unknown);
  const undone = await db.selectFrom('identity_link_events').select('id').where('undoes', 'in', events.rows.map((e) => e.id)).executeTakeFirst();
  if (undone) throw new VigilError(`${input.group}-already-undone`, 409, group.done);
  for (const e of events.rows) {
    if (e.decision === 'source-merge') await db.updateTable('patient_records').set({ retired_into: null, retired_at: null }).where('id', '=', e.record_id).execute();
    if (e.from_patient_id !== e.to_patient_id) await repoint(db, e.record_id, e.from_patient_id);
    await recordLinkEvent(db, { recordId: e.record_id, from: e.to_patient_id, to: e.from_patient_id, decision: input.decision ?? group.undo, evidence: { [input.group]: input.id, ...input.evidence }, actor: input.actor, messageId: input.messageId, undoes: e.id });
  }
  // Every event of a group moved its record from the same patient to the same other one.
  const first = events.rows[0]!;
  await db.updateTable('patients').set({ merged_into: null, updated_at: sql`now()` }).where('id', '=', first.from_patient_id).where('merged_into', '=', first.to_patient_id).execute();
  await refreshGoldenRecords(db, [first.from_patient_id, first.to_patient_id]);
  return { restoredRecords: events.rows.length, patientId: first.from_patient_id };
}

interface PairInput {
  firstRecordId: string;
  secondRecordId: string;
  /** When the source said it (MSH-7): a link and an unlink of one pair apply in this order, whatever order they arrive in. */
  sourceTime: Date | null;
  actor: string;
  messageId: string | null;
}

/** Events about this pair of records: their evidence names the other record (`with`) and the source time (`at`). */
const pairEvents = (pair: readonly string[]) =>
  sql`e.record_id = ANY(${pair}::uuid[]) AND e.evidence->>'with' = ANY(${pair}::text[]) AND e.record_id::text <> e.evidence->>'with'`;
const atOf = (t: Date | null) => t?.toISOString() ?? null;

/**
 * The source linked two of its records as one person and keeps both (HL7 ADT A24): the second's patient joins the
 * first's. A link the source has since taken back (an A37 with a later source time, delivered first) is not made.
 */
export async function linkRecords(db: Db | Tx, input: PairInput): Promise<{ patientIds: string[]; movedRecords: number }> {
  const pair = [input.firstRecordId, input.secondRecordId];
  const [first, second] = await recordsByIds(db, pair);
  if (!first || !second) throw new VigilError('link-record-unknown', 404, 'A record named by the link is not in the index.');
  // Already one patient (a repeated A24, or Vigil matched them before): nothing to move and nothing to undo later.
  if (first.patient_id === second.patient_id) return { patientIds: [first.patient_id], movedRecords: 0 };
  const takenBack = await sql<{ n: number }>`
    SELECT 1 AS n FROM identity_link_events e
    WHERE e.decision IN ('source-unlink', 'source-not-linked') AND ${pairEvents(pair)}
      AND (e.evidence->>'at')::timestamptz > COALESCE(${atOf(input.sourceTime)}::timestamptz, '-infinity'::timestamptz)
    LIMIT 1`.execute(db);
  if (takenBack.rows.length > 0) return { patientIds: [first.patient_id, second.patient_id], movedRecords: 0 };
  const evidence = { link: uuidv7(), with: first.id, at: atOf(input.sourceTime) };
  await recordLinkEvent(db, { recordId: second.id, from: second.patient_id, to: first.patient_id, decision: 'source-link', evidence, actor: input.actor, messageId: input.messageId });
  const moved = await moveAllRecords(db, { from: second.patient_id, to: first.patient_id, named: second.id, decision: 'moved-by-link', evidence: { link: evidence.link }, actor: input.actor, messageId: input.messageId });
  await refreshGoldenRecord(db, first.patient_id);
  return { patientIds: [first.patient_id], movedRecords: moved };
}

/**
 * A person undoes a link a source stated (the identity history's correction): as the source's own unlink would, but
 * recorded as a person's. A replay of the source's A24 would link them again, as a replayed A40 merges again.
 */
export async function undoSourceLink(db: Db | Tx, input: { linkId: string; actor: string }): Promise<{ restoredRecords: number; patientId: string }> {
  return undoGroup(db, { group: 'link', id: input.linkId, actor: input.actor, messageId: null, decision: 'person-unlink-source' });
}

/** Refused unlink: the two records are one patient, but not by a link their source made; a person must split them. */
export class UnlinkNeedsReviewError extends VigilError {
  constructor() {
    super('unlink-needs-review', 422, 'The source says these two records are not one person, but Vigil joined them by its own matching or a person did, not by a link from this source. Split them in the identity review, then reprocess this message.');
  }
}

/**
 * The source says two of its records are not one person after all (HL7 ADT A37): its link between them that is in
 * force, made before this, is undone. A link made after it (a later A24 delivered first) stands. When there is nothing
 * to undo, the statement is kept, so that an older A24 arriving late does not join them.
 */
export async function unlinkRecords(db: Db | Tx, input: PairInput): Promise<{ patientIds: string[]; restoredRecords: number }> {
  const pair = [input.firstRecordId, input.secondRecordId];
  const at = atOf(input.sourceTime);
  const links = await sql<{ link: string; later: boolean }>`
    SELECT e.evidence->>'link' AS link,
      COALESCE((e.evidence->>'at')::timestamptz, '-infinity'::timestamptz) > COALESCE(${at}::timestamptz, 'infinity'::timestamptz) AS later
    FROM identity_link_events e
    WHERE e.decision = 'source-link' AND ${pairEvents(pair)} AND NOT EXISTS (SELECT 1 FROM identity_link_events u WHERE u.undoes = e.id)
    ORDER BY e.id DESC LIMIT 1`.execute(db);
  const [first, second] = await recordsByIds(db, pair);
  const patients = [...new Set([first, second].flatMap((r) => (r ? [r.patient_id] : [])))];
  const link = links.rows[0];
  if (link?.later) return { patientIds: patients, restoredRecords: 0 };
  if (link) {
    const undone = await undoGroup(db, { group: 'link', id: link.link, actor: input.actor, messageId: input.messageId, evidence: { with: input.firstRecordId, at } });
    return { patientIds: [...new Set([...patients, undone.patientId])], restoredRecords: undone.restoredRecords };
  }
  if (patients.length === 1) throw new UnlinkNeedsReviewError();
  await recordLinkEvent(db, { recordId: second!.id, from: second!.patient_id, to: second!.patient_id, decision: 'source-not-linked', evidence: { with: input.firstRecordId, at }, actor: input.actor, messageId: input.messageId });
  return { patientIds: patients, restoredRecords: 0 };
}
