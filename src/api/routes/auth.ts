import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { signIn } from '../../controls/access/auth/credentials.ts';
import { AuthError } from '../../controls/access/auth/errors.ts';
import { revokeSession, rotateRefreshToken, sessionOfRefreshToken, subjectOf } from '../../controls/access/auth/sessions.ts';
import { permissionsOf } from '../../controls/access/policy.ts';
import { recordAudit } from '../../controls/audit/audit-event.ts';
import { UnauthenticatedError } from '../../errors.ts';
import type { AppDeps } from '../app.ts';
import { authServices, clearedSessionCookie, CSRF_HEADER, sessionCookie } from '../authenticate.ts';
import { toProblem } from '../problem.ts';
import { requestFacts } from '../request-facts.ts';
import { requireStore } from '../require-store.ts';

/**
 * Sign-in, refresh, sign-out and "who am I". These answer errors in the OAuth 2.0 shape ({error, error_description})
 * that token clients expect; nothing in an answer or a log line quotes the username, password, code or token sent.
 */
export function useOAuthErrors(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof AuthError) return reply.code(err.status).send({ error: err.error, error_description: err.message });
    const problem = toProblem(err, request.id);
    if (problem.status < 500) return reply.code(problem.status).send({ error: 'invalid_request', error_description: problem.detail });
    // Server faults go to the app's handler, which logs them and answers a problem document.
    throw err;
  });
}

function noStore(reply: FastifyReply): void {
  // RFC 6749 §5.1: responses carrying tokens must not be cached by anyone.
  reply.header('pragma', 'no-cache');
}

interface LoginBody {
  username: string;
  password: string;
  totp?: string;
  mode?: 'token' | 'cookie';
}

const tokenAnswer = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_in: { type: 'integer' },
    refresh_token: { type: 'string' },
    csrf_token: { type: 'string' },
    idle_timeout: { type: 'integer' },
  },
} as const;

const oauthError = { type: 'object', properties: { error: { type: 'string' }, error_description: { type: 'string' } } } as const;

