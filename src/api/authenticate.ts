import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccessTokens, TokenError } from '../controls/access/auth/access-tokens.ts';
import { loadSession, matchesHash, sessionEnd, subjectOf, touchSession, type SessionPolicy } from '../controls/access/auth/sessions.ts';
import { grantScopes } from '../controls/access/auth/system-clients.ts';
import type { Subject } from '../controls/access/subject.ts';
import { ServiceUnavailableError, VigilError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { AppDeps } from './app.ts';
import { sendProblem, toProblem } from './problem.ts';
import type { RoutePolicy } from './route-policy.ts';

/**
 * Authentication, before anything else looks at a request: a bearer token (a person's or a system client's) or the
 * web session cookie becomes `request.subject`. The session or client behind it is checked on every request, so
 * logout, an admin revocation, the idle and absolute timeouts and a client revocation all take effect on the next
 * request. A bad bearer token on a protected route is answered here with 401 and `WWW-Authenticate`, saying whether
 * it expired or is invalid; a cookie-authenticated unsafe request without the session's CSRF token is answered 403.
 * Deciding what the subject may do is the guard's job, not this hook's. Tokens are never logged.
 */
export const SESSION_COOKIE = 'vigil_session';
export const CSRF_HEADER = 'x-csrf-token';

export type CredentialProblem = 'token-invalid' | 'token-expired' | 'session-ended' | 'client-revoked' | 'csrf-failed';

declare module 'fastify' {
  interface FastifyRequest {
    /** Why credentials that came with the request were not accepted (public routes still run, without a subject). */
    credentialProblem: CredentialProblem | null;
  }
}

export interface AuthServices {
  tokens: AccessTokens;
  sessionPolicy: SessionPolicy;
  accessTokenTtlSeconds: number;
}

const services = new WeakMap<AppDeps, AuthServices>();

/** One token signer/verifier (with its key cache) per app. */
export function authServices(deps: AppDeps): AuthServices {
  let found = services.get(deps);
  if (!found) {
    found = {
      tokens: new AccessTokens(deps.keyring),
      sessionPolicy: { idleMinutes: deps.config.sessionIdleMinutes, absoluteHours: deps.config.sessionAbsoluteHours },
      accessTokenTtlSeconds: deps.config.accessTokenTtlSeconds,
    };
    services.set(deps, found);
  }
  return found;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const COOKIE_VALUE = /^[A-Za-z0-9_-]{1,200}$/;

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return COOKIE_VALUE.test(value) ? value : undefined;
  }
  return undefined;
}

/** httpOnly (scripts cannot read it), Secure, SameSite=Strict (no cross-site request carries it); ends with the browser. */
export function sessionCookie(value: string): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;
}

function isPublicRoute(request: FastifyRequest): boolean {
  const policy = (request.routeOptions.config as { policy?: RoutePolicy } | undefined)?.policy;
  // No policy means no route matched (the 404 handler): nothing to protect, so credentials cannot block the 404.
  return !policy || 'public' in policy;
}

const PROBLEMS: Record<Exclude<CredentialProblem, 'token-invalid' | 'token-expired'>, VigilError> = {
  'session-ended': new VigilError('session-ended', 401, 'Your session has ended (signed out, revoked, idle too long or past its time limit): sign in again.'),
  'client-revoked': new VigilError('client-revoked', 401, 'This client has been revoked; its tokens no longer work. Ask the security administrator.'),
  'csrf-failed': new VigilError('csrf-failed', 403, `This request came with the session cookie but without the session's CSRF token: send it in the ${CSRF_HEADER} header.`),
};

function errorFor(problem: CredentialProblem): VigilError {
  return problem === 'token-invalid' || problem === 'token-expired' ? new TokenError(problem) : PROBLEMS[problem];
}

function refuse(request: FastifyRequest, reply: FastifyReply, problem: CredentialProblem, bearer: boolean): FastifyReply {
  if (bearer) {
    const description = problem === 'token-expired' ? 'The access token expired' : problem === 'token-invalid' ? 'The access token is invalid' : 'The session or client behind the token has ended';
    reply.header('www-authenticate', `Bearer realm="vigil", error="invalid_token", error_description="${description}"`);
  }
  return sendProblem(request, reply, toProblem(errorFor(problem), request.id));
}

async function bearerSubject(store: Store, auth: AuthServices, token: string, now: Date): Promise<{ subject: Subject } | { problem: CredentialProblem }> {
  let claims;
  try {
    claims = await auth.tokens.verify(store, token, now);
  } catch (err) {
    if (err instanceof TokenError) return { problem: err.code as CredentialProblem };
    throw err;
  }
  if (claims.kind === 'client') {
    const client = await store.db.selectFrom('system_clients').select(['id', 'name', 'status', 'scopes']).where('id', '=', claims.clientId).executeTakeFirst();
    if (!client || client.status !== 'active') return { problem: 'client-revoked' };
    // Scopes taken away since the token was issued are gone at once, like a revocation.
    return { subject: { kind: 'client', id: client.id, name: client.name, scopes: grantScopes(claims.scopes, client.scopes) } };
  }
  const view = await loadSession(store.db, { id: claims.sid });
  if (!view || view.person_id !== claims.sub || sessionEnd(view, auth.sessionPolicy, now)) return { problem: 'session-ended' };
  await touchSession(store.db, view, now);
  return { subject: subjectOf(view) };
}

async function cookieSubject(store: Store, auth: AuthServices, request: FastifyRequest, cookie: string, now: Date): Promise<{ subject: Subject } | { problem: CredentialProblem }> {
  const view = await loadSession(store.db, { cookieToken: cookie });
  if (!view || view.kind !== 'web' || sessionEnd(view, auth.sessionPolicy, now)) return { problem: 'session-ended' };
  if (UNSAFE.has(request.method)) {
    const presented = request.headers[CSRF_HEADER];
    if (typeof presented !== 'string' || !matchesHash(presented, view.csrf_token_hash)) return { problem: 'csrf-failed' };
  }
  await touchSession(store.db, view, now);
  return { subject: subjectOf(view) };
}

export function installAuthentication(app: FastifyInstance, deps: AppDeps): void {
  const auth = authServices(deps);
  app.decorateRequest('credentialProblem', null);
  app.addHook('onRequest', async (request, reply) => {
    const authorization = request.headers.authorization;
    const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (authorization === undefined && cookie === undefined) return;
    const isPublic = isPublicRoute(request);
    const store = deps.store();
    if (!store) {
      if (isPublic) return;
      return sendProblem(request, reply, toProblem(new ServiceUnavailableError('The database is not ready yet; try again shortly (see /health/ready).'), request.id));
    }
    const now = new Date();
    const bearer = authorization !== undefined;
    let result: { subject: Subject } | { problem: CredentialProblem };
    if (bearer) {
      const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization);
      result = match ? await bearerSubject(store, auth, match[1]!, now) : { problem: 'token-invalid' };
    } else {
      result = await cookieSubject(store, auth, request, cookie!, now);
    }
    if ('subject' in result) {
      request.subject = result.subject;
      return;
    }
    request.credentialProblem = result.problem;
    // A stale cookie or token must not stop a public route (signing in again, the health checks); protected routes
    // learn why at once, and a browser is told to drop a cookie that opens nothing any more.
    if (isPublic) return;
    if (!bearer && result.problem === 'session-ended') reply.header('set-cookie', clearedSessionCookie());
    return refuse(request, reply, result.problem, bearer);
  });
}
