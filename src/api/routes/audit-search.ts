import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import { toFhirAuditEvent } from '../../controls/audit/fhir-audit-event.ts';
import { latestCheckpoint } from '../../controls/audit/proofs.ts';
import { AuditSearch, type AuditQuery } from '../../controls/audit/search.ts';
import { NotFoundError, VigilError } from '../../errors.ts';
import type { AppDeps } from '../app.ts';
import { subjectOf } from '../guard.ts';
import { requestFacts } from '../request-facts.ts';
import { requireStore } from '../require-store.ts';
import { fhirBase } from './fhir-patient.ts';
import { validate as isUuid } from 'uuid';

/** The privacy officer's window on the audit trail: search, detail, streamed export, access report, FHIR AuditEvent. */
interface SearchParams {
  patient?: string;
  actor?: string;
  action?: string;
  outcome?: 'success' | 'denied' | 'error';
  from?: string;
  to?: string;
  break_glass?: boolean;
  source?: string;
  limit?: number;
  cursor?: string;
  order?: 'asc' | 'desc';
}

const searchSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    patient: { type: 'string', format: 'uuid' },
    actor: { type: 'string', minLength: 1, maxLength: 100 },
    action: { type: 'string', pattern: '^[a-z0-9.*-]{1,64}$' },
    outcome: { type: 'string', enum: ['success', 'denied', 'error'] },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    break_glass: { type: 'boolean' },
    source: { type: 'string', minLength: 1, maxLength: 100 },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', maxLength: 200 },
    order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
  },
} as const;

function toQuery(p: SearchParams): AuditQuery {
  const q: AuditQuery = { limit: p.limit ?? 50, order: p.order ?? 'desc' };
  if (p.patient) q.patient = p.patient;
  if (p.actor) q.actor = p.actor;
  if (p.action) q.action = p.action;
  if (p.outcome) q.outcome = p.outcome;
  if (p.from) q.from = p.from;
  if (p.to) q.to = p.to;
  if (p.break_glass !== undefined) q.breakGlass = p.break_glass;
  if (p.source) q.source = p.source;
  if (p.cursor) q.cursor = p.cursor;
  return q;
}


/** FHIR date search values: `date=ge2026-01-01&date=lt2026-02-01` (prefix eq/ge/gt/le/lt). */
function fhirDates(values: string | string[] | undefined): { from?: string; to?: string } {
  const out: { from?: string; to?: string } = {};
  for (const v of values === undefined ? [] : Array.isArray(values) ? values : [values]) {
    const m = /^(eq|ge|gt|le|lt)?(\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2}))?)$/.exec(v);
    if (!m) throw new VigilError('invalid-request', 400, 'date must look like ge2026-01-01 or lt2026-02-01T00:00:00Z.');
    const at = new Date(m[2]!.length === 10 ? `${m[2]}T00:00:00Z` : m[2]!);
    if (Number.isNaN(at.getTime())) throw new VigilError('invalid-request', 400, 'date is not a valid date.');
    const dayAfter = new Date(at.getTime() + 86_400_000).toISOString();
    switch (m[1] ?? 'eq') {
      case 'ge': out.from = at.toISOString(); break;
      case 'gt': out.from = m[2]!.length === 10 ? dayAfter : new Date(at.getTime() + 1).toISOString(); break;
      case 'lt': out.to = at.toISOString(); break;
      case 'le': out.to = m[2]!.length === 10 ? dayAfter : new Date(at.getTime() + 1).toISOString(); break;
      default: out.from = at.toISOString(); out.to = m[2]!.length === 10 ? dayAfter : new Date(at.getTime() + 1).toISOString();
    }
  }
  return out;
}

