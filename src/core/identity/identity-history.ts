import { sql } from 'kysely';
import { decide } from '../../controls/access/pdp.ts';
import type { RequestFacts, Subject } from '../../controls/access/subject.ts';
import { ForbiddenError, NotFoundError, VigilError } from '../../errors.ts';
import type { LinkReason } from '../../store/schema.ts';
import type { Store, Tx } from '../../store/store.ts';
import { refreshGoldenRecord } from './golden-record.ts';
import { repoint, SOURCE_GROUPS, undoSourceLink, unmerge } from './merge.ts';
import { livePatient, lockIdentifiers, newPatient } from './resolve.ts';
import { actorOf, auditPatients, loadRecords, recordIdentifiers, reviewers, type ReviewRecord, type Reviewer } from './review-queue.ts';

/**
 * What an identity operator needs when two people were joined or one person was split wrongly: a patient's records and
 * every link decision that touched them, newest first, and the ways back. A source merge (A40, Patient.link) is undone
 * as a whole group; a record that was linked automatically is split off into a patient of its own; a split or a link a
 * person made is undone from its event. Each change takes the resolver's identifier locks first (so a message about
 * the same person waits), needs a reason, and is audited against every patient it touches in the same transaction.
 */
export type HistoryAction =
  | { kind: 'unmerge'; mergeId: string }
  | { kind: 'undo-source-link'; linkId: string }
  | { kind: 'undo-link'; eventId: string }
  | { kind: 'undo-split'; eventId: string };

export interface LinkEventView {
  id: string;
  at: string;
  /** new-patient, same-identifier, probabilistic, source-merge, moved-by-merge, unmerge, person-link, person-unlink, person-split, person-unsplit */
  decision: string;
  recordId: string;
  source: string;
  fromPatientId: string | null;
  toPatientId: string | null;
  by: Reviewer;
  weight: number | null;
  reason: string | null;
  undone: boolean;
  /** What an operator may do about this event now; null when nothing (or it is done from another event). */
  action: HistoryAction | null;
}

export interface IdentityHistory {
  patientId: string;
  /** The patient this one was merged into, followed to the end; equals patientId for a live patient. */
  livePatientId: string;
  records: (ReviewRecord & { mayBeSplit: boolean })[];
  events: LinkEventView[];
}

export interface SplitOutcome {
  eventId: string;
  recordId: string;
  fromPatientId: string;
  newPatientId: string;
}

export interface UnsplitOutcome {
  eventId: string;
  recordId: string;
  restoredToPatientId: string;
}

export interface UnmergeOutcome {
  mergeId: string;
  restoredRecords: number;
  restoredPatientId: string;
}

const HISTORY_LIMIT = 200;
const LINK_REASONS: readonly LinkReason[] = ['new-patient', 'same-identifier', 'probabilistic', 'source-merge', 'person'];

interface EventRow {
  id: string;
  at: Date;
  decision: string;
  record_id: string;
  source_name: string;
  from_patient_id: string | null;
  to_patient_id: string | null;
  actor: string;
  weight: number | null;
  evidence: { merge?: string; link?: string; reason?: string; note?: string } | null;
  undone: boolean;
}

export class IdentityHistoryService {
  /**
   * `afterUnmerge` runs in the transaction of an unmerge with the records that moved back, for what other modules keep
   * per record and merge (the clinical inference over active medication lists), which identity does not know about. An
   * undone source link retires no record, so it has nothing to tell them.
   */
  constructor(
    private readonly store: Store,
    private readonly afterUnmerge: (trx: Tx, recordIds: readonly string[]) => Promise<unknown> = async () => undefined,
  ) {}

  private permit(subject: Subject): void {
    const decision = decide({ subject, action: 'identity.review' });
    if (!decision.permit) throw new ForbiddenError(decision.reason, 'Your roles do not include correcting patient identity.');
  }

  private audit(trx: Tx, subject: Subject, facts: RequestFacts, action: string, code: 'R' | 'U', patientIds: readonly string[], details: Record<string, unknown>): Promise<void> {
    return auditPatients(trx, subject, facts, action, code, patientIds, details);
  }

