import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { VigilError } from '../errors.ts';

/**
 * Turns any error into an RFC 9457 problem document (or a FHIR OperationOutcome under /fhir). Only messages written
 * by Vigil (VigilError) reach the client; anything else gets a generic text, because a driver's or a library's
 * message can quote the data it choked on.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  /** The decision point's reason code on a 403, so a client can offer break-glass or explain. */
  reason?: string;
  errors?: { pointer: string; detail: string }[];
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Not authenticated',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  406: 'Not acceptable',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

const FASTIFY_CODES: Record<string, { code: string; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload-too-large', detail: 'The request body is larger than this server accepts (VIGIL_BODY_LIMIT_BYTES).' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'unsupported-media-type', detail: 'This endpoint does not accept that Content-Type; send application/json.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'empty-body', detail: 'The request body is empty; send a JSON document or drop the Content-Type header.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'bad-content-length', detail: 'The Content-Length header does not match the body.' },
  FST_ERR_NOT_FOUND: { code: 'not-found', detail: 'No endpoint answers this method and path.' },
};

export function toProblem(err: unknown, requestId: string): Problem {
  const base = (status: number, code: string, detail: string): Problem => ({
    type: `urn:vigil:problem:${code}`,
    title: TITLES[status] ?? (status >= 500 ? 'Server error' : 'Request error'),
    status,
    detail,
    code,
    requestId,
  });
  if (err instanceof VigilError) {
    const problem = base(err.status, err.code, err.message);
    const reason = (err as { reason?: unknown }).reason;
    if (typeof reason === 'string') problem.reason = reason;
    return problem;
  }
  const fe = err as Partial<FastifyError>;
  if (Array.isArray(fe.validation)) {
    const problem = base(400, 'invalid-request', 'The request does not match the schema of this endpoint; see errors.');
    problem.errors = fe.validation.map((v) => ({
      pointer: `${fe.validationContext ?? 'body'}${v.instancePath || ''}`,
      detail: String(v.message ?? 'is invalid'),
    }));
    return problem;
  }
  const known = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500;
  if (known) return base(status, known.code, known.detail);
  if (status < 500) return base(status, 'bad-request', 'The request could not be processed as sent.');
  return base(500, 'internal-error', `Something went wrong on our side. Quote request id ${requestId} to an operator.`);
}

const FHIR_ISSUE_CODES: Record<number, string> = { 400: 'invalid', 401: 'login', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 413: 'too-long', 415: 'not-supported', 422: 'processing' };

export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  reply.code(problem.status);
  if (request.url.startsWith('/fhir/') || request.url === '/fhir') {
    return reply.type('application/fhir+json').send({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: problem.status >= 500 ? 'fatal' : 'error',
          code: FHIR_ISSUE_CODES[problem.status] ?? 'exception',
          details: { coding: [{ system: 'urn:vigil:problem', code: problem.code }, ...(problem.reason ? [{ system: 'urn:vigil:access-reason', code: problem.reason }] : [])], text: problem.detail },
          diagnostics: `request id ${problem.requestId}`,
        },
      ],
    });
  }
  return reply.type('application/problem+json').send(problem);
}
