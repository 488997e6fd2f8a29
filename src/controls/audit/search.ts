import { sql, type Selectable } from 'kysely';
import type { Db, Store, Tx } from '../../store/store.ts';
import type { AuditEventsTable } from '../../store/schema.ts';
import { VigilError } from '../../errors.ts';
import type { RequestFacts, Subject } from '../access/subject.ts';
import { recordAudit } from './audit-event.ts';
import { recordFromRow, type AuditRecord } from './canonical.ts';
import { validate as isUuid } from 'uuid';

/**
 * The privacy officer's questions: who did what to which patient, when, with what outcome. Every search of the trail
 * is itself an audit event, written in the transaction that reads the first page (no audit, no data here too).
 */
export interface AuditQuery {
  patient?: string;
  actor?: string;
  action?: string;
  outcome?: 'success' | 'denied' | 'error';
  from?: string;
  to?: string;
  breakGlass?: boolean;
  source?: string;
  limit: number;
  cursor?: string;
  order: 'asc' | 'desc';
}

export interface AuditEventView extends AuditRecord {
  seq: string | null;
}

export interface AuditPage {
  events: AuditEventView[];
  nextCursor: string | null;
}

export class AuditCursorError extends VigilError {
  constructor() {
    super('invalid-cursor', 400, 'The cursor is not one this server gave out; start the search again without it.');
  }
}