  async history(subject: Subject, facts: RequestFacts, patientId: string): Promise<IdentityHistory> {
    this.permit(subject);
    return this.store.tx(async (trx) => {
      const patient = await trx.selectFrom('patients').select('id').where('id', '=', patientId).executeTakeFirst();
      if (!patient) throw new NotFoundError('No patient has this id.');
      const live = await livePatient(trx, patientId);
      const records = await loadRecords(trx, { patientIds: [patientId] });
      const rows = await sql<EventRow>`
        select e.id, e.at, e.decision, e.record_id, s.name as source_name, e.from_patient_id, e.to_patient_id, e.actor, e.weight, e.evidence,
               exists (select 1 from identity_link_events u where u.undoes = e.id) as undone
          from identity_link_events e join patient_records r on r.id = e.record_id join gateway_sources s on s.id = r.source_id
         where e.from_patient_id = ${patientId}::uuid or e.to_patient_id = ${patientId}::uuid
            or e.record_id in (select id from patient_records where patient_id = ${patientId}::uuid)
         order by e.id desc limit ${HISTORY_LIMIT}`.execute(trx);
      const people = await reviewers(trx, rows.rows.map((r) => r.actor));
      const live_ = records.filter((r) => !r.retired).length;
      const events = rows.rows.map((r) => eventView(r, people));
      await this.audit(trx, subject, facts, 'identity.history.read', 'R', [patientId], { records: records.length, events: events.length });
      return {
        patientId,
        livePatientId: live,
        records: records.map((r) => ({ ...r, mayBeSplit: !r.retired && live_ > 1 })),
        events,
      };
    });
  }

  /** Detaches one record (with its facts and encounters) into a new patient of its own: the way out of a wrong automatic link. */
  async split(subject: Subject, facts: RequestFacts, recordId: string, reason: string): Promise<SplitOutcome> {
    this.permit(subject);
    const why = requireReason(reason);
    return this.store.tx(async (trx) => {
      await lockIdentifiers(trx, await recordIdentifiers(trx, recordId));
      const record = await trx.selectFrom('patient_records').select(['id', 'patient_id', 'link_reason', 'retired_into']).where('id', '=', recordId).forUpdate().executeTakeFirst();
      if (!record) throw new NotFoundError('No patient record has this id.');
      if (record.retired_into) throw new VigilError('record-retired', 409, 'The source merged this record into another one; undo that merge instead of splitting.');
      const others = await trx.selectFrom('patient_records').select('id').where('patient_id', '=', record.patient_id).where('id', '!=', record.id).where('retired_into', 'is', null).executeTakeFirst();
      if (!others) throw new VigilError('record-alone', 409, 'This is the only live record of its patient; there is nothing to split it from.');
      const from = record.patient_id;
      const facility = await trx.selectFrom('patients').select('managing_facility_id').where('id', '=', from).executeTakeFirstOrThrow();
      const to = await newPatient(trx, facility.managing_facility_id ?? undefined);
      await repoint(trx, record.id, to);
      await trx.updateTable('patient_records').set({ link_reason: 'person' }).where('id', '=', record.id).execute();
      const event = await trx
        .insertInto('identity_link_events')
        .values({ record_id: record.id, from_patient_id: from, to_patient_id: to, decision: 'person-split', weight: null, evidence: JSON.stringify({ reason: why, previousLinkReason: record.link_reason }), actor: actorOf(subject), message_id: null, undoes: null })
        .returning('id')
        .executeTakeFirstOrThrow();
      await refreshGoldenRecord(trx, to);
      await refreshGoldenRecord(trx, from);
      await this.audit(trx, subject, facts, 'identity.split', 'U', [from, to], { recordId: record.id, linkEvent: String(event.id), from, to, reason: why });
      return { eventId: String(event.id), recordId: record.id, fromPatientId: from, newPatientId: to };
    });
  }

  /** Puts a split record back with the patient it left; the patient the split made is left empty and points there. */
  async undoSplit(subject: Subject, facts: RequestFacts, eventId: string, reason: string): Promise<UnsplitOutcome> {
    this.permit(subject);
    const why = requireReason(reason);
    return this.store.tx(async (trx) => {
      const event = await trx.selectFrom('identity_link_events').selectAll().where('id', '=', eventId).executeTakeFirst();
      if (!event || event.decision !== 'person-split' || !event.from_patient_id || !event.to_patient_id) throw new NotFoundError('No split has this event id.');
      await lockIdentifiers(trx, await recordIdentifiers(trx, event.record_id));
      const undone = await trx.selectFrom('identity_link_events').select('id').where('undoes', '=', event.id).executeTakeFirst();
      if (undone) throw new VigilError('split-already-undone', 409, 'This split was already undone.');
      const record = await trx.selectFrom('patient_records').select(['id', 'patient_id']).where('id', '=', event.record_id).forUpdate().executeTakeFirstOrThrow();
      if (record.patient_id !== event.to_patient_id) throw new VigilError('record-moved-since', 409, 'The record has moved since this split; undo the later change first.');
      const target = await livePatient(trx, event.from_patient_id);
      await repoint(trx, record.id, target);
      const previous = (event.evidence as { previousLinkReason?: LinkReason } | null)?.previousLinkReason;
      if (previous && LINK_REASONS.includes(previous)) await trx.updateTable('patient_records').set({ link_reason: previous }).where('id', '=', record.id).execute();
      const remaining = await trx.selectFrom('patient_records').select('id').where('patient_id', '=', event.to_patient_id).executeTakeFirst();
      if (!remaining) await trx.updateTable('patients').set({ merged_into: target, updated_at: sql`now()` }).where('id', '=', event.to_patient_id).execute();
      const back = await trx
        .insertInto('identity_link_events')
        .values({ record_id: record.id, from_patient_id: event.to_patient_id, to_patient_id: target, decision: 'person-unsplit', weight: null, evidence: JSON.stringify({ reason: why }), actor: actorOf(subject), message_id: null, undoes: event.id })
        .returning('id')
        .executeTakeFirstOrThrow();
      await refreshGoldenRecord(trx, target);
      if (remaining) await refreshGoldenRecord(trx, event.to_patient_id);
      await this.audit(trx, subject, facts, 'identity.unsplit', 'U', [target, event.to_patient_id], { recordId: record.id, linkEvent: eventId, unsplitEvent: String(back.id), reason: why });
      return { eventId: String(back.id), recordId: record.id, restoredToPatientId: target };
    });
  }