export const authRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (root) => {
    const auth = authServices(deps);
    await root.register(async (app) => {
      useOAuthErrors(app);

      app.post<{ Body: LoginBody }>(
        '/auth/login',
        {
          config: { policy: { public: true, why: 'sign-in: the credentials in the body are what it checks' } },
          schema: {
            tags: ['auth'],
            summary: 'Sign in with username, password and (for privileged roles) a TOTP code; token or cookie session',
            body: {
              type: 'object',
              required: ['username', 'password'],
              properties: {
                username: { type: 'string', maxLength: 256 },
                password: { type: 'string', maxLength: 1024 },
                totp: { type: 'string', maxLength: 16 },
                mode: { type: 'string', enum: ['token', 'cookie'] },
              },
            },
            response: { 200: tokenAnswer, 400: oauthError, 401: oauthError },
          },
        },
        async (request, reply) => {
          const store = requireStore(deps);
          const mode = request.body.mode ?? 'token';
          const { subject, session } = await signIn(
            store,
            deps.keyring,
            { username: request.body.username, password: request.body.password, totp: request.body.totp, kind: mode === 'cookie' ? 'web' : 'api' },
            requestFacts(request),
            auth.sessionPolicy,
          );
          noStore(reply);
          const idleSeconds = auth.sessionPolicy.idleMinutes * 60;
          if (mode === 'cookie') {
            reply.header('set-cookie', sessionCookie(session.cookieToken!));
            return { csrf_token: session.csrfToken!, expires_in: Math.floor((session.absoluteExpiresAt.getTime() - Date.now()) / 1000), idle_timeout: idleSeconds };
          }
          const issued = await auth.tokens.issueForPerson(store, { personId: subject.id, sessionId: session.sessionId, ttlSeconds: auth.accessTokenTtlSeconds });
          return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, refresh_token: session.refreshToken! };
        },
      );

      app.post<{ Body: { refresh_token: string } }>(
        '/auth/refresh',
        {
          config: { policy: { public: true, why: 'token refresh: the refresh token in the body is the credential' } },
          schema: {
            tags: ['auth'],
            summary: 'Trade a refresh token (once) for a new access token and refresh token',
            body: { type: 'object', required: ['refresh_token'], properties: { refresh_token: { type: 'string', maxLength: 200 } } },
            response: { 200: tokenAnswer, 400: oauthError, 401: oauthError },
          },
        },
        async (request, reply) => {
          const store = requireStore(deps);
          const facts = requestFacts(request);
          const now = new Date();
          const outcome = await store.tx(async (trx) => {
            const result = await rotateRefreshToken(trx, request.body.refresh_token, auth.sessionPolicy, now);
            const view = result.view;
            const actor = view
              ? { actorType: 'person' as const, actorId: view.person_id, actorName: view.username, actorRoles: view.roles, organizationId: view.organization_id, sessionId: view.id }
              : { actorType: 'anonymous' as const, actorId: null, actorName: null };
            const resourceIds = view ? [view.id] : [];
            if (result.ok) {
              await recordAudit(trx, subjectOf(result.view), facts, { action: 'auth.refresh', actionCode: 'E', resourceType: 'Session', resourceIds, outcome: 'success' });
            } else if (result.reason === 'reused') {
              await recordAudit(trx, null, facts, {
                action: 'auth.refresh-reuse', actionCode: 'E', resourceType: 'Session', resourceIds, outcome: 'denied', reasonCode: 'refresh-token-reuse', actor,
                details: { sessionRevoked: true },
              });
            } else {
              await recordAudit(trx, null, facts, { action: 'auth.refresh', actionCode: 'E', resourceType: 'Session', resourceIds, outcome: 'denied', reasonCode: result.reason, actor });
            }
            return result;
          });
          if (!outcome.ok) {
            if (outcome.reason === 'reused') deps.logger.warn('auth.refresh-reuse', { request_id: request.id, actor_id: outcome.view?.person_id ?? 'unknown' });
            throw new AuthError('invalid_grant', 401, 'This refresh token is not valid (already used, expired, or its session ended): sign in again.');
          }
          const issued = await auth.tokens.issueForPerson(store, { personId: outcome.view.person_id, sessionId: outcome.view.id, ttlSeconds: auth.accessTokenTtlSeconds });
          noStore(reply);
          return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, refresh_token: outcome.refreshToken };
        },
      );

      app.post(
        '/auth/logout',
        {
          config: { policy: { public: true, why: "sign-out ends the caller's own session (bearer, cookie or refresh token); it must work with a stale token too" } },
          schema: { tags: ['auth'], summary: 'Sign out: revoke this session and clear the session cookie' },
        },
        async (request: FastifyRequest, reply) => {
          if (request.credentialProblem === 'csrf-failed') throw new AuthError('csrf_failed', 403, `Signing out with the session cookie needs the session's CSRF token in the ${CSRF_HEADER} header.`);
          const store = requireStore(deps);
          const subject = request.subject;
          const body = request.body as { refresh_token?: unknown } | undefined;
          let sessionId: string | undefined;
          if (subject?.kind === 'person') sessionId = subject.sessionId;
          else if (body && typeof body === 'object') sessionId = await sessionOfRefreshToken(store.db, body.refresh_token);
          if (sessionId) {
            const id = sessionId;
            await store.tx(async (trx) => {
              const revoked = await revokeSession(trx, id, 'logout', new Date());
              const owner = await trx.selectFrom('sessions as s').innerJoin('people as p', 'p.id', 's.person_id').select(['p.id', 'p.username', 'p.organization_id']).where('s.id', '=', id).executeTakeFirstOrThrow();
              await recordAudit(trx, subject?.kind === 'person' ? subject : null, requestFacts(request), {
                action: 'auth.logout', actionCode: 'E', resourceType: 'Session', resourceIds: [id], outcome: 'success', reasonCode: revoked ? null : 'already-ended',
                actor: { actorType: 'person', actorId: owner.id, actorName: owner.username, organizationId: owner.organization_id, sessionId: id },
              });
            });
          }
          reply.header('set-cookie', clearedSessionCookie());
          return reply.code(204).send();
        },
      );
    });

    // Outside the OAuth-shaped plugin: "who am I" is an API call and answers problem documents like the others.
    root.get(
      '/auth/me',
      {
        config: { policy: { action: 'self.read', resource: 'Account' } },
        schema: { tags: ['auth'], summary: 'Who am I, and what may I do (the server still decides every request)' },
      },
      async (request) => {
        const subject = request.subject;
        if (!subject) throw new UnauthenticatedError();
        if (subject.kind === 'client') return { kind: 'client', id: subject.id, name: subject.name, scopes: subject.scopes };
        const store = requireStore(deps);
        const facilities =
          subject.facilityIds.length === 0
            ? []
            : await store.db.selectFrom('facilities').select(['id', 'code', 'name']).where('id', 'in', [...subject.facilityIds]).orderBy('code').execute();
        return {
          kind: 'person',
          id: subject.id,
          username: subject.username,
          displayName: subject.displayName,
          organizationId: subject.organizationId,
          roles: subject.roles,
          facilities,
          session: { id: subject.sessionId, kind: subject.sessionKind, mfaAt: subject.mfaAt ? subject.mfaAt.toISOString() : null, idleTimeoutSeconds: auth.sessionPolicy.idleMinutes * 60 },
          permissions: permissionsOf(subject.roles),
        };
      },
    );
  };
