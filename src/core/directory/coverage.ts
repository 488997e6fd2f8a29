import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { NotFoundError } from '../../errors.ts';
import type { Tx } from '../../store/store.ts';
import { audit, instant, iso, type DirectoryContext, type Reader, type TxRunner } from './context.ts';
import { DirectoryConflictError, DirectoryRuleError } from './errors.ts';
import { lockRow } from './organizations.ts';
import { pageWindow, toPage, type Page, type PageRequest } from './pagination.ts';
import { CARE_ROLES, COVERING_ROLES } from './validate.ts';

/**
 * Coverage: one clinician acts for a colleague's patients from `startsAt` to `endsAt`, and not a moment after. Windows
 * are bounded (at most MAX_COVERAGE_DAYS) so that coverage cannot turn into standing access by forgetting an end
 * date. A window that has started granted access and stays on record; it can be cut short, not erased.
 */
export const MAX_COVERAGE_DAYS = 31;
const DAY_MS = 24 * 60 * 60 * 1000;

export type CoverageState = 'upcoming' | 'active' | 'ended';

export interface Coverage {
  id: string;
  coveringPersonId: string;
  coveredPersonId: string;
  startsAt: string;
  endsAt: string;
  state: CoverageState;
  createdAt: string;
}

export interface CoverageFilter {
  /** Either side of the window. */
  personId?: string;
  coveringPersonId?: string;
  coveredPersonId?: string;
  state?: CoverageState;
}

export interface CreateCoverageInput {
  coveringPersonId: string;
  coveredPersonId: string;
  startsAt: string | Date;
  endsAt: string | Date;
  id?: string;
}

type Row = { id: string; covering_person_id: string; covered_person_id: string; starts_at: Date; ends_at: Date; created_at: Date };

export function coverageState(startsAt: Date, endsAt: Date, now: Date): CoverageState {
  if (now < startsAt) return 'upcoming';
  return now < endsAt ? 'active' : 'ended';
}

function toCoverage(r: Row, now: Date): Coverage {
  return {
    id: r.id,
    coveringPersonId: r.covering_person_id,
    coveredPersonId: r.covered_person_id,
    startsAt: iso(r.starts_at),
    endsAt: iso(r.ends_at),
    state: coverageState(instant(r.starts_at), instant(r.ends_at), now),
    createdAt: iso(r.created_at),
  };
}

const COLUMNS = ['id', 'covering_person_id', 'covered_person_id', 'starts_at', 'ends_at', 'created_at'] as const;

async function load(db: Reader, id: string): Promise<Row> {
  const row = await db.selectFrom('coverage').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No coverage window has this id.');
  return row;
}

/** The checks on a window that need no database: callers get these before anything is looked up. */
export function checkCoverageWindow(input: { coveringPersonId: string; coveredPersonId: string; startsAt: Date; endsAt: Date }): void {
  if (Number.isNaN(input.startsAt.getTime()) || Number.isNaN(input.endsAt.getTime())) {
    throw new DirectoryRuleError('coverage-window-invalid', 'startsAt and endsAt must be date-times with a time zone (RFC 3339).');
  }
  if (input.endsAt <= input.startsAt) throw new DirectoryRuleError('coverage-window-invalid', 'endsAt must be later than startsAt.');
  if (input.endsAt.getTime() - input.startsAt.getTime() > MAX_COVERAGE_DAYS * DAY_MS) {
    throw new DirectoryRuleError('coverage-too-long', `A coverage window may last at most ${MAX_COVERAGE_DAYS} days; create a new window when it ends.`);
  }
  if (input.coveringPersonId === input.coveredPersonId) throw new DirectoryRuleError('coverage-self', 'A person cannot cover for themselves: coveringPersonId and coveredPersonId must differ.');
}

export async function listCoverage(db: Reader, filter: CoverageFilter = {}, page: PageRequest = {}): Promise<Page<Coverage>> {
  const w = pageWindow(page);
  const now = new Date();
  let q = db.selectFrom('coverage').select(COLUMNS).orderBy('id').limit(w.fetch);
  if (w.after) q = q.where('id', '>', w.after);
  if (filter.coveringPersonId) q = q.where('covering_person_id', '=', filter.coveringPersonId);
  if (filter.coveredPersonId) q = q.where('covered_person_id', '=', filter.coveredPersonId);
  if (filter.personId) {
    const personId = filter.personId;
    q = q.where((eb) => eb.or([eb('covering_person_id', '=', personId), eb('covered_person_id', '=', personId)]));
  }
  if (filter.state === 'upcoming') q = q.where('starts_at', '>', now);
  if (filter.state === 'active') q = q.where('starts_at', '<=', now).where('ends_at', '>', now);
  if (filter.state === 'ended') q = q.where('ends_at', '<=', now);
  return toPage(await q.execute(), w.limit, (r) => toCoverage(r, now));
}

export async function getCoverage(db: Reader, id: string): Promise<Coverage> {
  return toCoverage(await load(db, id), new Date());
}

