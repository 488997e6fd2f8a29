import { sql } from 'kysely';
import { ackContextOf } from '../adapters/hl7v2/ack.ts';
import type { RequestFacts, Subject } from '../controls/access/subject.ts';
import { recordAudit } from '../controls/audit/audit-event.ts';
import type { ArchiveKeys } from '../controls/keys/archive-keys.ts';
import { NotFoundError, VigilError } from '../errors.ts';
import type { Store, Tx } from '../store/store.ts';
import type { GatewayMessageState } from '../store/schema.ts';
import { storeArrival, timeline } from './inbox.ts';
import { maskedStructure } from './message-view.ts';
import type { SourceRegistry } from './sources.ts';

/**
 * The integration operator's console: browse the inbox, open a message (content masked unless revealed with a reason),
 * reprocess after a fix, replay a source over a time range, submit a corrected copy. Every action is audited; content
 * is revealed only through `reveal`, which records the reason.
 */
export interface MessageFilter {
  state?: GatewayMessageState;
  source?: string;
  type?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export interface MessageSummary {
  id: string;
  source: { id: string; name: string } | null;
  transport: string;
  receivedAt: string;
  type: string | null;
  controlId: string | null;
  state: GatewayMessageState;
  attempts: number;
  reasonCode: string | null;
  reason: string | null;
  ackCode: string | null;
  sizeBytes: number;
  processedAt: string | null;
  corrects: string | null;
  correctedBy: string | null;
  patients: number;
}

const REPROCESSABLE: readonly GatewayMessageState[] = ['quarantined', 'dead-letter', 'parked', 'processed', 'retrying'];

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function summaries(trx: Tx) {
  return trx
    .selectFrom('gateway_messages as m')
    .leftJoin('gateway_sources as s', 's.id', 'm.source_id')
    .select(['m.id', 'm.source_id', 's.name as source_name', 'm.transport', 'm.received_at', 'm.message_type', 'm.control_id', 'm.state', 'm.attempts', 'm.reason_code', 'm.reason', 'm.ack_code', 'm.size_bytes', 'm.processed_at', 'm.corrects', 'm.corrected_by', 'm.patient_ids']);
}

type SummaryRow = Awaited<ReturnType<ReturnType<typeof summaries>['executeTakeFirstOrThrow']>>;

function toSummary(r: SummaryRow): MessageSummary {
  return {
    id: r.id,
    source: r.source_id ? { id: r.source_id, name: r.source_name ?? '' } : null,
    transport: r.transport,
    receivedAt: r.received_at.toISOString(),
    type: r.message_type,
    controlId: r.control_id,
    state: r.state,
    attempts: r.attempts,
    reasonCode: r.reason_code,
    reason: r.reason,
    ackCode: r.ack_code,
    sizeBytes: r.size_bytes,
    processedAt: iso(r.processed_at as Date | null),
    corrects: r.corrects,
    correctedBy: r.corrected_by,
    patients: r.patient_ids.length,
  };
}

function encodeCursor(receivedAt: Date, id: string): string {
  return Buffer.from(`${receivedAt.toISOString()}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const when = new Date(at ?? '');
  if (!id || Number.isNaN(when.getTime())) throw new VigilError('invalid-cursor', 400, 'cursor is not one this server gave out; start again without it.');
  return { at: when, id };
}

export class OperatorConsole {
  constructor(
    private readonly store: Store,
    private readonly registry: SourceRegistry,
    private readonly archive: ArchiveKeys,
  ) {}

  private audit(trx: Tx, subject: Subject, facts: RequestFacts, action: string, code: 'R' | 'U' | 'C' | 'E', ids: string[], details: Record<string, unknown>, patientId?: string | null) {
    return recordAudit(trx, subject, facts, { action, actionCode: code, resourceType: 'Bundle', resourceIds: ids, patientId: patientId ?? null, outcome: 'success', details });
  }

  async list(subject: Subject, facts: RequestFacts, filter: MessageFilter): Promise<{ items: MessageSummary[]; next: string | null }> {
    return this.store.tx(async (trx) => {
      let q = summaries(trx)
        .orderBy('m.received_at', 'desc')
        .orderBy('m.id', 'desc')
        .limit(filter.limit + 1);
      if (filter.state) q = q.where('m.state', '=', filter.state);
      if (filter.source) q = filter.source === 'unregistered' ? q.where('m.source_id', 'is', null) : q.where((eb) => eb.or([eb('s.name', '=', filter.source!), eb(sql<string>`m.source_id::text`, '=', filter.source!)]));
      if (filter.type) q = filter.type.includes('^') ? q.where('m.message_type', '=', filter.type) : q.where('m.message_type', 'like', `${filter.type.replace(/[%_\\]/g, '')}^%`);
      if (filter.from) q = q.where('m.received_at', '>=', new Date(filter.from));
      if (filter.to) q = q.where('m.received_at', '<', new Date(filter.to));
      if (filter.cursor) {
        const c = decodeCursor(filter.cursor);
        q = q.where((eb) => eb.or([eb('m.received_at', '<', c.at), eb.and([eb('m.received_at', '=', c.at), eb('m.id', '<', c.id)])]));
      }
      const rows = await q.execute();
      const page = rows.slice(0, filter.limit);
      await this.audit(trx, subject, facts, 'gateway.message.search', 'E', [], { filter: { ...filter, cursor: filter.cursor ? 'yes' : undefined }, results: page.length });
      return {
        items: page.map(toSummary),
        next: rows.length > filter.limit ? encodeCursor(page.at(-1)!.received_at, page.at(-1)!.id) : null,
      };
    });
  }

  /** One message with its timeline and masked structure. */
  async detail(subject: Subject, facts: RequestFacts, id: string) {
    return this.store.tx(async (trx) => {
      const summary = await this.one(trx, id);
      const steps = await trx.selectFrom('gateway_message_events').select(['at', 'step', 'detail', 'actor']).where('message_id', '=', id).orderBy('id').execute();
      const raw = await this.rawOf(trx, id);
      await this.audit(trx, subject, facts, 'gateway.message.read', 'R', [id], { masked: true });
      return {
        message: summary,
        timeline: steps.map((s) => ({ at: s.at.toISOString(), step: s.step, actor: s.actor, detail: s.detail })),
        masked: maskedStructure(raw.toString('utf8')),
      };
    });
  }

  private async one(trx: Tx, id: string): Promise<MessageSummary> {
    const r = await summaries(trx).where('m.id', '=', id).executeTakeFirst();
    if (!r) throw new NotFoundError('No message in the inbox has this id.');
    return toSummary(r);
  }

  private async rawOf(trx: Tx, id: string): Promise<Buffer> {
    const row = await trx.selectFrom('gateway_messages').select(['archive_key_id', 'raw']).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('No message in the inbox has this id.');
    return this.archive.decrypt(trx, row.archive_key_id, id, row.raw);
  }

  /** The raw content, for a stated reason; audited against every patient the message touched. */
  async reveal(subject: Subject, facts: RequestFacts, id: string, reason: string): Promise<{ content: string }> {
    return this.store.tx(async (trx) => {
      const row = await trx.selectFrom('gateway_messages').select(['patient_ids', 'archive_key_id', 'raw']).where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError('No message in the inbox has this id.');
      const raw = await this.archive.decrypt(trx, row.archive_key_id, id, row.raw);
      const patients = row.patient_ids.length ? row.patient_ids : [null];
      for (const patientId of patients) await this.audit(trx, subject, facts, 'gateway.message.reveal', 'R', [id], { reason }, patientId);
      await timeline(trx, id, 'revealed', `person:${subject.id}`);
      return { content: raw.toString('utf8') };
    });
  }

  /** Puts messages back in the inbox to be worked again with the source's current profile. */
  async reprocess(subject: Subject, facts: RequestFacts, ids: string[]): Promise<{ queued: string[]; skipped: { id: string; why: string }[] }> {
    return this.store.tx(async (trx) => {
      const rows = await trx.selectFrom('gateway_messages').select(['id', 'state', 'source_id', 'archive_key_id', 'raw', 'transport', 'corrected_by']).where('id', 'in', ids).forUpdate().execute();
      const queued: string[] = [];
      const skipped: { id: string; why: string }[] = [];
      for (const id of ids) if (!rows.some((r) => r.id === id)) skipped.push({ id, why: 'not-found' });
      for (const r of rows) {
        if (!REPROCESSABLE.includes(r.state)) {
          skipped.push({ id: r.id, why: `state-${r.state}` });
          continue;
        }
        if (r.corrected_by) {
          skipped.push({ id: r.id, why: 'superseded-by-correction' });
          continue;
        }
        let sourceId = r.source_id;
        if (!sourceId && r.transport === 'mllp') {
          // Registered since it arrived? Recognise it now from its own header.
          const header = ackContextOf(await this.archive.decrypt(trx, r.archive_key_id, r.id, r.raw))?.header;
          const source = header ? await this.registry.findHl7(trx, header.sendingApplication.namespaceId, header.sendingFacility.namespaceId) : null;
          sourceId = source?.id ?? null;
        }
        if (!sourceId) {
          skipped.push({ id: r.id, why: 'unregistered-source' });
          continue;
        }
        await trx
          .updateTable('gateway_messages')
          .set({ state: 'received', source_id: sourceId, attempts: 0, next_attempt_at: sql`now()`, reason_code: null, reason: null, parked_on: [], parked_until: null })
          .where('id', '=', r.id)
          .execute();
        await timeline(trx, r.id, 'reprocess-requested', `person:${subject.id}`, { from_state: r.state });
        queued.push(r.id);
      }
      await this.audit(trx, subject, facts, 'gateway.message.reprocess', 'U', queued, { requested: ids.length, queued: queued.length, skipped: skipped.length });
      return { queued, skipped };
    });
  }

  /** Every message from a source received in [from, to) goes back to the inbox (after a profile fix, say). */
  async replay(subject: Subject, facts: RequestFacts, source: string, from: string, to: string): Promise<{ queued: number }> {
    return this.store.tx(async (trx) => {
      const found = await this.registry.get(trx, source);
      if (!found) throw new NotFoundError('No source is registered under that id or name.');
      const updated = await sql<{ id: string }>`
        UPDATE gateway_messages SET state = 'received', attempts = 0, next_attempt_at = now(), reason_code = NULL, reason = NULL,
          parked_on = '{}', parked_until = NULL
        WHERE source_id = ${found.id} AND received_at >= ${new Date(from)} AND received_at < ${new Date(to)}
          AND corrected_by IS NULL AND state IN ('processed', 'quarantined', 'dead-letter', 'parked', 'retrying')
        RETURNING id`.execute(trx);
      for (const r of updated.rows) await timeline(trx, r.id, 'replay-requested', `person:${subject.id}`);
      await this.audit(trx, subject, facts, 'gateway.source.replay', 'U', [found.id], { from, to, queued: updated.rows.length });
      return { queued: updated.rows.length };
    });
  }

  /** A corrected copy: a new inbox row that points at the original, which stays as it was and is not worked again. */
  async correct(subject: Subject, facts: RequestFacts, id: string, content: string): Promise<{ id: string }> {
    return this.store.tx(async (trx) => {
      const original = await trx.selectFrom('gateway_messages').select(['id', 'source_id', 'transport', 'message_type', 'control_id', 'corrected_by', 'state']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!original) throw new NotFoundError('No message in the inbox has this id.');
      if (original.corrected_by) throw new VigilError('already-corrected', 409, 'This message already has a corrected copy; correct that copy instead.');
      if (!original.source_id) throw new VigilError('unregistered-source', 409, 'The original came from an unregistered source: register the source first.');
      const source = await this.registry.get(trx, original.source_id);
      const stored = await storeArrival(trx, this.archive, {
        sourceId: original.source_id,
        transport: 'operator',
        peer: null,
        raw: Buffer.from(content, 'utf8'),
        messageType: original.message_type,
        controlId: original.control_id,
        profileVersion: source?.profileVersion ?? null,
        ackCode: null,
        corrects: original.id,
        actor: `person:${subject.id}`,
      });
      await trx.updateTable('gateway_messages').set({ corrected_by: stored.id, ...(original.state === 'processed' ? {} : { state: 'quarantined', reason_code: 'superseded', reason: 'A corrected copy replaced this message.' }) }).where('id', '=', original.id).execute();
      await timeline(trx, original.id, 'corrected', `person:${subject.id}`, { copy: stored.id });
      await this.audit(trx, subject, facts, 'gateway.message.correct', 'C', [stored.id, original.id], { corrects: original.id });
      return { id: stored.id };
    });
  }
}
