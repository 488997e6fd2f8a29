import type { FastifyPluginAsync } from 'fastify';
import { actorOf } from '../../controls/audit/audit-event.ts';
import { ArchiveKeys } from '../../controls/keys/archive-keys.ts';
import { listFeeds } from '../../gateway/freshness-watch.ts';
import { OperatorConsole, type MessageFilter } from '../../gateway/operator-console.ts';
import { SourceRegistry, UnknownSourceError, type NewSource } from '../../gateway/sources.ts';
import type { GatewayMessageState } from '../../store/schema.ts';
import type { AppDeps } from '../app.ts';
import { subjectOf } from '../guard.ts';
import { requestFacts } from '../request-facts.ts';
import { requireStore } from '../require-store.ts';

/** The integration operator's API: the inbox, one message, reprocess, replay, corrected copies, feeds, sources. */
const STATES = ['received', 'processed', 'parked', 'retrying', 'dead-letter', 'quarantined'] as const;
const idParams = { type: 'object', additionalProperties: false, properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } as const;
const sourceParams = { type: 'object', additionalProperties: false, properties: { source: { type: 'string', minLength: 1, maxLength: 64 } }, required: ['source'] } as const;
const tags = ['integration'];

interface ListQuery {
  state?: GatewayMessageState;
  source?: string;
  type?: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

export const gatewayRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const registry = new SourceRegistry();
    const archive = new ArchiveKeys(deps.keyring);
    const operator = () => new OperatorConsole(requireStore(deps), registry, archive);

