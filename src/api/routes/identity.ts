import type { FastifyPluginAsync } from 'fastify';
import { IdentityReviewService, type MatchState, type ReviewDecision } from '../../core/identity/review-queue.ts';
import type { AppDeps } from '../app.ts';
import { subjectOf } from '../guard.ts';
import { requestFacts } from '../request-facts.ts';
import { requireStore } from '../require-store.ts';

/**
 * The possible-match review queue (master patient index): pairs held back for a person, one pair side by side with its
 * evidence, the decision, and undoing a link. Routes parse and shape; IdentityReviewService decides, changes and
 * audits.
 */
const tags = ['identity'];
const policy = { action: 'identity.review', resource: 'Patient' } as const;
const matchParams = { type: 'object', additionalProperties: false, properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } as const;
const eventParams = { type: 'object', additionalProperties: false, properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,17}$' } }, required: ['id'] } as const;

export const identityRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const service = () => new IdentityReviewService(requireStore(deps));

    app.get<{ Querystring: { state?: MatchState; limit?: number; cursor?: string } }>(
      '/api/identity/possible-matches',
      {
        config: { policy },
        schema: {
          tags,
          summary: 'Possible matches by state (open: oldest first; decided: newest decision first), paged by cursor; audited against every patient shown',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              state: { type: 'string', enum: ['open', 'linked', 'not-a-match'], default: 'open' },
              limit: { type: 'integer', minimum: 1, maximum: 100, default: 25 },
              cursor: { type: 'string', maxLength: 200 },
            },
          },
        },
      },
      async (request) => {
        const q = request.query;
        return service().list(subjectOf(request), requestFacts(request), { state: q.state ?? 'open', limit: q.limit ?? 25, ...(q.cursor ? { cursor: q.cursor } : {}) });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/identity/possible-matches/:id',
      { config: { policy }, schema: { tags, summary: 'One possible match: both sides aligned field by field, the evidence, and its link decision if any (audited)', params: matchParams } },
      async (request) => service().view(subjectOf(request), requestFacts(request), request.params.id),
    );

    app.post<{ Params: { id: string }; Body: { decision: ReviewDecision; note?: string } }>(
      '/api/identity/possible-matches/:id/decision',
      {
        config: { policy },
        schema: {
          tags,
          summary: 'Decide an open pair: link (the record moves to the candidate patient, undoable) or not-a-match',
          params: matchParams,
          body: {
            type: 'object',
            additionalProperties: false,
            properties: { decision: { type: 'string', enum: ['link', 'not-a-match'] }, note: { type: 'string', maxLength: 500 } },
            required: ['decision'],
          },
        },
      },
      async (request) => service().decide(subjectOf(request), requestFacts(request), request.params.id, request.body),
    );

    app.post<{ Params: { id: string } }>(
      '/api/identity/link-events/:id/undo',
      { config: { policy }, schema: { tags, summary: 'Undo a link a person decided: the record returns to the patient it left and the pair is open again', params: eventParams } },
      async (request) => service().undo(subjectOf(request), requestFacts(request), request.params.id),
    );
  };
