import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { VigilError, NotFoundError } from '../../errors.ts';
import type { Db, Store, Tx } from '../../store/store.ts';
import { recordAudit } from '../audit/audit-event.ts';
import type { KeyEncryptionService } from '../keys/keyring.ts';
import { verifyTotp } from './auth/credentials.ts';
import { BREAK_GLASS_DEFAULT_MINUTES, BREAK_GLASS_REASONS, type BreakGlassReason } from './policy.ts';
import type { PersonSubject, RequestFacts, Subject } from './subject.ts';
import { validate as isUuid } from 'uuid';

/**
 * Emergency access: a clinician outside the care relation opens one patient's chart for a bounded time, after giving a
 * coded reason with an explanation and presenting the second factor again. The grant is flagged on every audit event
 * it enables (the PDP sets the flag) and waits in the privacy officer's review queue until an outcome is recorded.
 */
export interface BreakGlassRequest {
  patientId?: string;
  identifier?: string;
  reasonCode: string;
  reasonText: string;
  totp: string;
  minutes?: number;
}

export interface BreakGlassGrantView {
  id: string;
  personId: string;
  username: string;
  displayName: string;
  patientId: string;
  reasonCode: string;
  reasonText: string;
  startedAt: string;
  expiresAt: string;
  endedAt: string | null;
  active: boolean;
  reviewStatus: 'pending' | 'reviewed';
  reviewOutcome: string | null;
  reviewNote: string | null;
  reviewerId: string | null;
  reviewedAt: string | null;
  /** How many audited accesses the grant enabled: what the reviewer looks at first. */
  accessCount: number;
}

export type ReviewOutcome = 'appropriate' | 'inappropriate' | 'needs-follow-up';

export class BreakGlassError extends VigilError {}

function isReason(code: string): code is BreakGlassReason {
  return Object.hasOwn(BREAK_GLASS_REASONS, code);
}

export class BreakGlass {
  constructor(
    private readonly store: Store,
    private readonly keyring: KeyEncryptionService,
  ) {}

  async start(subject: PersonSubject, facts: RequestFacts, request: BreakGlassRequest): Promise<BreakGlassGrantView> {
    if (!isReason(request.reasonCode)) throw new BreakGlassError('break-glass-reason', 400, `reasonCode must be one of: ${Object.keys(BREAK_GLASS_REASONS).join(', ')}.`);
    if (request.reasonText.trim().length < 10) throw new BreakGlassError('break-glass-reason', 400, 'Explain the emergency in at least 10 characters; a privacy officer will review it.');
    const minutes = Math.min(request.minutes ?? BREAK_GLASS_DEFAULT_MINUTES, BREAK_GLASS_DEFAULT_MINUTES);
    if (!(minutes >= 1)) throw new BreakGlassError('break-glass-duration', 400, `minutes must be between 1 and ${BREAK_GLASS_DEFAULT_MINUTES}.`);

    const totpOk = await verifyTotp(this.store.db, this.keyring, subject.id, request.totp);
    if (!totpOk) {
      await this.store.tx((trx) =>
        recordAudit(trx, subject, facts, { action: 'break-glass.start', actionCode: 'E', resourceType: 'Patient', outcome: 'denied', reasonCode: 'mfa-failed', breakGlass: true }),
      );
      throw new BreakGlassError('mfa-invalid', 401, 'The second-factor code is wrong or was already used; break-glass needs a fresh code from your authenticator.');
    }

    return this.store.tx(async (trx) => {
      let patientId = request.patientId;
      if (!patientId && request.identifier) {
        const bar = request.identifier.indexOf('|');
        let q = trx.selectFrom('patient_identifiers').select('patient_id').distinct().where('value', '=', bar >= 0 ? request.identifier.slice(bar + 1) : request.identifier);
        if (bar >= 0) q = q.where('system', '=', request.identifier.slice(0, bar));
        const found = await q.limit(2).execute();
        if (found.length > 1) throw new BreakGlassError('identifier-ambiguous', 409, 'More than one patient carries this identifier; give the assigning authority as system|value.');
        patientId = found[0]?.patient_id;
      }
      const exists = patientId && isUuid(patientId) ? await trx.selectFrom('patients').select('id').where('id', '=', patientId).executeTakeFirst() : undefined;
      if (!exists || !patientId) throw new NotFoundError('No patient matches; check the id or identifier.');
      const id = uuidv7();
      await trx
        .insertInto('break_glass_grants')
        .values({
          id,
          person_id: subject.id,
          patient_id: patientId,
          session_id: subject.sessionId,
          reason_code: request.reasonCode,
          reason_text: request.reasonText.trim().slice(0, 2000),
          expires_at: sql<Date>`now() + make_interval(mins => ${minutes}::int)` as unknown as Date,
          ended_at: null,
          review_outcome: null,
          review_note: null,
          reviewer_id: null,
          reviewed_at: null,
        })
        .execute();
      await recordAudit(trx, subject, facts, {
        action: 'break-glass.start',
        actionCode: 'E',
        resourceType: 'Patient',
        resourceIds: [patientId],
        patientId,
        outcome: 'success',
        reasonCode: request.reasonCode,
        breakGlass: true,
        details: { grant_id: id, minutes, reason_text: request.reasonText.trim().slice(0, 2000) },
      });
      return (await this.list(trx, { grantId: id }))[0]!;
    });
  }

