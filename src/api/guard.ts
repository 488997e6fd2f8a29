import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decide, type Decision } from '../controls/access/pdp.ts';
import type { Subject } from '../controls/access/subject.ts';
import { recordAudit } from '../controls/audit/audit-event.ts';
import { ForbiddenError, UnauthenticatedError } from '../errors.ts';
import type { AppDeps } from './app.ts';
import { declaredPurpose, requestFacts } from './request-facts.ts';
import type { RoutePolicy } from './route-policy.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The decision that let this request in (set by the guard for every non-public route). */
    decision: Decision | null;
  }
}

/** Refusals that do not depend on the patient: a patient route stops at the gate for these. */
const GATE_REASONS = new Set(['deny-role', 'deny-scope', 'deny-unknown-action', 'deny-purpose']);

const DENIALS_MESSAGE: Record<string, string> = {
  'deny-purpose': 'None of your roles may act under the purpose of use this request declares (X-Purpose-Of-Use).',
  'deny-role': 'Your roles do not include this action.',
  'deny-scope': 'This client was not granted a scope that allows this action.',
  'deny-unknown-action': 'This action is not in the access policy.',
};

/**
 * The subject of a request that passed the guard. Non-public routes never run without one; the check keeps the type
 * honest (and a route wrongly declared public from running anonymously).
 */
export function subjectOf(request: FastifyRequest): Subject {
  if (!request.subject) throw new UnauthenticatedError();
  return request.subject;
}

export function policyOf(request: FastifyRequest): RoutePolicy | undefined {
  return (request.routeOptions.config as { policy?: RoutePolicy } | undefined)?.policy;
}

/**
 * The one gate in front of every route: a route that is not public needs an authenticated subject, and the decision
 * point must permit the route's declared action (for patient routes: somewhere; the handler then decides per patient).
 * A refusal is audited; it is the same 403 whether the caller lacks the role or the scope.
 */
export function installGuard(app: FastifyInstance, deps: AppDeps): void {
  app.decorateRequest('decision', null);
  // Before body validation: an unauthenticated or unauthorized caller learns nothing about the route's schema.
  app.addHook('preValidation', async (request) => {
    const policy = policyOf(request);
    if (!policy || 'public' in policy) return;
    const subject = request.subject;
    if (!subject) throw new UnauthenticatedError();
    const decision = decide({ subject, action: policy.action, resourceType: policy.resource, purposeOfUse: declaredPurpose(request) });
    // A patient route passes the gate when the subject may do the action for some patient; the handler decides for this one.
    const passes = decision.permit || (policy.patient === true && !GATE_REASONS.has(decision.reason));
    if (!passes) {
      const store = deps.store();
      if (store) {
        await recordAudit(store.db, subject, requestFacts(request), {
          action: policy.action,
          actionCode: 'E',
          resourceType: policy.resource,
          outcome: 'denied',
          reasonCode: decision.reason,
          details: { route: request.routeOptions.url ?? null, method: request.method },
        });
      }
      throw new ForbiddenError(decision.reason, DENIALS_MESSAGE[decision.reason] ?? 'You are not allowed to do this.');
    }
    request.decision = decision;
  });
}
