import type { FastifyPluginAsync } from 'fastify';
import { reinferMedicationsOf } from '../../core/clinical/active-medication-list.ts';
import { IdentityHistoryService } from '../../core/identity/identity-history.ts';
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
const reasonBody = { type: 'object', additionalProperties: false, properties: { reason: { type: 'string', minLength: 3, maxLength: 500 } }, required: ['reason'] } as const;
const uuidParams = matchParams;
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

    const history = () => new IdentityHistoryService(requireStore(deps), reinferMedicationsOf);

    app.get<{ Params: { id: string } }>(
      '/api/identity/patients/:id/history',
      {
        config: { policy },
        schema: { tags, summary: "A patient's records and every link decision that touched them, newest first, with what may be undone (audited)", params: uuidParams },
      },
      async (request) => history().history(subjectOf(request), requestFacts(request), request.params.id),
    );

    app.post<{ Params: { id: string }; Body: { reason: string } }>(
      '/api/identity/records/:id/split',
      {
        config: { policy },
        schema: { tags, summary: 'Split a wrongly linked record (with its facts and encounters) off into a new patient of its own; needs a reason', params: uuidParams, body: reasonBody },
      },
      async (request) => history().split(subjectOf(request), requestFacts(request), request.params.id, request.body.reason),
    );

    app.post<{ Params: { id: string }; Body: { reason: string } }>(
      '/api/identity/link-events/:id/undo-split',
      {
        config: { policy },
        schema: { tags, summary: 'Undo a split: the record returns to the patient it left; needs a reason', params: eventParams, body: reasonBody },
      },
      async (request) => history().undoSplit(subjectOf(request), requestFacts(request), request.params.id, request.body.reason),
    );

    app.post<{ Params: { id: string }; Body: { reason: string } }>(
      '/api/identity/merges/:id/unmerge',
      {
        config: { policy },
        schema: { tags, summary: 'Undo a merge a source stated (A40, Patient.link): every record it moved goes back; needs a reason', params: uuidParams, body: reasonBody },
      },
      async (request) => history().unmerge(subjectOf(request), requestFacts(request), request.params.id, request.body.reason),
    );

    app.post<{ Params: { id: string }; Body: { reason: string } }>(
      '/api/identity/links/:id/undo',
      {
        config: { policy },
        schema: { tags, summary: 'Undo a link a source stated (ADT A24): every record it moved goes back; needs a reason', params: uuidParams, body: reasonBody },
      },
      async (request) => history().undoSourceLink(subjectOf(request), requestFacts(request), request.params.id, request.body.reason),
    );

    app.post<{ Params: { id: string } }>(
      '/api/identity/link-events/:id/undo',
      { config: { policy }, schema: { tags, summary: 'Undo a link a person decided: the record returns to the patient it left and the pair is open again', params: eventParams } },
      async (request) => service().undo(subjectOf(request), requestFacts(request), request.params.id),
    );
  };