function encodeCursor(row: { recorded_at: Date | string; id: string }): string {
  return Buffer.from(`${new Date(row.recorded_at).toISOString()}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!at || !id || Number.isNaN(Date.parse(at)) || !isUuid(id)) throw new AuditCursorError();
  return { at, id };
}

type Row = Selectable<AuditEventsTable> & { seq: string | null };

async function page(db: Db | Tx, query: AuditQuery): Promise<AuditPage> {
  let q = db.selectFrom('audit.events as e').leftJoin('audit.seals as s', 's.event_id', 'e.id').selectAll('e').select('s.seq');
  if (query.patient) q = q.where('e.patient_id', '=', query.patient);
  if (query.actor) q = q.where((eb) => eb.or([eb('e.actor_id', '=', query.actor!), eb('e.actor_name', '=', query.actor!.toLowerCase())]));
  if (query.action) q = query.action.endsWith('*') ? q.where('e.action', 'like', `${query.action.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`) : q.where('e.action', '=', query.action);
  if (query.outcome) q = q.where('e.outcome', '=', query.outcome);
  if (query.from) q = q.where('e.recorded_at', '>=', new Date(query.from));
  if (query.to) q = q.where('e.recorded_at', '<', new Date(query.to));
  if (query.breakGlass !== undefined) q = q.where('e.break_glass', '=', query.breakGlass);
  if (query.source) q = q.where('e.source_system', '=', query.source);
  if (query.cursor) {
    const c = decodeCursor(query.cursor);
    q = query.order === 'desc'
      ? q.where(sql<boolean>`(e.recorded_at, e.id) < (${c.at}::timestamptz, ${c.id}::uuid)`)
      : q.where(sql<boolean>`(e.recorded_at, e.id) > (${c.at}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = (await q.orderBy('e.recorded_at', query.order).orderBy('e.id', query.order).limit(query.limit + 1).execute()) as Row[];
  const more = rows.length > query.limit;
  const shown = more ? rows.slice(0, query.limit) : rows;
  return {
    events: shown.map((r) => ({ ...recordFromRow(r), seq: r.seq })),
    nextCursor: more ? encodeCursor(shown.at(-1)!) : null,
  };
}

export interface AccessReportEntry {
  actorType: string;
  actorId: string | null;
  actorName: string | null;
  actorRoles: string[];
  actions: Record<string, number>;
  accesses: number;
  breakGlass: number;
  denied: number;
  firstAt: string;
  lastAt: string;
}

export interface AccessReport {
  patientId: string;
  generatedAt: string;
  accessors: AccessReportEntry[];
  events: AuditEventView[];
}

export class AuditSearch {
  constructor(private readonly store: Store) {}

  async search(subject: Subject, facts: RequestFacts, query: AuditQuery): Promise<AuditPage> {
    return this.store.tx(async (trx) => {
      const result = await page(trx, query);
      await recordAudit(trx, subject, facts, {
        action: 'audit.search',
        actionCode: 'E',
        resourceType: 'AuditEvent',
        patientId: query.patient ?? null,
        outcome: 'success',
        query: { ...query },
        details: { returned: result.events.length },
      });
      return result;
    });
  }

  /** Every matching event, page after page, for a streamed export; the export is audited before the first line. */
  async *stream(subject: Subject, facts: RequestFacts, query: Omit<AuditQuery, 'limit' | 'cursor'>): AsyncGenerator<AuditEventView> {
    let current = await this.store.tx(async (trx) => {
      const first = await page(trx, { ...query, limit: 500 });
      await recordAudit(trx, subject, facts, { action: 'audit.export', actionCode: 'E', resourceType: 'AuditEvent', patientId: query.patient ?? null, outcome: 'success', query: { ...query } });
      return first;
    });
    for (;;) {
      yield* current.events;
      if (!current.nextCursor) return;
      current = await page(this.store.db, { ...query, limit: 500, cursor: current.nextCursor });
    }
  }

  async event(subject: Subject, facts: RequestFacts, id: string): Promise<AuditEventView | undefined> {
    return this.store.tx(async (trx) => {
      const row = (await trx.selectFrom('audit.events as e').leftJoin('audit.seals as s', 's.event_id', 'e.id').selectAll('e').select('s.seq').where('e.id', '=', id).executeTakeFirst()) as Row | undefined;
      await recordAudit(trx, subject, facts, { action: 'audit.read', actionCode: 'R', resourceType: 'AuditEvent', resourceIds: [id], patientId: row?.patient_id ?? null, outcome: row ? 'success' : 'error', reasonCode: row ? null : 'not-found' });
      return row ? { ...recordFromRow(row), seq: row.seq } : undefined;
    });
  }

  /**
   * "Who has seen my record": every person and system that read, searched to, changed, exported or disclosed this
   * patient's data, with counts and times. Audit-trail reads by privacy staff are not accesses to the record itself.
   */
  async accessReport(subject: Subject, facts: RequestFacts, patientId: string, range: { from?: string; to?: string }): Promise<AccessReport> {
    return this.store.tx(async (trx) => {
      let q = trx
        .selectFrom('audit.events as e')
        .leftJoin('audit.seals as s', 's.event_id', 'e.id')
        .selectAll('e')
        .select('s.seq')
        .where('e.patient_id', '=', patientId)
        .where('e.action', 'not like', 'audit.%');
      if (range.from) q = q.where('e.recorded_at', '>=', new Date(range.from));
      if (range.to) q = q.where('e.recorded_at', '<', new Date(range.to));
      const rows = (await q.orderBy('e.recorded_at', 'desc').orderBy('e.id', 'desc').limit(5000).execute()) as Row[];
      const byActor = new Map<string, AccessReportEntry>();
      for (const r of rows) {
        const key = `${r.actor_type}|${r.actor_id ?? ''}`;
        const at = new Date(r.recorded_at).toISOString();
        let entry = byActor.get(key);
        if (!entry) {
          entry = { actorType: r.actor_type, actorId: r.actor_id, actorName: r.actor_name, actorRoles: r.actor_roles, actions: {}, accesses: 0, breakGlass: 0, denied: 0, firstAt: at, lastAt: at };
          byActor.set(key, entry);
        }
        entry.actions[r.action] = (entry.actions[r.action] ?? 0) + 1;
        if (r.outcome === 'success') entry.accesses++;
        if (r.outcome === 'denied') entry.denied++;
        if (r.break_glass) entry.breakGlass++;
        if (at < entry.firstAt) entry.firstAt = at;
        if (at > entry.lastAt) entry.lastAt = at;
      }
      await recordAudit(trx, subject, facts, { action: 'audit.access-report', actionCode: 'E', resourceType: 'Patient', resourceIds: [patientId], patientId, outcome: 'success', details: { events: rows.length } });
      return {
        patientId,
        generatedAt: new Date().toISOString(),
        accessors: [...byActor.values()].sort((a, b) => (a.lastAt < b.lastAt ? 1 : -1)),
        events: rows.map((r) => ({ ...recordFromRow(r), seq: r.seq })),
      };
    });
  }
}
