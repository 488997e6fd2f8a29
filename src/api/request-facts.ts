import type { FastifyRequest } from 'fastify';
import { effectivePurpose } from '../controls/access/pdp.ts';
import type { RequestFacts } from '../controls/access/subject.ts';

const PURPOSE = /^[A-Z][A-Z-]{1,19}$/;

/** The purpose the caller declared in X-Purpose-Of-Use (an HL7 PurposeOfUse code), or null. */
export function declaredPurpose(request: FastifyRequest): string | null {
  const purpose = request.headers['x-purpose-of-use'];
  return typeof purpose === 'string' && PURPOSE.test(purpose) ? purpose : null;
}

/** The request's side of an audit event. User agents are cut short: they are evidence, not a place to store data. */
export function requestFacts(request: FastifyRequest): RequestFacts {
  const ua = request.headers['user-agent'];
  return {
    requestId: request.id,
    clientIp: request.ip ?? null,
    userAgent: typeof ua === 'string' ? ua.slice(0, 256) : null,
    purposeOfUse: effectivePurpose(request.subject, declaredPurpose(request)),
  };
}
