import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { VigilError } from '../../errors.ts';
import type { Db, Tx } from '../../store/store.ts';
import { projectRecordIdentifiers, refreshGoldenRecord } from './golden-record.ts';

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

export async function repoint(db: Db | Tx, recordId: string, patientId: string): Promise<void> {
  await db.updateTable('patient_records').set({ patient_id: patientId, updated_at: sql`now()` }).where('id', '=', recordId).execute();
  await db.updateTable('clinical_facts').set({ patient_id: patientId }).where('record_id', '=', recordId).execute();
  await db.updateTable('encounters').set({ patient_id: patientId }).where('record_id', '=', recordId).execute();
  await projectRecordIdentifiers(db, recordId);
}

export async function mergeRecords(db: Db | Tx, input: { survivorRecordId: string; retiredRecordId: string; actor: string; messageId: string | null }): Promise<MergeOutcome> {
  const records = await db.selectFrom('patient_records').select(['id', 'patient_id', 'retired_into']).where('id', 'in', [input.survivorRecordId, input.retiredRecordId]).execute();
  const survivor = records.find((r) => r.id === input.survivorRecordId);
  const retired = records.find((r) => r.id === input.retiredRecordId);
  if (!survivor || !retired) throw new VigilError('merge-record-unknown', 404, 'A record named by the merge is not in the index.');
  const mergeId = uuidv7();
  if (survivor.patient_id === retired.patient_id && retired.retired_into === survivor.id) {
    return { mergeId, survivorPatientId: survivor.patient_id, retiredPatientId: retired.patient_id, movedRecords: 0, alreadyMerged: true };
  }
  const from = retired.patient_id;
  const to = survivor.patient_id;
  await db.updateTable('patient_records').set({ retired_into: survivor.id }).where('id', '=', retired.id).execute();
  await db
    .insertInto('identity_link_events')
    .values({ record_id: retired.id, from_patient_id: from, to_patient_id: to, decision: 'source-merge', weight: null, evidence: JSON.stringify({ merge: mergeId, retiredInto: survivor.id }), actor: input.actor, message_id: input.messageId, undoes: null })
    .execute();
  let moved = 0;
  if (from !== to) {
    const moving = await db.selectFrom('patient_records').select('id').where('patient_id', '=', from).execute();
    for (const r of moving) {
      await repoint(db, r.id, to);
      if (r.id !== retired.id) {
        await db
          .insertInto('identity_link_events')
          .values({ record_id: r.id, from_patient_id: from, to_patient_id: to, decision: 'moved-by-merge', weight: null, evidence: JSON.stringify({ merge: mergeId }), actor: input.actor, message_id: input.messageId, undoes: null })
          .execute();
      }
      moved++;
    }
    await db.updateTable('patients').set({ merged_into: to, updated_at: sql`now()` }).where('id', '=', from).execute();
  }
  await refreshGoldenRecord(db, to);
  return { mergeId, survivorPatientId: to, retiredPatientId: from, movedRecords: moved, alreadyMerged: false };
}

/** Undoes one merge group: every record goes back to the patient it left, the retired record becomes live again. */
export async function unmerge(db: Db | Tx, input: { mergeId: string; actor: string }): Promise<{ restoredRecords: number; patientId: string }> {
  const events = await sql<{ id: string; record_id: string; from_patient_id: string; to_patient_id: string; decision: string }>`
    SELECT id, record_id, from_patient_id, to_patient_id, decision FROM identity_link_events
    WHERE evidence->>'merge' = ${input.mergeId} AND decision IN ('source-merge', 'moved-by-merge') ORDER BY id DESC`.execute(db);
  if (events.rows.length === 0) throw new VigilError('merge-unknown', 404, 'No merge with that id is recorded.');
  const undone = await db.selectFrom('identity_link_events').select('id').where('undoes', 'in', events.rows.map((e) => e.id)).executeTakeFirst();
  if (undone) throw new VigilError('merge-already-undone', 409, 'This merge was already undone.');
  const restored = events.rows[0]!.from_patient_id;
  for (const e of events.rows) {
    if (e.decision === 'source-merge') await db.updateTable('patient_records').set({ retired_into: null }).where('id', '=', e.record_id).execute();
    if (e.from_patient_id !== e.to_patient_id) await repoint(db, e.record_id, e.from_patient_id);
    await db
      .insertInto('identity_link_events')
      .values({ record_id: e.record_id, from_patient_id: e.to_patient_id, to_patient_id: e.from_patient_id, decision: 'unmerge', weight: null, evidence: JSON.stringify({ merge: input.mergeId }), actor: input.actor, message_id: null, undoes: e.id })
      .execute();
  }
  const from = events.rows[0]!;
  await db.updateTable('patients').set({ merged_into: null, updated_at: sql`now()` }).where('id', '=', from.from_patient_id).where('merged_into', '=', from.to_patient_id).execute();
  await refreshGoldenRecord(db, from.from_patient_id);
  await refreshGoldenRecord(db, from.to_patient_id);
  return { restoredRecords: events.rows.length, patientId: restored };
}