    app.get<{ Querystring: ListQuery }>(
      '/api/gateway/messages',
      {
        config: { policy: { action: 'message.read', resource: 'Bundle' } },
        schema: {
          tags,
          summary: 'Inbound messages, newest first, filtered by state, source (name, id or "unregistered"), type (ADT or ADT^A01) and time; paged by cursor',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              state: { type: 'string', enum: [...STATES] },
              source: { type: 'string', minLength: 1, maxLength: 64 },
              type: { type: 'string', pattern: '^[A-Z0-9]{2,3}(\\^[A-Z0-9]{2,3})?$' },
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
              limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
              cursor: { type: 'string', maxLength: 200 },
            },
          },
        },
      },
      async (request) => {
        const q = request.query;
        const filter: MessageFilter = { limit: q.limit ?? 50 };
        if (q.state) filter.state = q.state;
        if (q.source) filter.source = q.source;
        if (q.type) filter.type = q.type;
        if (q.from) filter.from = q.from;
        if (q.to) filter.to = q.to;
        if (q.cursor) filter.cursor = q.cursor;
        return operator().list(subjectOf(request), requestFacts(request), filter);
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/gateway/messages/:id',
      { config: { policy: { action: 'message.read', resource: 'Bundle' } }, schema: { tags, summary: 'One message: state, reason, timeline and its structure with every value masked', params: idParams } },
      async (request) => operator().detail(subjectOf(request), requestFacts(request), request.params.id),
    );

    app.post<{ Params: { id: string }; Body: { reason: string } }>(
      '/api/gateway/messages/:id/reveal',
      {
        config: { policy: { action: 'message.reveal', resource: 'Bundle' } },
        schema: { tags, summary: "A message's raw content, for a stated reason (audited against each patient in it)", params: idParams, body: { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', minLength: 10, maxLength: 500 } }, required: ['reason'] } },
      },
      async (request) => operator().reveal(subjectOf(request), requestFacts(request), request.params.id, request.body.reason),
    );

    app.post<{ Params: { id: string } }>(
      '/api/gateway/messages/:id/reprocess',
      { config: { policy: { action: 'message.reprocess', resource: 'Bundle' } }, schema: { tags, summary: 'Work a message again with its source’s current profile', params: idParams } },
      async (request, reply) => reply.code(202).send(await operator().reprocess(subjectOf(request), requestFacts(request), [request.params.id])),
    );

    app.post<{ Body: { ids: string[] } }>(
      '/api/gateway/messages/reprocess',
      {
        config: { policy: { action: 'message.reprocess', resource: 'Bundle' } },
        schema: { tags, summary: 'Work a selection of messages again', body: { type: 'object', additionalProperties: false, properties: { ids: { type: 'array', items: { type: 'string', format: 'uuid' }, minItems: 1, maxItems: 1000, uniqueItems: true } }, required: ['ids'] } },
      },
      async (request, reply) => reply.code(202).send(await operator().reprocess(subjectOf(request), requestFacts(request), request.body.ids)),
    );

    app.post<{ Params: { id: string }; Body: { content: string } }>(
      '/api/gateway/messages/:id/correct',
      {
        config: { policy: { action: 'message.reprocess', resource: 'Bundle' } },
        schema: { tags, summary: 'Submit a corrected copy; the original stays unchanged and points to it', params: idParams, body: { type: 'object', additionalProperties: false, properties: { content: { type: 'string', minLength: 8, maxLength: 4_000_000 } }, required: ['content'] } },
      },
      async (request, reply) => reply.code(201).send(await operator().correct(subjectOf(request), requestFacts(request), request.params.id, request.body.content)),
    );

    app.post<{ Params: { source: string }; Body: { from: string; to: string } }>(
      '/api/gateway/sources/:source/replay',
      {
        config: { policy: { action: 'message.replay', resource: 'Endpoint' } },
        schema: { tags, summary: 'Work every message a source sent in [from, to) again', params: sourceParams, body: { type: 'object', additionalProperties: false, properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } }, required: ['from', 'to'] } },
      },
      async (request, reply) => reply.code(202).send(await operator().replay(subjectOf(request), requestFacts(request), request.params.source, request.body.from, request.body.to)),
    );

    app.get(
      '/api/gateway/feeds',
      { config: { policy: { action: 'feed.read', resource: 'Endpoint' } }, schema: { tags, summary: 'Every feed: last message, expected cadence, whether it is stale, backlog by state' } },
      async () => ({ feeds: await listFeeds(requireStore(deps).db, registry) }),
    );

    app.get(
      '/api/gateway/sources',
      { config: { policy: { action: 'feed.read', resource: 'Endpoint' } }, schema: { tags, summary: 'Registered sources' } },
      async () => ({ sources: await registry.list(requireStore(deps).db) }),
    );

    app.post<{ Body: { name: string; kind?: 'hl7v2' | 'fhir' | 'file'; msh3?: string; msh4?: string; peers?: string[]; clientId?: string; profile?: unknown } }>(
      '/api/gateway/sources',
      {
        config: { policy: { action: 'source.manage', resource: 'Endpoint' } },
        schema: {
          tags,
          summary: 'Register a source (HL7 sources by MSH-3 and MSH-4, optionally an address allowlist)',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: {
              name: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
              kind: { type: 'string', enum: ['hl7v2', 'fhir', 'file'], default: 'hl7v2' },
              msh3: { type: 'string', minLength: 1, maxLength: 180 },
              msh4: { type: 'string', minLength: 1, maxLength: 180 },
              peers: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 50 },
              clientId: { type: 'string', maxLength: 100 },
              profile: { type: 'object' },
            },
          },
        },
      },
      async (request, reply) => {
        const subject = subjectOf(request);
        const b = request.body;
        const input: NewSource = { name: b.name, kind: b.kind ?? 'hl7v2', ...(b.msh3 ? { msh3: b.msh3 } : {}), ...(b.msh4 ? { msh4: b.msh4 } : {}), ...(b.peers ? { peerAllowlist: b.peers } : {}), ...(b.clientId ? { clientId: b.clientId } : {}), ...(b.profile ? { profile: b.profile } : {}) };
        const store = requireStore(deps);
        const source = await store.tx((trx) => registry.add(trx, input, actorOf(subject)));
        return reply.code(201).send(source);
      },
    );

    app.put<{ Params: { source: string }; Body: { profile: unknown } }>(
      '/api/gateway/sources/:source/profile',
      {
        config: { policy: { action: 'source.manage', resource: 'Endpoint' } },
        schema: { tags, summary: "Replace a source's profile: a new version for messages from now on (replay older ones to apply it)", params: sourceParams, body: { type: 'object', additionalProperties: false, properties: { profile: { type: 'object' } }, required: ['profile'] } },
      },
      async (request) => {
        const store = requireStore(deps);
        return store.tx(async (trx) => {
          const source = await registry.get(trx, request.params.source);
          if (!source) throw new UnknownSourceError();
          return { version: await registry.updateProfile(trx, source.id, request.body.profile, actorOf(subjectOf(request))) };
        });
      },
    );
  };
