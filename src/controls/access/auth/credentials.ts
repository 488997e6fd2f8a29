import type { Store } from '../../../store/store.ts';
import { recordAudit } from '../../audit/audit-event.ts';
import type { KeyEncryptionService } from '../../keys/keyring.ts';
import { MFA_REQUIRED_ROLES } from '../policy.ts';
import type { PersonSubject, RequestFacts } from '../subject.ts';
import { AuthError, invalidCredentials } from './errors.ts';
import { clearFailures, isLocked, recordFailure } from './lockout.ts';
import { verifyPassword } from './passwords.ts';
import { loadSession, openSession, subjectOf, type OpenedSession, type SessionKind, type SessionPolicy } from './sessions.ts';
import { checkTotp } from './totp.ts';

/**
 * How a person proves who they are. The credential functions are re-exported here for the code that creates people
 * (admin API, demo seed) and for the second-factor check of break-glass.
 */
export { hashPassword, setPassword, verifyPassword, passwordProblem, MIN_PASSWORD_LENGTH } from './passwords.ts';
export { checkTotp, clearTotp, enrollTotp, hasTotp, totpUri, verifyTotp } from './totp.ts';

export interface SignInInput {
  username: unknown;
  password: unknown;
  totp?: unknown;
  kind: SessionKind;
}

export interface SignedIn {
  subject: PersonSubject;
  session: OpenedSession;
}

const MAX_USERNAME = 64;
const MAX_PASSWORD = 1024;

export function needsSecondFactor(roles: readonly string[]): boolean {
  return roles.some((role) => (MFA_REQUIRED_ROLES as readonly string[]).includes(role));
}

type Outcome = { ok: true; signedIn: SignedIn } | { ok: false; error: AuthError };

/**
 * Username + password (+ TOTP). Every way of getting it wrong before the password is proven (no such user, disabled,
 * locked, wrong password) gives the same answer after the same work, and each is audited; only after the password is
 * right does the caller learn that a second factor is needed or was wrong. A wrong second factor counts towards the
 * lockout like a wrong password, or six digits could be guessed at leisure.
 */
export async function signIn(store: Store, keyring: KeyEncryptionService, input: SignInInput, facts: RequestFacts, policy: SessionPolicy, now: Date = new Date()): Promise<SignedIn> {
  if (typeof input.username !== 'string' || typeof input.password !== 'string' || input.username.length === 0 || input.password.length === 0) {
    throw new AuthError('invalid_request', 400, 'Send JSON with a username and a password.');
  }
  if (input.totp !== undefined && input.totp !== null && typeof input.totp !== 'string') {
    throw new AuthError('invalid_request', 400, 'totp must be the six digits your authenticator shows, as a string.');
  }
  const username = input.username.normalize('NFKC').trim().toLowerCase();
  const password = input.password.slice(0, MAX_PASSWORD);
  // Authenticator apps show "123 456"; people type what they see.
  const totp = typeof input.totp === 'string' && input.totp.trim() !== '' ? input.totp.replace(/\s+/g, '') : undefined;

  const person =
    username.length <= MAX_USERNAME
      ? await store.db.selectFrom('people').select(['id', 'username', 'password_hash']).where('username', '=', username).executeTakeFirst()
      : undefined;
  // Always exactly one argon2 verification, whether or not the username exists (timing must not tell).
  const passwordOk = await verifyPassword(person?.password_hash ?? null, password);

  if (!person) {
    // The typed username is not stored: it may be a password typed into the wrong field.
    await recordAudit(store.db, null, facts, {
      action: 'auth.login', actionCode: 'E', resourceType: 'Session', outcome: 'denied', reasonCode: 'unknown-user',
      actor: { actorType: 'person', actorId: null, actorName: null },
    });
    throw invalidCredentials();
  }

  const outcome = await store.tx(async (trx): Promise<Outcome> => {
    const row = await trx
      .selectFrom('people')
      .select(['id', 'username', 'status', 'locked_until'])
      .where('id', '=', person.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const actor = { actorType: 'person' as const, actorId: row.id, actorName: row.username };
    const deny = async (action: string, reasonCode: string, error: AuthError, details?: Record<string, unknown>): Promise<Outcome> => {
      await recordAudit(trx, null, facts, { action, actionCode: 'E', resourceType: 'Session', outcome: 'denied', reasonCode, actor, details: details ?? null });
      return { ok: false, error };
    };
    const fail = async (action: string, reasonCode: string, error: AuthError): Promise<Outcome> => {
      const { failures, lockedUntil } = await recordFailure(trx, row.id, now);
      const result = await deny(action, reasonCode, error, { consecutiveFailures: failures });
      if (lockedUntil) {
        await recordAudit(trx, null, facts, {
          action: 'auth.lockout', actionCode: 'U', resourceType: 'Account', resourceIds: [row.id], outcome: 'success', reasonCode: 'too-many-failures', actor,
          details: { consecutiveFailures: failures, lockedUntil: lockedUntil.toISOString() },
        });
      }
      return result;
    };

    if (row.status !== 'active') return deny('auth.login', 'disabled', invalidCredentials());
    if (isLocked(row.locked_until, now)) return deny('auth.login', 'locked', invalidCredentials());
    if (!passwordOk) return fail('auth.login', 'bad-password', invalidCredentials());

    const roles = (await trx.selectFrom('person_roles').select('role').where('person_id', '=', row.id).execute()).map((r) => r.role);
    let mfaAt: Date | null = null;
    if (totp !== undefined) {
      const check = await checkTotp(trx, keyring, row.id, totp, now);
      if (!check.ok) return fail('auth.mfa-failure', check.reason, new AuthError('invalid_totp', 401, 'The authenticator code is not correct or was already used: wait for the next code and try again.'));
      mfaAt = now;
    } else if (needsSecondFactor(roles)) {
      return deny('auth.login', 'mfa-required', new AuthError('mfa_required', 401, 'Your role needs a second factor: send the six-digit code from your authenticator as totp.'));
    }

    await clearFailures(trx, row.id);
    await trx.updateTable('people').set({ last_login_at: now }).where('id', '=', row.id).execute();
    const session = await openSession(trx, { personId: row.id, kind: input.kind, mfaAt, facts, policy, now });
    const view = await loadSession(trx, { id: session.sessionId });
    const subject = subjectOf(view!);
    await recordAudit(trx, subject, facts, {
      action: 'auth.login', actionCode: 'E', resourceType: 'Session', resourceIds: [session.sessionId], outcome: 'success',
      details: { sessionKind: input.kind, mfa: mfaAt !== null },
    });
    return { ok: true, signedIn: { subject, session } };
  });
  if (!outcome.ok) throw outcome.error;
  return outcome.signedIn;
}