  /** Undoes a merge a source stated: every record it moved goes back, and the retired record is live again. */
  async unmerge(subject: Subject, facts: RequestFacts, mergeId: string, reason: string): Promise<UnmergeOutcome> {
    return { mergeId, ...(await this.undoSourceStatement(subject, facts, 'merge', mergeId, reason)) };
  }

  /** Undoes a link a source stated (ADT A24): every record it moved goes back to the patient it came from. */
  async undoSourceLink(subject: Subject, facts: RequestFacts, linkId: string, reason: string): Promise<{ linkId: string; restoredRecords: number; restoredPatientId: string }> {
    return { linkId, ...(await this.undoSourceStatement(subject, facts, 'link', linkId, reason)) };
  }

  private async undoSourceStatement(subject: Subject, facts: RequestFacts, group: 'merge' | 'link', id: string, reason: string): Promise<{ restoredRecords: number; restoredPatientId: string }> {
    this.permit(subject);
    const why = requireReason(reason);
    return this.store.tx(async (trx) => {
      const moved = await sql<{ record_id: string; from_patient_id: string; to_patient_id: string }>`
        select record_id, from_patient_id, to_patient_id from identity_link_events
         where evidence->>${group} = ${id} and decision = any(${[...SOURCE_GROUPS[group].decisions]}::text[])`.execute(trx);
      if (moved.rows.length === 0) throw new NotFoundError(SOURCE_GROUPS[group].unknown);
      const identifiers = (await Promise.all(moved.rows.map((r) => recordIdentifiers(trx, r.record_id)))).flat();
      await lockIdentifiers(trx, identifiers);
      const actor = actorOf(subject);
      const outcome = group === 'merge' ? await unmerge(trx, { mergeId: id, actor }) : await undoSourceLink(trx, { linkId: id, actor });
      if (group === 'merge') await this.afterUnmerge(trx, [...new Set(moved.rows.map((r) => r.record_id))]);
      const patients = moved.rows.flatMap((r) => [r.from_patient_id, r.to_patient_id]);
      await this.audit(trx, subject, facts, group === 'merge' ? 'identity.unmerge' : 'identity.unlink-source', 'U', patients, { [group]: id, restoredRecords: outcome.restoredRecords, reason: why });
      return { restoredRecords: outcome.restoredRecords, restoredPatientId: outcome.patientId };
    });
  }
}

function eventView(r: EventRow, people: Map<string, Reviewer>): LinkEventView {
  let action: HistoryAction | null = null;
  if (!r.undone && r.decision === 'source-merge' && r.evidence?.merge) action = { kind: 'unmerge', mergeId: r.evidence.merge };
  if (!r.undone && r.decision === 'source-link' && r.evidence?.link) action = { kind: 'undo-source-link', linkId: r.evidence.link };
  if (!r.undone && r.decision === 'person-link') action = { kind: 'undo-link', eventId: String(r.id) };
  if (!r.undone && r.decision === 'person-split') action = { kind: 'undo-split', eventId: String(r.id) };
  return {
    id: String(r.id),
    at: r.at.toISOString(),
    decision: r.decision,
    recordId: r.record_id,
    source: r.source_name,
    fromPatientId: r.from_patient_id,
    toPatientId: r.to_patient_id,
    by: people.get(r.actor) ?? { id: r.actor, name: null },
    weight: r.weight,
    reason: r.evidence?.reason ?? r.evidence?.note ?? null,
    undone: r.undone,
    action,
  };
}

function requireReason(reason: string): string {
  const why = reason.trim();
  if (why.length < 3) throw new VigilError('reason-required', 400, 'Say why (at least 3 characters): identity corrections are reviewed later from the audit trail.');
  return why;
}
