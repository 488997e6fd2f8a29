import { v7 as uuidv7 } from 'uuid';
import { isRole, type Role } from '../../controls/access/policy.ts';
import { NotFoundError } from '../../errors.ts';
import { audit, iso, type DirectoryContext, type Reader, type TxRunner } from './context.ts';
import { DirectoryRuleError } from './errors.ts';
import { lockRow, mustExist } from './organizations.ts';
import { pageWindow, toPage, type Page, type PageRequest } from './pagination.ts';
import { requiredName } from './validate.ts';

/**
 * Care teams: the people who look after a set of patients at one facility. Membership is what puts a clinician in a
 * patient's care, so a member must work at the team's facility (the decision point also checks the facility, and a
 * member who could never use the membership is a mistake worth refusing now).
 */
export interface CareTeamMember {
  personId: string;
  username: string;
  displayName: string;
  roles: Role[];
}

export interface CareTeam {
  id: string;
  name: string;
  facilityId: string;
  departmentId: string | null;
  createdAt: string;
  members: CareTeamMember[];
}

type TeamRow = { id: string; name: string; facility_id: string; department_id: string | null; created_at: Date };

async function membersOf(db: Reader, teamIds: readonly string[]): Promise<Map<string, CareTeamMember[]>> {
  const out = new Map<string, CareTeamMember[]>(teamIds.map((id) => [id, []]));
  if (teamIds.length === 0) return out;
  const rows = await db
    .selectFrom('care_team_members')
    .innerJoin('people', 'people.id', 'care_team_members.person_id')
    .select(['care_team_members.team_id', 'people.id', 'people.username', 'people.display_name'])
    .where('care_team_members.team_id', 'in', teamIds)
    .orderBy('people.username')
    .execute();
  const personIds = [...new Set(rows.map((r) => r.id))];
  const roles = personIds.length === 0 ? [] : await db.selectFrom('person_roles').select(['person_id', 'role']).where('person_id', 'in', personIds).orderBy('role').execute();
  const rolesOf = new Map<string, Role[]>();
  for (const r of roles) if (isRole(r.role)) rolesOf.set(r.person_id, [...(rolesOf.get(r.person_id) ?? []), r.role]);
  for (const r of rows) out.get(r.team_id)!.push({ personId: r.id, username: r.username, displayName: r.display_name, roles: rolesOf.get(r.id) ?? [] });
  return out;
}

const toTeam = (r: TeamRow, members: CareTeamMember[]): CareTeam => ({
  id: r.id,
  name: r.name,
  facilityId: r.facility_id,
  departmentId: r.department_id,
  createdAt: iso(r.created_at),
  members,
});

const COLUMNS = ['id', 'name', 'facility_id', 'department_id', 'created_at'] as const;

export async function listCareTeams(db: Reader, filter: { facilityId?: string; memberId?: string } = {}, page: PageRequest = {}): Promise<Page<CareTeam>> {
  const w = pageWindow(page);
  let q = db.selectFrom('care_teams').select(COLUMNS).orderBy('id').limit(w.fetch);
  if (w.after) q = q.where('id', '>', w.after);
  if (filter.facilityId) q = q.where('facility_id', '=', filter.facilityId);
  if (filter.memberId) {
    const memberId = filter.memberId;
    q = q.where((eb) => eb.exists(eb.selectFrom('care_team_members').select('care_team_members.team_id').whereRef('care_team_members.team_id', '=', 'care_teams.id').where('care_team_members.person_id', '=', memberId)));
  }
  const rows = await q.execute();
  const members = await membersOf(db, rows.slice(0, w.limit).map((r) => r.id));
  return toPage(rows, w.limit, (r) => toTeam(r, members.get(r.id) ?? []));
}

export async function getCareTeam(db: Reader, id: string): Promise<CareTeam> {
  const row = await db.selectFrom('care_teams').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No care team has this id.');
  const members = await membersOf(db, [id]);
  return toTeam(row, members.get(id)!);
}

async function departmentAt(db: Reader, departmentId: string, facilityId: string): Promise<void> {
  const dept = await db.selectFrom('departments').select('facility_id').where('id', '=', departmentId).executeTakeFirst();
  if (!dept) throw new DirectoryRuleError('unknown-department', 'departmentId names no department in this directory.');
  if (dept.facility_id !== facilityId) throw new DirectoryRuleError('department-other-facility', "departmentId must name a department of the team's facility.");
}