async function personWithRoles(trx: Tx, id: string, roles: readonly string[]): Promise<{ status: string; hasRole: boolean } | undefined> {
  return trx
    .selectFrom('people')
    .select(['status', sql<boolean>`exists (select 1 from person_roles r where r.person_id = people.id and r.role in (${sql.join([...roles])}))`.as('hasRole')])
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function createCoverage(run: TxRunner, ctx: DirectoryContext, input: CreateCoverageInput): Promise<Coverage> {
  const startsAt = instant(input.startsAt);
  const endsAt = instant(input.endsAt);
  checkCoverageWindow({ coveringPersonId: input.coveringPersonId, coveredPersonId: input.coveredPersonId, startsAt, endsAt });
  return run.tx(async (trx) => {
    const covering = await personWithRoles(trx, input.coveringPersonId, COVERING_ROLES);
    if (!covering) throw new DirectoryRuleError('unknown-person', 'coveringPersonId names no person in this directory.');
    if (covering.status !== 'active') throw new DirectoryRuleError('person-disabled', 'The covering person is disabled; enable them first.');
    if (!covering.hasRole) throw new DirectoryRuleError('coverage-role', `The covering person needs one of the roles: ${COVERING_ROLES.join(', ')}.`);
    const covered = await personWithRoles(trx, input.coveredPersonId, CARE_ROLES);
    if (!covered) throw new DirectoryRuleError('unknown-person', 'coveredPersonId names no person in this directory.');
    if (!covered.hasRole) throw new DirectoryRuleError('coverage-role', `The covered person needs one of the roles: ${CARE_ROLES.join(', ')}.`);
    const overlap = await trx
      .selectFrom('coverage')
      .select('id')
      .where('covering_person_id', '=', input.coveringPersonId)
      .where('covered_person_id', '=', input.coveredPersonId)
      .where('starts_at', '<', endsAt)
      .where('ends_at', '>', startsAt)
      .executeTakeFirst();
    if (overlap) throw new DirectoryConflictError('coverage-overlaps', 'A coverage window between these two people already overlaps this period; end it or choose another period.');
    const id = input.id ?? uuidv7();
    await trx.insertInto('coverage').values({ id, covering_person_id: input.coveringPersonId, covered_person_id: input.coveredPersonId, starts_at: startsAt, ends_at: endsAt }).execute();
    await audit(trx, ctx, {
      action: 'directory.coverage.create',
      actionCode: 'C',
      resourceType: 'Coverage',
      resourceIds: [id, input.coveringPersonId, input.coveredPersonId],
      details: { fields: ['coveringPersonId', 'coveredPersonId', 'startsAt', 'endsAt'] },
    });
    return toCoverage(await load(trx, id), new Date());
  });
}

/** Cuts a window short: now, or at `endsAt`. Access through it stops at that instant. */
export async function endCoverage(run: TxRunner, ctx: DirectoryContext, id: string, input: { endsAt?: string | Date } = {}): Promise<Coverage> {
  return run.tx(async (trx) => {
    await lockRow(trx, 'coverage', id, 'No coverage window has this id.');
    const row = await load(trx, id);
    const now = new Date();
    const endsAt = input.endsAt === undefined ? now : instant(input.endsAt);
    const state = coverageState(instant(row.starts_at), instant(row.ends_at), now);
    if (state === 'ended') throw new DirectoryConflictError('coverage-ended', 'This coverage window has already ended.');
    if (endsAt <= instant(row.starts_at)) {
      throw new DirectoryConflictError('coverage-not-started', 'This window would end before it starts; a window that has not started can be deleted instead.');
    }
    if (endsAt > instant(row.ends_at)) throw new DirectoryRuleError('coverage-extend', 'Ending a window cannot move its end later; create a new window instead.');
    await trx.updateTable('coverage').set({ ends_at: endsAt }).where('id', '=', id).execute();
    await audit(trx, ctx, { action: 'directory.coverage.end', actionCode: 'U', resourceType: 'Coverage', resourceIds: [id], details: { fields: ['endsAt'] } });
    return toCoverage(await load(trx, id), new Date());
  });
}

/** Deletes a window that has not started: it never granted anything, so nothing is lost from the record. */
export async function deleteCoverage(run: TxRunner, ctx: DirectoryContext, id: string): Promise<void> {
  await run.tx(async (trx) => {
    await lockRow(trx, 'coverage', id, 'No coverage window has this id.');
    const row = await load(trx, id);
    if (instant(row.starts_at) <= new Date()) {
      throw new DirectoryConflictError('coverage-started', 'This window has started and stays on record; end it instead (POST …/end).');
    }
    await trx.deleteFrom('coverage').where('id', '=', id).execute();
    await audit(trx, ctx, {
      action: 'directory.coverage.delete',
      actionCode: 'D',
      resourceType: 'Coverage',
      resourceIds: [id, row.covering_person_id, row.covered_person_id],
      details: { fields: ['coveringPersonId', 'coveredPersonId', 'startsAt', 'endsAt'] },
    });
  });
}
