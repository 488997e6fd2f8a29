import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { BreakGlass, type ReviewOutcome } from '../../controls/access/break-glass.ts';
import { BREAK_GLASS_DEFAULT_MINUTES, BREAK_GLASS_REASONS } from '../../controls/access/policy.ts';
import type { PersonSubject } from '../../controls/access/subject.ts';
import { ForbiddenError } from '../../errors.ts';
import type { AppDeps } from '../app.ts';
import { subjectOf } from '../guard.ts';
import { requestFacts } from '../request-facts.ts';
import { requireStore } from '../require-store.ts';

function person(request: FastifyRequest): PersonSubject {
  const subject = subjectOf(request);
  if (subject.kind !== 'person') throw new ForbiddenError('deny-role', 'Break-glass is for people; a system client cannot use it.');
  return subject;
}

const id = { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } as const;

/** Break-glass for clinicians, and its review queue for privacy officers. */
export const breakGlassRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const service = () => new BreakGlass(requireStore(deps), deps.keyring);

    app.get(
      '/api/break-glass/reasons',
      { config: { policy: { public: true, why: 'the list of coded reasons, no data' } }, schema: { tags: ['access'], summary: 'Coded break-glass reasons and the longest grant' } },
      async () => ({ reasons: Object.entries(BREAK_GLASS_REASONS).map(([code, display]) => ({ code, display })), maxMinutes: BREAK_GLASS_DEFAULT_MINUTES }),
    );

    app.post<{ Body: { patientId?: string; identifier?: string; reasonCode: string; reasonText: string; totp: string; minutes?: number } }>(
      '/api/break-glass',
      {
        config: { policy: { action: 'break-glass', resource: 'Patient', patient: true } },
        schema: {
          tags: ['access'],
          summary: 'Open one patient’s chart in an emergency (reason + second factor; time-boxed; reviewed)',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['reasonCode', 'reasonText', 'totp'],
            properties: {
              patientId: { type: 'string', format: 'uuid' },
              identifier: { type: 'string', minLength: 1, maxLength: 200 },
              reasonCode: { type: 'string', maxLength: 40 },
              reasonText: { type: 'string', maxLength: 2000 },
              totp: { type: 'string', pattern: '^[0-9]{6}$' },
              minutes: { type: 'integer', minimum: 1, maximum: BREAK_GLASS_DEFAULT_MINUTES },
            },
            anyOf: [{ required: ['patientId'] }, { required: ['identifier'] }],
          },
        },
      },
      async (request, reply) => {
        const grant = await service().start(person(request), requestFacts(request), request.body);
        return reply.code(201).send(grant);
      },
    );

    app.get(
      '/api/break-glass/active',
      { config: { policy: { action: 'break-glass', resource: 'BreakGlassGrant' } }, schema: { tags: ['access'], summary: 'Your open break-glass grants' } },
      async (request) => ({ grants: await service().active(person(request)) }),
    );

    app.post<{ Params: { id: string } }>(
      '/api/break-glass/:id/end',
      { config: { policy: { action: 'break-glass', resource: 'BreakGlassGrant' } }, schema: { tags: ['access'], summary: 'Close your break-glass grant before it expires', params: id } },
      async (request, reply) => {
        await service().end(person(request), requestFacts(request), request.params.id);
        return reply.code(204).send();
      },
    );

    app.get<{ Querystring: { status?: 'pending' | 'reviewed' | 'all' } }>(
      '/api/break-glass/reviews',
      {
        config: { policy: { action: 'break-glass.review', resource: 'BreakGlassGrant' } },
        schema: { tags: ['privacy'], summary: 'Break-glass review queue', querystring: { type: 'object', properties: { status: { type: 'string', enum: ['pending', 'reviewed', 'all'], default: 'pending' } } } },
      },
      async (request) => ({ grants: await service().reviewQueue(subjectOf(request), requestFacts(request), request.query.status ?? 'pending') }),
    );

    app.post<{ Params: { id: string }; Body: { outcome: ReviewOutcome; note?: string } }>(
      '/api/break-glass/:id/review',
      {
        config: { policy: { action: 'break-glass.review', resource: 'BreakGlassGrant' } },
        schema: {
          tags: ['privacy'],
          summary: 'Record the outcome of a break-glass review',
          params: id,
          body: { type: 'object', additionalProperties: false, required: ['outcome'], properties: { outcome: { type: 'string', enum: ['appropriate', 'inappropriate', 'needs-follow-up'] }, note: { type: 'string', maxLength: 4000 } } },
        },
      },
      async (request) => service().review(person(request), requestFacts(request), request.params.id, request.body.outcome, request.body.note ?? ''),
    );
  };
