import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../../store/store.ts';
import type { PersonSubject, RequestFacts } from '../subject.ts';
import { validate as isUuid } from 'uuid';

/**
 * Sign-in sessions. An API session holds a chain of refresh tokens, each used once; a web session is held by an
 * httpOnly cookie and guarded by a CSRF token. Only hashes of the tokens are stored. A session ends when it is
 * revoked, when nobody used it for the idle timeout, or at its absolute deadline, and every request checks which.
 */
export interface SessionPolicy {
  idleMinutes: number;
  absoluteHours: number;
}

export type SessionKind = 'web' | 'api';
export type SessionEnd = 'revoked' | 'idle' | 'expired' | 'disabled';

/** last_seen_at is written at most this often per session: the idle clock is this coarse, and reads stay reads. */
export const TOUCH_INTERVAL_MS = 30_000;

const SECRET = /^(vgr|vgs|vgc)_[A-Za-z0-9_-]{43}$/;

/**
 * A random token with a prefix naming its kind (refresh, session cookie, CSRF), so a secret scanner can recognise one
 * pasted where it should not be.
 */
export function newSecret(prefix: 'vgr' | 'vgs' | 'vgc'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function looksLikeSecret(value: unknown, prefix: 'vgr' | 'vgs' | 'vgc'): value is string {
  return typeof value === 'string' && value.startsWith(`${prefix}_`) && SECRET.test(value);
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares a presented secret with a stored hash in constant time. */
export function matchesHash(secret: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}


interface SessionTimes {
  revoked_at: Date | null;
  created_at: Date;
  last_seen_at: Date;
  absolute_expires_at: Date;
}

/**
 * Why a session no longer counts, or null. The absolute deadline is the earlier of the one stored at sign-in and the
 * one today's setting gives, so an operator who shortens VIGIL_SESSION_ABSOLUTE_HOURS shortens open sessions too.
 */
export function sessionEnd(row: SessionTimes & { person_status?: string }, policy: SessionPolicy, now: Date): SessionEnd | null {
  if (row.revoked_at) return 'revoked';
  if (row.person_status !== undefined && row.person_status !== 'active') return 'disabled';
  const deadline = Math.min(row.absolute_expires_at.getTime(), row.created_at.getTime() + policy.absoluteHours * 3_600_000);
  if (now.getTime() >= deadline) return 'expired';
  if (now.getTime() - row.last_seen_at.getTime() > policy.idleMinutes * 60_000) return 'idle';
  return null;
}

export interface OpenedSession {
  sessionId: string;
  kind: SessionKind;
  absoluteExpiresAt: Date;
  /** API sessions only. */
  refreshToken?: string;
  /** Web sessions only: the cookie value and the CSRF token the page must echo on unsafe requests. */
  cookieToken?: string;
  csrfToken?: string;
}

export async function openSession(
  trx: Tx | Db,
  input: { personId: string; kind: SessionKind; mfaAt: Date | null; facts: RequestFacts; policy: SessionPolicy; now: Date },
): Promise<OpenedSession> {
  const sessionId = uuidv7();
  const absoluteExpiresAt = new Date(input.now.getTime() + input.policy.absoluteHours * 3_600_000);
  const cookieToken = input.kind === 'web' ? newSecret('vgs') : undefined;
  const csrfToken = input.kind === 'web' ? newSecret('vgc') : undefined;
  await trx
    .insertInto('sessions')
    .values({
      id: sessionId,
      person_id: input.personId,
      kind: input.kind,
      created_at: input.now,
      last_seen_at: input.now,
      absolute_expires_at: absoluteExpiresAt,
      mfa_at: input.mfaAt,
      csrf_token_hash: csrfToken ? hashSecret(csrfToken) : null,
      cookie_token_hash: cookieToken ? hashSecret(cookieToken) : null,
      client_ip: input.facts.clientIp,
      user_agent: input.facts.userAgent,
    })
    .execute();
  if (input.kind === 'web') return { sessionId, kind: 'web', absoluteExpiresAt, cookieToken: cookieToken!, csrfToken: csrfToken! };
  const refreshToken = await issueRefreshToken(trx, sessionId, absoluteExpiresAt, input.now);
  return { sessionId, kind: 'api', absoluteExpiresAt, refreshToken };
}

async function issueRefreshToken(trx: Tx | Db, sessionId: string, expiresAt: Date, now: Date): Promise<string> {
  const token = newSecret('vgr');
  await trx.insertInto('refresh_tokens').values({ token_hash: hashSecret(token), session_id: sessionId, issued_at: now, expires_at: expiresAt }).execute();
  return token;
}

/** A session with what the request needs to know about its person. */
export interface SessionView extends SessionTimes {
  id: string;
  person_id: string;
  kind: SessionKind;
  mfa_at: Date | null;
  csrf_token_hash: string | null;
  username: string;
  display_name: string;
  organization_id: string;
  person_status: string;
  roles: string[];
  facility_ids: string[];
}

export async function loadSession(db: Db | Tx, by: { id: string } | { cookieToken: string }): Promise<SessionView | undefined> {
  let query = db
    .selectFrom('sessions as s')
    .innerJoin('people as p', 'p.id', 's.person_id')
    .select([
      's.id', 's.person_id', 's.kind', 's.created_at', 's.last_seen_at', 's.absolute_expires_at', 's.mfa_at', 's.csrf_token_hash', 's.revoked_at',
      'p.username', 'p.display_name', 'p.organization_id', 'p.status as person_status',
    ])
    .select(sql<string[]>`array(select r.role from person_roles r where r.person_id = p.id order by r.role)`.as('roles'))
    .select(sql<string[]>`array(select f.facility_id::text from person_facilities f where f.person_id = p.id order by 1)`.as('facility_ids'));
  if ('id' in by) {
    if (!isUuid(by.id)) return undefined;
    query = query.where('s.id', '=', by.id);
  } else {
    if (!looksLikeSecret(by.cookieToken, 'vgs')) return undefined;
    query = query.where('s.cookie_token_hash', '=', hashSecret(by.cookieToken));
  }
  return (await query.executeTakeFirst()) as SessionView | undefined;
}

export function subjectOf(view: SessionView): PersonSubject {
  return {
    kind: 'person',
    id: view.person_id,
    username: view.username,
    displayName: view.display_name,
    roles: view.roles,
    organizationId: view.organization_id,
    facilityIds: view.facility_ids,
    sessionId: view.id,
    sessionKind: view.kind,
    mfaAt: view.mfa_at,
  };
}

/** Records activity for the idle timeout, writing at most once per TOUCH_INTERVAL_MS whatever the request rate. */
export async function touchSession(db: Db | Tx, view: Pick<SessionView, 'id' | 'last_seen_at'>, now: Date): Promise<void> {
  if (now.getTime() - view.last_seen_at.getTime() < TOUCH_INTERVAL_MS) return;
  await db
    .updateTable('sessions')
    .set({ last_seen_at: now })
    .where('id', '=', view.id)
    .where('last_seen_at', '<', new Date(now.getTime() - TOUCH_INTERVAL_MS))
    .execute();
}

export type RefreshOutcome =
  | { ok: true; view: SessionView; refreshToken: string }
  | { ok: false; reason: 'unknown' | 'reused' | 'expired' | SessionEnd; view?: SessionView };

/**
 * Spends a refresh token and hands out its successor. A token presented a second time means two parties hold it (one
 * of them a thief): the whole session is revoked, and the caller audits it. Run inside a transaction.
 */
export async function rotateRefreshToken(trx: Tx, presented: unknown, policy: SessionPolicy, now: Date): Promise<RefreshOutcome> {
  if (!looksLikeSecret(presented, 'vgr')) return { ok: false, reason: 'unknown' };
  const row = await trx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', hashSecret(presented)).forUpdate().executeTakeFirst();
  if (!row) return { ok: false, reason: 'unknown' };
  const view = await loadSession(trx, { id: row.session_id });
  if (!view) return { ok: false, reason: 'unknown' };
  if (row.used_at) {
    if (!view.revoked_at) await revokeSession(trx, view.id, 'refresh-reuse', now);
    return { ok: false, reason: 'reused', view };
  }
  const ended = sessionEnd(view, policy, now);
  if (ended) return { ok: false, reason: ended, view };
  if (row.expires_at.getTime() <= now.getTime()) return { ok: false, reason: 'expired', view };
  await trx.updateTable('refresh_tokens').set({ used_at: now }).where('token_hash', '=', row.token_hash).execute();
  await trx.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', view.id).execute();
  const refreshToken = await issueRefreshToken(trx, view.id, view.absolute_expires_at, now);
  return { ok: true, view: { ...view, last_seen_at: now }, refreshToken };
}

/** The session a refresh token belongs to, without spending it (logout by refresh token). */
export async function sessionOfRefreshToken(db: Db | Tx, presented: unknown): Promise<string | undefined> {
  if (!looksLikeSecret(presented, 'vgr')) return undefined;
  const row = await db.selectFrom('refresh_tokens').select('session_id').where('token_hash', '=', hashSecret(presented)).executeTakeFirst();
  return row?.session_id;
}

export async function revokeSession(db: Db | Tx, sessionId: string, reason: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Revokes every open session of a person; returns the ids revoked. */
export async function revokeSessionsOf(db: Db | Tx, personId: string, reason: string, now: Date): Promise<string[]> {
  const rows = await db
    .updateTable('sessions')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('person_id', '=', personId)
    .where('revoked_at', 'is', null)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

export interface SessionSummary {
  id: string;
  kind: SessionKind;
  createdAt: string;
  lastSeenAt: string;
  absoluteExpiresAt: string;
  mfaAt: string | null;
  clientIp: string | null;
  userAgent: string | null;
  status: 'active' | SessionEnd;
  revokedAt: string | null;
  revokedReason: string | null;
}

/** A person's sessions for support, newest first: times, kind and origin, never a token or a hash. */
export async function listSessions(db: Db | Tx, personId: string, policy: SessionPolicy, now: Date, limit = 50): Promise<SessionSummary[]> {
  const rows = await db
    .selectFrom('sessions as s')
    .innerJoin('people as p', 'p.id', 's.person_id')
    .select(['s.id', 's.kind', 's.created_at', 's.last_seen_at', 's.absolute_expires_at', 's.mfa_at', 's.client_ip', 's.user_agent', 's.revoked_at', 's.revoked_reason', 'p.status as person_status'])
    .where('s.person_id', '=', personId)
    .orderBy('s.created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    createdAt: r.created_at.toISOString(),
    lastSeenAt: r.last_seen_at.toISOString(),
    absoluteExpiresAt: r.absolute_expires_at.toISOString(),
    mfaAt: r.mfa_at ? r.mfa_at.toISOString() : null,
    clientIp: r.client_ip,
    userAgent: r.user_agent,
    status: sessionEnd(r, policy, now) ?? 'active',
    revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
    revokedReason: r.revoked_reason,
  }));
}
