import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { isRole, ROLES, type Role } from '../../controls/access/policy.ts';
import { NotFoundError } from '../../errors.ts';
import type { Tx } from '../../store/store.ts';
import { audit, iso, type DirectoryContext, type Reader, type TxRunner } from './context.ts';
import { DirectoryConflictError, DirectoryRuleError, isUniqueViolation } from './errors.ts';
import { lockRow, mustExist } from './organizations.ts';
import { pageWindow, toPage, type Page, type PageRequest } from './pagination.ts';
import { distinct, requiredName, USERNAME } from './validate.ts';

/**
 * People who sign in, with their roles and the facilities they work at. Credentials (password hash, TOTP secret) are
 * never selected here: an admin sees only whether they are set. Usernames never change, because the audit trail names
 * actors by username and an old event must keep meaning the same person.
 */
export interface Person {
  id: string;
  username: string;
  displayName: string;
  organizationId: string;
  status: 'active' | 'disabled';
  roles: Role[];
  facilityIds: string[];
  passwordSet: boolean;
  totpEnrolled: boolean;
  lockedUntil: string | null;
  lastLoginAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PersonFilter {
  role?: string;
  facilityId?: string;
  status?: 'active' | 'disabled';
  /** Start of a username or display name, any case. */
  q?: string;
}

export interface CreatePersonInput {
  username: string;
  displayName: string;
  organizationId: string;
  roles: readonly string[];
  facilityIds: readonly string[];
  status?: 'active' | 'disabled';
  id?: string;
}

export interface UpdatePersonInput {
  displayName?: string;
  status?: 'active' | 'disabled';
  facilityIds?: readonly string[];
}

// Serializes changes that could leave the directory without an active security admin (two admins disabling each other).
const LAST_ADMIN_LOCK = 7150920;

function baseQuery(db: Reader) {
  return db
    .selectFrom('people')
    .select([
      'people.id',
      'people.username',
      'people.display_name',
      'people.organization_id',
      'people.status',
      'people.locked_until',
      'people.last_login_at',
      'people.created_at',
      'people.updated_at',
      sql<boolean>`people.password_hash is not null`.as('password_set'),
      sql<boolean>`people.totp_secret_wrapped is not null`.as('totp_enrolled'),
    ]);
}

type PersonRow = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

async function hydrate(db: Reader, rows: readonly PersonRow[]): Promise<Map<string, { roles: Role[]; facilityIds: string[] }>> {
  const out = new Map<string, { roles: Role[]; facilityIds: string[] }>(rows.map((r) => [r.id, { roles: [], facilityIds: [] }]));
  if (rows.length === 0) return out;
  const ids = rows.map((r) => r.id);
  const [roles, facilities] = await Promise.all([
    db.selectFrom('person_roles').select(['person_id', 'role']).where('person_id', 'in', ids).orderBy('role').execute(),
    db.selectFrom('person_facilities').select(['person_id', 'facility_id']).where('person_id', 'in', ids).orderBy('facility_id').execute(),
  ]);
  // A role dropped from the policy may linger in old rows; it grants nothing, so it is not shown as if it did.
  for (const r of roles) if (isRole(r.role)) out.get(r.person_id)!.roles.push(r.role);
  for (const f of facilities) out.get(f.person_id)!.facilityIds.push(f.facility_id);
  return out;
}

function toPerson(row: PersonRow, extra: { roles: Role[]; facilityIds: string[] }): Person {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    organizationId: row.organization_id,
    status: row.status,
    roles: extra.roles,
    facilityIds: extra.facilityIds,
    passwordSet: Boolean(row.password_set),
    totpEnrolled: Boolean(row.totp_enrolled),
    lockedUntil: row.locked_until ? iso(row.locked_until) : null,
    lastLoginAt: row.last_login_at ? iso(row.last_login_at) : null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export async function listPeople(db: Reader, filter: PersonFilter = {}, page: PageRequest = {}): Promise<Page<Person>> {
  const w = pageWindow(page);
  let q = baseQuery(db).orderBy('people.id').limit(w.fetch);
  if (w.after) q = q.where('people.id', '>', w.after);
  if (filter.status) q = q.where('people.status', '=', filter.status);
  if (filter.role) {
    const role = filter.role;
    q = q.where((eb) => eb.exists(eb.selectFrom('person_roles').select('person_roles.person_id').whereRef('person_roles.person_id', '=', 'people.id').where('person_roles.role', '=', role)));
  }
  if (filter.facilityId) {
    const facilityId = filter.facilityId;
    q = q.where((eb) =>
      eb.exists(eb.selectFrom('person_facilities').select('person_facilities.person_id').whereRef('person_facilities.person_id', '=', 'people.id').where('person_facilities.facility_id', '=', facilityId)),
    );
  }
  if (filter.q) {
    // LIKE wildcards in the search text are matched literally.
    const prefix = `${filter.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb('people.username', 'like', prefix), eb(sql`lower(people.display_name)`, 'like', prefix)]));
  }
  const rows = await q.execute();
  const extra = await hydrate(db, rows);
  return toPage(rows, w.limit, (r) => toPerson(r, extra.get(r.id)!));
}

export async function getPerson(db: Reader, id: string): Promise<Person> {
  const row = await baseQuery(db).where('people.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No person has this id.');
  const extra = await hydrate(db, [row]);
  return toPerson(row, extra.get(row.id)!);
}

export function validRoles(roles: readonly string[]): Role[] {
  const unknown = roles.filter((r) => !isRole(r));
  if (unknown.length > 0) {
    // Role names are codes from a fixed list, not personal data, but an unknown one is the caller's text: not echoed.
    throw new DirectoryRuleError('unknown-role', `roles may only contain: ${ROLES.join(', ')}.`);
  }
  return distinct(roles as Role[]).sort();
}

async function validFacilities(trx: Reader, organizationId: string, facilityIds: readonly string[]): Promise<string[]> {
  const ids = distinct(facilityIds);
  if (ids.length === 0) return [];
  const found = await trx.selectFrom('facilities').select(['id', 'organization_id']).where('id', 'in', ids).execute();
  if (found.length !== ids.length) throw new DirectoryRuleError('unknown-facility', 'facilityIds names a facility that is not in this directory.');
  if (found.some((f) => f.organization_id !== organizationId)) {
    throw new DirectoryRuleError('facility-other-organization', "facilityIds may only name facilities of the person's organization.");
  }
  return ids.sort();
}

function normalizeUsername(value: string): string {
  const username = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (!USERNAME.test(username)) {
    throw new DirectoryRuleError('invalid-username', 'username must be 2 to 64 characters: lower-case letters, digits, ".", "_" or "-".');
  }
  return username;
}

const usernameTaken = () => new DirectoryConflictError('username-taken', 'This username is already taken; usernames are unique and never reused.');

export async function createPerson(run: TxRunner, ctx: DirectoryContext, input: CreatePersonInput): Promise<Person> {
  const username = normalizeUsername(input.username);
  const displayName = requiredName(input.displayName, 'displayName');
  const roles = validRoles(input.roles);
  return run.tx(async (trx) => {
    await mustExist(trx, 'organizations', input.organizationId, 'unknown-organization', 'organizationId names no organization in this directory.');
    const facilityIds = await validFacilities(trx, input.organizationId, input.facilityIds);
    const taken = await trx.selectFrom('people').select('id').where('username', '=', username).executeTakeFirst();
    if (taken) throw usernameTaken();
    const id = input.id ?? uuidv7();
    try {
      await trx
        .insertInto('people')
        .values({ id, username, display_name: displayName, organization_id: input.organizationId, status: input.status ?? 'active', password_hash: null, totp_kek_id: null, totp_secret_wrapped: null, locked_until: null, last_login_at: null })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw usernameTaken();
      throw err;
    }
    if (roles.length > 0) await trx.insertInto('person_roles').values(roles.map((role) => ({ person_id: id, role }))).execute();
    if (facilityIds.length > 0) await trx.insertInto('person_facilities').values(facilityIds.map((facility_id) => ({ person_id: id, facility_id }))).execute();
    await audit(trx, ctx, {
      action: 'directory.person.create',
      actionCode: 'C',
      resourceType: 'Person',
      resourceIds: [id],
      details: { fields: ['username', 'displayName', 'organizationId', 'status', 'roles', 'facilityIds'], roles, facilityIds },
    });
    return getPerson(trx, id);
  });
}

/** Refuses a change that would leave no active security admin: nobody could then administer the directory. */
async function keepOneSecurityAdmin(trx: Tx, personId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${LAST_ADMIN_LOCK})`.execute(trx);
  const others = await trx
    .selectFrom('people')
    .innerJoin('person_roles', 'person_roles.person_id', 'people.id')
    .select('people.id')
    .where('person_roles.role', '=', 'security-admin')
    .where('people.status', '=', 'active')
    .where('people.id', '<>', personId)
    .limit(1)
    .executeTakeFirst();
  if (!others) {
    throw new DirectoryConflictError('last-security-admin', 'This is the last active security admin; give the role to someone else first.');
  }
}

async function isActiveSecurityAdmin(trx: Tx, personId: string): Promise<boolean> {
  const row = await trx
    .selectFrom('people')
    .innerJoin('person_roles', 'person_roles.person_id', 'people.id')
    .select('people.id')
    .where('people.id', '=', personId)
    .where('people.status', '=', 'active')
    .where('person_roles.role', '=', 'security-admin')
    .executeTakeFirst();
  return Boolean(row);
}

/**
 * Ends every open session of a person, so that losing access takes effect on the next request rather than when a
 * token expires. Returns how many were open.
 */
async function revokeSessions(trx: Tx, personId: string, reason: string): Promise<number> {
  const result = await trx.updateTable('sessions').set({ revoked_at: new Date(), revoked_reason: reason }).where('person_id', '=', personId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function updatePerson(run: TxRunner, ctx: DirectoryContext, id: string, input: UpdatePersonInput): Promise<Person> {
  const displayName = input.displayName === undefined ? undefined : requiredName(input.displayName, 'displayName');
  return run.tx(async (trx) => {
    await lockRow(trx, 'people', id, 'No person has this id.');
    const before = await getPerson(trx, id);
    const fields: string[] = [];
    const details: Record<string, unknown> = {};
    if (displayName !== undefined && displayName !== before.displayName) {
      await trx.updateTable('people').set({ display_name: displayName }).where('id', '=', id).execute();
      fields.push('displayName');
    }
    if (input.status !== undefined && input.status !== before.status) {
      if (input.status === 'disabled' && (await isActiveSecurityAdmin(trx, id))) await keepOneSecurityAdmin(trx, id);
      await trx.updateTable('people').set({ status: input.status }).where('id', '=', id).execute();
      fields.push('status');
      if (input.status === 'disabled') details.sessionsRevoked = await revokeSessions(trx, id, 'person-disabled');
    }
    if (input.facilityIds !== undefined) {
      const next = await validFacilities(trx, before.organizationId, input.facilityIds);
      const added = next.filter((f) => !before.facilityIds.includes(f));
      const removed = before.facilityIds.filter((f) => !next.includes(f));
      if (removed.length > 0) {
        const stillOnTeam = await trx
          .selectFrom('care_team_members')
          .innerJoin('care_teams', 'care_teams.id', 'care_team_members.team_id')
          .select('care_teams.id')
          .where('care_team_members.person_id', '=', id)
          .where('care_teams.facility_id', 'in', removed)
          .limit(1)
          .executeTakeFirst();
        if (stillOnTeam) {
          throw new DirectoryConflictError('facility-in-use', 'This person is on a care team at a facility being removed; take them off that team first.');
        }
        await trx.deleteFrom('person_facilities').where('person_id', '=', id).where('facility_id', 'in', removed).execute();
      }
      if (added.length > 0) await trx.insertInto('person_facilities').values(added.map((facility_id) => ({ person_id: id, facility_id }))).execute();
      if (added.length > 0 || removed.length > 0) {
        fields.push('facilityIds');
        details.facilitiesAdded = added;
        details.facilitiesRemoved = removed;
      }
    }
    if (fields.length === 0) return before;
    await trx.updateTable('people').set({ updated_at: new Date() }).where('id', '=', id).execute();
    await audit(trx, ctx, { action: 'directory.person.update', actionCode: 'U', resourceType: 'Person', resourceIds: [id], details: { fields, ...details } });
    return getPerson(trx, id);
  });
}

/**
 * Replaces a person's roles. Removing a role also ends their sessions, so the role stops working on their next
 * request instead of living on in a token.
 */
export async function setPersonRoles(run: TxRunner, ctx: DirectoryContext, id: string, roles: readonly string[]): Promise<Person> {
  const next = validRoles(roles);
  return run.tx(async (trx) => {
    await lockRow(trx, 'people', id, 'No person has this id.');
    const before = await getPerson(trx, id);
    const added = next.filter((r) => !before.roles.includes(r));
    const removed = before.roles.filter((r) => !next.includes(r));
    if (added.length === 0 && removed.length === 0) return before;
    if (removed.includes('security-admin') && before.status === 'active') await keepOneSecurityAdmin(trx, id);
    if (removed.length > 0) await trx.deleteFrom('person_roles').where('person_id', '=', id).where('role', 'in', removed).execute();
    if (added.length > 0) await trx.insertInto('person_roles').values(added.map((role) => ({ person_id: id, role }))).execute();
    const sessionsRevoked = removed.length > 0 ? await revokeSessions(trx, id, 'roles-changed') : 0;
    await trx.updateTable('people').set({ updated_at: new Date() }).where('id', '=', id).execute();
    await audit(trx, ctx, {
      action: 'directory.person.roles',
      actionCode: 'U',
      resourceType: 'Person',
      resourceIds: [id],
      details: { fields: ['roles'], added, removed, sessionsRevoked },
    });
    return getPerson(trx, id);
  });
}
