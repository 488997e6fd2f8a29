import type { FastifyPluginAsync } from 'fastify';
import { decide } from '../../controls/access/pdp.ts';
import { isAction } from '../../controls/access/policy.ts';
import { loadPatientRelation } from '../../controls/access/relations.ts';
import { VigilError } from '../../errors.ts';
import type { AppDeps } from '../app.ts';
import { subjectOf } from '../guard.ts';
import { requireStore } from '../require-store.ts';
import { validate as isUuid } from 'uuid';

/**
 * "May I do this?" for the caller only: the web UI asks it to hide what the server would refuse (the server still
 * decides on the real route), and the authorization matrix test asks it for actions whose routes come later.
 */
export const accessCheckRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    app.post<{ Body: { action: string; patientId?: string } }>(
      '/api/access/check',
      {
        config: { policy: { action: 'self.read', resource: 'Account' } },
        schema: {
          tags: ['access'],
          summary: 'Would the policy decision point permit this action (for this patient) to you, now?',
          body: { type: 'object', additionalProperties: false, required: ['action'], properties: { action: { type: 'string', maxLength: 64 }, patientId: { type: 'string', maxLength: 64 } } },
        },
      },
      async (request) => {
        const subject = subjectOf(request);
        if (!isAction(request.body.action)) throw new VigilError('unknown-action', 400, 'This action is not in the access policy; see GET /auth/me for the actions you hold.');
        const patientId = request.body.patientId;
        if (patientId !== undefined && !isUuid(patientId)) throw new VigilError('invalid-request', 400, 'patientId must be a UUID.');
        const patient = patientId ? await loadPatientRelation(requireStore(deps).db, subject, patientId) : undefined;
        const decision = decide({ subject, action: request.body.action, ...(patient ? { patient } : {}) });
        return { action: request.body.action, permit: decision.permit, reason: decision.reason, breakGlass: decision.breakGlass, fields: decision.patientFields };
      },
    );
  };