export async function createCareTeam(run: TxRunner, ctx: DirectoryContext, input: { name: string; facilityId: string; departmentId?: string | null; id?: string }): Promise<CareTeam> {
  const name = requiredName(input.name, 'name');
  return run.tx(async (trx) => {
    await mustExist(trx, 'facilities', input.facilityId, 'unknown-facility', 'facilityId names no facility in this directory.');
    if (input.departmentId) await departmentAt(trx, input.departmentId, input.facilityId);
    const id = input.id ?? uuidv7();
    await trx.insertInto('care_teams').values({ id, name, facility_id: input.facilityId, department_id: input.departmentId ?? null }).execute();
    await audit(trx, ctx, {
      action: 'directory.care-team.create',
      actionCode: 'C',
      resourceType: 'CareTeam',
      resourceIds: [id],
      facilityId: input.facilityId,
      details: { fields: ['name', 'facilityId', ...(input.departmentId ? ['departmentId'] : [])] },
    });
    return getCareTeam(trx, id);
  });
}

/** A team stays at its facility (moving it would silently move its patients); its name and department may change. */
export async function updateCareTeam(run: TxRunner, ctx: DirectoryContext, id: string, input: { name?: string; departmentId?: string | null }): Promise<CareTeam> {
  return run.tx(async (trx) => {
    await lockRow(trx, 'care_teams', id, 'No care team has this id.');
    const before = await getCareTeam(trx, id);
    const fields: string[] = [];
    if (input.name !== undefined) {
      const name = requiredName(input.name, 'name');
      if (name !== before.name) {
        await trx.updateTable('care_teams').set({ name }).where('id', '=', id).execute();
        fields.push('name');
      }
    }
    if (input.departmentId !== undefined && input.departmentId !== before.departmentId) {
      if (input.departmentId !== null) await departmentAt(trx, input.departmentId, before.facilityId);
      await trx.updateTable('care_teams').set({ department_id: input.departmentId }).where('id', '=', id).execute();
      fields.push('departmentId');
    }
    if (fields.length === 0) return before;
    await audit(trx, ctx, { action: 'directory.care-team.update', actionCode: 'U', resourceType: 'CareTeam', resourceIds: [id], facilityId: before.facilityId, details: { fields } });
    return getCareTeam(trx, id);
  });
}

/** Adds a member; adding someone who is already a member changes nothing and says so (`added: false`). */
export async function addCareTeamMember(run: TxRunner, ctx: DirectoryContext, teamId: string, personId: string): Promise<{ team: CareTeam; added: boolean }> {
  return run.tx(async (trx) => {
    await lockRow(trx, 'care_teams', teamId, 'No care team has this id.');
    const team = await getCareTeam(trx, teamId);
    const person = await trx.selectFrom('people').select(['id', 'status']).where('id', '=', personId).executeTakeFirst();
    if (!person) throw new NotFoundError('No person has this id.');
    if (team.members.some((m) => m.personId === personId)) return { team, added: false };
    if (person.status !== 'active') throw new DirectoryRuleError('person-disabled', 'This person is disabled; enable them before adding them to a care team.');
    const works = await trx.selectFrom('person_facilities').select('person_id').where('person_id', '=', personId).where('facility_id', '=', team.facilityId).executeTakeFirst();
    if (!works) {
      throw new DirectoryRuleError('member-facility-mismatch', "This person does not work at the team's facility; add the facility to the person first.");
    }
    await trx.insertInto('care_team_members').values({ team_id: teamId, person_id: personId }).execute();
    await audit(trx, ctx, {
      action: 'directory.care-team.member.add',
      actionCode: 'U',
      resourceType: 'CareTeam',
      resourceIds: [teamId, personId],
      facilityId: team.facilityId,
      details: { fields: ['members'], personId },
    });
    return { team: await getCareTeam(trx, teamId), added: true };
  });
}

export async function removeCareTeamMember(run: TxRunner, ctx: DirectoryContext, teamId: string, personId: string): Promise<CareTeam> {
  return run.tx(async (trx) => {
    await lockRow(trx, 'care_teams', teamId, 'No care team has this id.');
    const removed = await trx.deleteFrom('care_team_members').where('team_id', '=', teamId).where('person_id', '=', personId).executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) throw new NotFoundError('This person is not a member of this care team.');
    const team = await getCareTeam(trx, teamId);
    await audit(trx, ctx, {
      action: 'directory.care-team.member.remove',
      actionCode: 'U',
      resourceType: 'CareTeam',
      resourceIds: [teamId, personId],
      facilityId: team.facilityId,
      details: { fields: ['members'], personId },
    });
    return team;
  });
}