export const auditSearchRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const search = () => new AuditSearch(requireStore(deps));

    app.get<{ Querystring: SearchParams }>(
      '/api/audit',
      { config: { policy: { action: 'audit.read', resource: 'AuditEvent' } }, schema: { tags: ['privacy'], summary: 'Search the audit trail (patient, actor, action, outcome, from, to, break_glass, source); paged by cursor', querystring: searchSchema } },
      async (request) => search().search(subjectOf(request), requestFacts(request), toQuery(request.query)),
    );

    app.get<{ Querystring: SearchParams }>(
      '/api/audit/export.ndjson',
      { config: { policy: { action: 'audit.export', resource: 'AuditEvent' } }, schema: { tags: ['privacy'], summary: 'Every event matching the search, streamed as NDJSON (FHIR AuditEvent per line)', querystring: searchSchema } },
      async (request, reply) => {
        const { limit: _limit, cursor: _cursor, ...query } = toQuery(request.query);
        const events = search().stream(subjectOf(request), requestFacts(request), query);
        // The first page (and its audit event) is read before the headers go out, so a refusal is still an error status.
        const first = await events.next();
        async function* lines() {
          if (!first.done) yield `${JSON.stringify({ seq: first.value.seq, auditEvent: toFhirAuditEvent(first.value) })}\n`;
          for await (const e of events) yield `${JSON.stringify({ seq: e.seq, auditEvent: toFhirAuditEvent(e) })}\n`;
        }
        return reply.type('application/x-ndjson').header('content-disposition', 'attachment; filename="audit-search.ndjson"').send(Readable.from(lines()));
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/audit/events/:id',
      { config: { policy: { action: 'audit.read', resource: 'AuditEvent' } }, schema: { tags: ['privacy'], summary: 'One audit event with its place in the log', params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } } },
      async (request) => {
        const event = await search().event(subjectOf(request), requestFacts(request), request.params.id);
        if (!event) throw new NotFoundError('No audit event has this id.');
        return { event, auditEvent: toFhirAuditEvent(event) };
      },
    );

    app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
      '/api/audit/patients/:id/access-report',
      {
        config: { policy: { action: 'audit.read', resource: 'AuditEvent' } },
        schema: {
          tags: ['privacy'],
          summary: 'Who has seen this patient’s record (also the answer to a data-subject access request)',
          params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] },
          querystring: { type: 'object', additionalProperties: false, properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } } },
        },
      },
      async (request) => {
        const range: { from?: string; to?: string } = {};
        if (request.query.from) range.from = request.query.from;
        if (request.query.to) range.to = request.query.to;
        return search().accessReport(subjectOf(request), requestFacts(request), request.params.id, range);
      },
    );

    app.get(
      '/api/audit/status',
      { config: { policy: { action: 'audit.read', resource: 'AuditEvent' } }, schema: { tags: ['privacy'], summary: 'How much of the trail is sealed and signed' } },
      async () => {
        const store = requireStore(deps);
        const counts = await sql<{ events: string; sealed: string; pending: string; oldest_pending: Date | null }>`
          select (select count(*) from audit.events) as events,
                 (select count(*) from audit.seals) as sealed,
                 (select count(*) from audit.pending) as pending,
                 (select min(recorded_at) from audit.pending) as oldest_pending`.execute(store.db);
        const row = counts.rows[0]!;
        const latest = await latestCheckpoint(store.db);
        return {
          events: Number(row.events),
          sealed: Number(row.sealed),
          pending: Number(row.pending),
          oldestPendingAt: row.oldest_pending ? new Date(row.oldest_pending).toISOString() : null,
          latestCheckpoint: latest ?? null,
          retentionDays: deps.config.auditRetentionDays,
        };
      },
    );

    app.get<{ Querystring: { patient?: string; agent?: string; action?: string; outcome?: string; date?: string | string[]; _count?: number; _offset?: number } }>(
      '/fhir/R4/AuditEvent',
      {
        config: { policy: { action: 'audit.read', resource: 'AuditEvent' } },
        schema: {
          tags: ['fhir'],
          summary: 'AuditEvent search (patient, agent, action C/R/U/D/E, outcome 0/4/8, date, _count)',
          querystring: {
            type: 'object',
            properties: {
              patient: { type: 'string', maxLength: 100 },
              agent: { type: 'string', maxLength: 100 },
              subtype: { type: 'string', maxLength: 64 },
              outcome: { type: 'string', enum: ['0', '4', '8'] },
              date: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 2 }] },
              _count: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
              _offset: { type: 'integer', minimum: 0, maximum: 100000, default: 0 },
            },
          },
        },
      },
      async (request, reply) => {
        const p = request.query as typeof request.query & { subtype?: string };
        const patient = p.patient?.replace(/^Patient\//, '');
        if (patient && !isUuid(patient)) throw new VigilError('invalid-request', 400, 'patient must be a Patient id or Patient/<id>.');
        const agent = p.agent?.replace(/^(Practitioner|Device)\//, '');
        const outcome = p.outcome === '0' ? 'success' : p.outcome === '4' ? 'denied' : p.outcome === '8' ? 'error' : undefined;
        const count = p._count ?? 50;
        const offset = p._offset ?? 0;
        const q: AuditQuery = { limit: count + offset, order: 'desc', ...fhirDates(p.date) };
        if (patient) q.patient = patient;
        if (agent) q.actor = agent;
        if (p.subtype) q.action = p.subtype;
        if (outcome) q.outcome = outcome;
        // Offsets are bounded (above), so reading offset + count rows and dropping the head stays cheap.
        const result = await search().search(subjectOf(request), requestFacts(request), q);
        const shown = result.events.slice(offset);
        const base = fhirBase(request);
        const links = [{ relation: 'self', url: `${base}${request.url.slice('/fhir/R4'.length)}` }];
        if (result.nextCursor) {
          const next = new URLSearchParams(request.query as Record<string, string>);
          next.set('_offset', String(offset + count));
          links.push({ relation: 'next', url: `${base}/AuditEvent?${next.toString()}` });
        }
        return reply.type('application/fhir+json').send({
          resourceType: 'Bundle',
          type: 'searchset',
          link: links,
          entry: shown.map((e) => ({ fullUrl: `${base}/AuditEvent/${e.id}`, resource: toFhirAuditEvent(e), search: { mode: 'match' } })),
        });
      },
    );
  };