  async end(subject: PersonSubject, facts: RequestFacts, grantId: string): Promise<void> {
    await this.store.tx(async (trx) => {
      const grant = await trx.selectFrom('break_glass_grants').select(['id', 'patient_id']).where('id', '=', grantId).where('person_id', '=', subject.id).where('ended_at', 'is', null).executeTakeFirst();
      if (!grant) throw new NotFoundError('You hold no open break-glass grant with this id.');
      await trx.updateTable('break_glass_grants').set({ ended_at: sql`now()` }).where('id', '=', grantId).execute();
      await recordAudit(trx, subject, facts, { action: 'break-glass.end', actionCode: 'E', resourceType: 'Patient', resourceIds: [grant.patient_id], patientId: grant.patient_id, outcome: 'success', breakGlass: true, details: { grant_id: grantId } });
    });
  }

  active(subject: PersonSubject): Promise<BreakGlassGrantView[]> {
    return this.list(this.store.db, { personId: subject.id, activeOnly: true });
  }

  async reviewQueue(subject: Subject, facts: RequestFacts, status: 'pending' | 'reviewed' | 'all'): Promise<BreakGlassGrantView[]> {
    return this.store.tx(async (trx) => {
      const grants = await this.list(trx, status === 'all' ? {} : { reviewStatus: status });
      await recordAudit(trx, subject, facts, { action: 'break-glass.review-queue', actionCode: 'R', resourceType: 'BreakGlassGrant', resourceIds: grants.map((g) => g.id), outcome: 'success' });
      return grants;
    });
  }

  async review(subject: PersonSubject, facts: RequestFacts, grantId: string, outcome: ReviewOutcome, note: string): Promise<BreakGlassGrantView> {
    return this.store.tx(async (trx) => {
      const grant = await trx.selectFrom('break_glass_grants').select(['id', 'patient_id', 'person_id']).where('id', '=', grantId).forUpdate().executeTakeFirst();
      if (!grant) throw new NotFoundError('No break-glass grant has this id.');
      if (grant.person_id === subject.id) throw new BreakGlassError('review-own-grant', 403, 'You cannot review your own break-glass access; another privacy officer must.');
      await trx
        .updateTable('break_glass_grants')
        .set({ review_status: 'reviewed', review_outcome: outcome, review_note: note.trim().slice(0, 4000) || null, reviewer_id: subject.id, reviewed_at: sql`now()` })
        .where('id', '=', grantId)
        .execute();
      await recordAudit(trx, subject, facts, {
        action: 'break-glass.review',
        actionCode: 'U',
        resourceType: 'BreakGlassGrant',
        resourceIds: [grantId],
        patientId: grant.patient_id,
        outcome: 'success',
        reasonCode: outcome,
      });
      return (await this.list(trx, { grantId }))[0]!;
    });
  }

  private async list(
    db: Db | Tx,
    filter: { grantId?: string; personId?: string; activeOnly?: boolean; reviewStatus?: 'pending' | 'reviewed' },
  ): Promise<BreakGlassGrantView[]> {
    let q = db
      .selectFrom('break_glass_grants as g')
      .innerJoin('people as p', 'p.id', 'g.person_id')
      .select([
        'g.id', 'g.person_id', 'p.username', 'p.display_name', 'g.patient_id', 'g.reason_code', 'g.reason_text', 'g.started_at', 'g.expires_at', 'g.ended_at',
        'g.review_status', 'g.review_outcome', 'g.review_note', 'g.reviewer_id', 'g.reviewed_at',
        sql<boolean>`(g.ended_at is null and g.expires_at > now())`.as('active'),
        sql<string>`(select count(*) from audit.events e where e.actor_id = g.person_id::text and e.patient_id = g.patient_id and e.break_glass
                      and e.recorded_at >= g.started_at and e.recorded_at <= coalesce(g.ended_at, g.expires_at))`.as('access_count'),
      ]);
    if (filter.grantId) q = q.where('g.id', '=', filter.grantId);
    if (filter.personId) q = q.where('g.person_id', '=', filter.personId);
    if (filter.activeOnly) q = q.where('g.ended_at', 'is', null).where('g.expires_at', '>', sql<Date>`now()`);
    if (filter.reviewStatus) q = q.where('g.review_status', '=', filter.reviewStatus);
    const rows = await q.orderBy('g.started_at', 'desc').limit(500).execute();
    const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);
    return rows.map((r) => ({
      id: r.id,
      personId: r.person_id,
      username: r.username,
      displayName: r.display_name,
      patientId: r.patient_id,
      reasonCode: r.reason_code,
      reasonText: r.reason_text,
      startedAt: iso(r.started_at)!,
      expiresAt: iso(r.expires_at)!,
      endedAt: iso(r.ended_at),
      active: r.active,
      reviewStatus: r.review_status,
      reviewOutcome: r.review_outcome,
      reviewNote: r.review_note,
      reviewerId: r.reviewer_id,
      reviewedAt: iso(r.reviewed_at),
      accessCount: Number(r.access_count),
    }));
  }
}
