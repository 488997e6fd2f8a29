import type { FastifyRequest } from 'fastify';
import type { RequestFacts } from '../controls/access/subject.ts';

const PURPOSE = /^[A-Z][A-Z-]{1,19}$/;

/** The request's side of an audit event. User agents are cut short: they are evidence, not a place to store data. */
export function requestFacts(request: FastifyRequest): RequestFacts {
  const ua = request.headers['user-agent'];
  const purpose = request.headers['x-purpose-of-use'];
  return {
    requestId: request.id,
    clientIp: request.ip ?? null,
    userAgent: typeof ua === 'string' ? ua.slice(0, 256) : null,
    purposeOfUse: typeof purpose === 'string' && PURPOSE.test(purpose) ? purpose : 'TREAT',
  };
}
