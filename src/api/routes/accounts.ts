import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { clearFailures } from '../../controls/access/auth/lockout.ts';
import { listSessions, revokeSessionsOf } from '../../controls/access/auth/sessions.ts';
import { clearTotp } from '../../controls/access/auth/totp.ts';
import { recordAudit } from '../../controls/audit/audit-event.ts';
import { randomBytes } from 'node:crypto';
import { enrollTotp, setPassword, totpUri } from '../../controls/access/auth/credentials.ts';
import { decide } from '../../controls/access/pdp.ts';
import { ForbiddenError, NotFoundError, VigilError } from '../../errors.ts';
import type { Tx } from '../../store/store.ts';
import type { AppDeps } from '../app.ts';
import { authServices } from '../authenticate.ts';
import { subjectOf } from '../guard.ts';
import { requestFacts } from '../request-facts.ts';
import { requireStore } from '../require-store.ts';

/**
 * Support's account desk: see a person's sessions and lockout state, end their sessions, lift a lockout, reset their
 * second factor. Account and session data only, never clinical data; who may do which is the guard's decision on the
 * declared action, and every use is audited with the person it was done to.
 */
const params = { type: 'object', required: ['personId'], properties: { personId: { type: 'string', format: 'uuid' } } } as const;
type Params = { Params: { personId: string } };


async function personOrNotFound(trx: Tx, personId: string, forUpdate = true) {
  let query = trx
    .selectFrom('people')
    .select(['id', 'username', 'status', 'failed_logins', 'locked_until', 'totp_secret_wrapped', 'last_login_at'])
    .where('id', '=', personId);
  // Changes lock the row so that a sign-in racing an unlock or a reset sees one state or the other, not a mix.
  if (forUpdate) query = query.forUpdate();
  const person = await query.executeTakeFirst();
  if (!person) throw new NotFoundError('No person has this id.');
  return person;
}

/** Refuses (and records) an unlock or MFA reset the decision point will not allow on this particular person. */
async function assertMayActOn(deps: AppDeps, request: FastifyRequest, action: 'account.unlock' | 'account.reset-mfa' | 'account.issue-credentials', personId: string): Promise<void> {
  const subject = subjectOf(request);
  const store = requireStore(deps);
  const roles = await store.db.selectFrom('person_roles').select('role').where('person_id', '=', personId).execute();
  const decision = decide({ subject, action, accountTarget: { id: personId, roles: roles.map((r) => r.role) } });
  if (decision.permit) return;
  await recordAudit(store.db, subject, requestFacts(request), { action, actionCode: 'U', resourceType: 'Account', resourceIds: [personId], outcome: 'denied', reasonCode: decision.reason });
  throw new ForbiddenError(decision.reason, decision.reason === 'deny-own-account' ? 'You cannot do this to your own account; ask a colleague.' : 'Only a security admin may do this to a privileged account.');
}

export const accountRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const auth = authServices(deps);

    app.get<Params>(
      '/api/accounts/:personId/sessions',
      { config: { policy: { action: 'account.read', resource: 'Account' } }, schema: { tags: ['accounts'], summary: "A person's account state and sessions (no tokens)", params } },
      async (request) => {
        const subject = subjectOf(request);
        const store = requireStore(deps);
        const now = new Date();
        return store.tx(async (trx) => {
          const person = await personOrNotFound(trx, request.params.personId, false);
          const sessions = await listSessions(trx, person.id, auth.sessionPolicy, now);
          await recordAudit(trx, subject, requestFacts(request), { action: 'account.read', actionCode: 'R', resourceType: 'Account', resourceIds: [person.id], outcome: 'success' });
          return {
            personId: person.id,
            username: person.username,
            status: person.status,
            locked: person.locked_until !== null && person.locked_until.getTime() > now.getTime(),
            lockedUntil: person.locked_until && person.locked_until.getTime() > now.getTime() ? person.locked_until.toISOString() : null,
            consecutiveFailures: person.failed_logins,
            mfaEnrolled: person.totp_secret_wrapped !== null,
            lastLoginAt: person.last_login_at ? person.last_login_at.toISOString() : null,
            sessions,
          };
        });
      },
    );

    app.post<Params>(
      '/api/accounts/:personId/sessions/revoke',
      { config: { policy: { action: 'account.revoke-sessions', resource: 'Account' } }, schema: { tags: ['accounts'], summary: "End every open session of a person (takes effect on their next request)", params } },
      async (request) => {
        const subject = subjectOf(request);
        const store = requireStore(deps);
        return store.tx(async (trx) => {
          const person = await personOrNotFound(trx, request.params.personId);
          const revoked = await revokeSessionsOf(trx, person.id, 'revoked-by-support', new Date());
          await recordAudit(trx, subject, requestFacts(request), {
            action: 'account.revoke-sessions', actionCode: 'U', resourceType: 'Account', resourceIds: [person.id], outcome: 'success', details: { sessionsRevoked: revoked },
          });
          return { personId: person.id, revoked: revoked.length };
        });
      },
    );

    app.post<Params>(
      '/api/accounts/:personId/unlock',
      { config: { policy: { action: 'account.unlock', resource: 'Account' } }, schema: { tags: ['accounts'], summary: 'Lift a sign-in lockout and reset the failure count', params } },
      async (request) => {
        await assertMayActOn(deps, request, 'account.unlock', request.params.personId);
        const subject = subjectOf(request);
        const store = requireStore(deps);
        return store.tx(async (trx) => {
          const person = await personOrNotFound(trx, request.params.personId);
          await clearFailures(trx, person.id);
          await recordAudit(trx, subject, requestFacts(request), {
            action: 'account.unlock', actionCode: 'U', resourceType: 'Account', resourceIds: [person.id], outcome: 'success',
            details: { consecutiveFailures: person.failed_logins, wasLocked: person.locked_until !== null && person.locked_until.getTime() > Date.now() },
          });
          return { personId: person.id, locked: false };
        });
      },
    );

    app.post<Params>(
      '/api/accounts/:personId/reset-mfa',
      { config: { policy: { action: 'account.reset-mfa', resource: 'Account' } }, schema: { tags: ['accounts'], summary: 'Remove the second factor; the person must enrol again', params } },
      async (request) => {
        await assertMayActOn(deps, request, 'account.reset-mfa', request.params.personId);
        const subject = subjectOf(request);
        const store = requireStore(deps);
        return store.tx(async (trx) => {
          const person = await personOrNotFound(trx, request.params.personId);
          await clearTotp(trx, person.id);
          await recordAudit(trx, subject, requestFacts(request), {
            action: 'account.reset-mfa', actionCode: 'U', resourceType: 'Account', resourceIds: [person.id], outcome: 'success', details: { wasEnrolled: person.totp_secret_wrapped !== null },
          });
          return { personId: person.id, mfaEnrolled: false };
        });
      },
    );

    app.get<{ Querystring: { username?: string; limit?: number } }>(
      '/api/accounts',
      {
        config: { policy: { action: 'account.read', resource: 'Account' } },
        schema: {
          tags: ['accounts'],
          summary: 'Find accounts by username prefix (account data only: username, name, status, roles)',
          querystring: { type: 'object', additionalProperties: false, properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 25 } } },
        },
      },
      async (request) => {
        const subject = subjectOf(request);
        const store = requireStore(deps);
        const prefix = (request.query.username ?? '').toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
        return store.tx(async (trx) => {
          const people = await trx
            .selectFrom('people')
            .select(['id', 'username', 'display_name', 'status', 'locked_until', 'last_login_at'])
            .where('username', 'like', `${prefix}%`)
            .orderBy('username')
            .limit(request.query.limit ?? 25)
            .execute();
          const roles = people.length === 0 ? [] : await trx.selectFrom('person_roles').select(['person_id', 'role']).where('person_id', 'in', people.map((p) => p.id)).execute();
          await recordAudit(trx, subject, requestFacts(request), { action: 'account.read', actionCode: 'E', resourceType: 'Account', resourceIds: people.map((p) => p.id), outcome: 'success' });
          const now = Date.now();
          return {
            accounts: people.map((p) => ({
              personId: p.id,
              username: p.username,
              displayName: p.display_name,
              status: p.status,
              locked: p.locked_until !== null && new Date(p.locked_until).getTime() > now,
              lastLoginAt: p.last_login_at ? new Date(p.last_login_at).toISOString() : null,
              roles: roles.filter((r) => r.person_id === p.id).map((r) => r.role).sort(),
            })),
          };
        });
      },
    );

    app.post<Params>(
      '/api/accounts/:personId/issue-credentials',
      {
        config: { policy: { action: 'account.issue-credentials', resource: 'Account' } },
        schema: { tags: ['accounts'], summary: 'Issue a new password and authenticator secret (shown once, to hand over); ends open sessions', params },
      },
      async (request) => {
        await assertMayActOn(deps, request, 'account.issue-credentials', request.params.personId);
        const subject = subjectOf(request);
        const store = requireStore(deps);
        const password = randomBytes(18).toString('base64url');
        return store.tx(async (trx) => {
          const person = await personOrNotFound(trx, request.params.personId);
          if (person.status !== 'active') throw new VigilError('account-disabled', 409, 'This account is disabled; enable it before issuing credentials.');
          await setPassword(trx, person.id, password);
          const totpSecret = await enrollTotp(trx, deps.keyring, person.id);
          await clearFailures(trx, person.id);
          const revoked = await revokeSessionsOf(trx, person.id, 'credentials-reissued', new Date());
          await recordAudit(trx, subject, requestFacts(request), {
            action: 'account.issue-credentials', actionCode: 'U', resourceType: 'Account', resourceIds: [person.id], outcome: 'success', details: { sessionsRevoked: revoked },
          });
          // The one time these are shown: nothing stores them in the clear, and the answer is never cached (no-store).
          return { personId: person.id, username: person.username, password, totpSecret, otpauthUri: totpUri(totpSecret, person.username) };
        });
      },
    );
  };
