import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { NotFoundError } from '../../errors.ts';
import type { Tx } from '../../store/store.ts';
import { audit, instant, iso, type DirectoryContext, type TxRunner } from './context.ts';
import { DirectoryConflictError, DirectoryRuleError } from './errors.ts';
import { lockRow, mustExist } from './organizations.ts';
import { pageWindow, toPage, type Page, type PageRequest } from './pagination.ts';
import { CARE_ROLES } from './validate.ts';

/**
 * Which patients are in whose care, for which period: through a care team or directly to one clinician. Rows are
 * never deleted — an assignment that granted access stays on record — they are ended. Reading assignments reveals
 * that a patient is under care here, so reads are audited like writes.
 */
export interface Assignment {
  id: string;
  patientId: string;
  teamId: string | null;
  personId: string | null;
  startsAt: string;
  endsAt: string | null;
  /** In force at the time of the answer. */
  active: boolean;
}

export interface AssignmentFilter {
  patientId?: string;
  teamId?: string;
  personId?: string;
  /** true: only assignments in force now; false: only those not (yet or any more) in force. */
  active?: boolean;
}

export interface CreateAssignmentInput {
  patientId: string;
  teamId?: string | null;
  personId?: string | null;
  startsAt?: string | Date;
  endsAt?: string | Date | null;
  id?: string;
}

type Row = { id: string; patient_id: string; team_id: string | null; person_id: string | null; starts_at: Date; ends_at: Date | null };

function toAssignment(r: Row, now: Date): Assignment {
  const endsAt = r.ends_at ? instant(r.ends_at) : null;
  return {
    id: r.id,
    patientId: r.patient_id,
    teamId: r.team_id,
    personId: r.person_id,
    startsAt: iso(r.starts_at),
    endsAt: endsAt ? iso(endsAt) : null,
    active: instant(r.starts_at) <= now && (endsAt === null || endsAt > now),
  };
}

const COLUMNS = ['id', 'patient_id', 'team_id', 'person_id', 'starts_at', 'ends_at'] as const;

async function load(trx: Tx, id: string): Promise<Row> {
  const row = await trx.selectFrom('patient_assignments').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No patient assignment has this id.');
  return row;
}

export async function listAssignments(run: TxRunner, ctx: DirectoryContext, filter: AssignmentFilter = {}, page: PageRequest = {}): Promise<Page<Assignment>> {
  const w = pageWindow(page);
  return run.tx(async (trx) => {
    const now = new Date();
    let q = trx.selectFrom('patient_assignments').select(COLUMNS).orderBy('id').limit(w.fetch);
    if (w.after) q = q.where('id', '>', w.after);
    if (filter.patientId) q = q.where('patient_id', '=', filter.patientId);
    if (filter.teamId) q = q.where('team_id', '=', filter.teamId);
    if (filter.personId) q = q.where('person_id', '=', filter.personId);
    if (filter.active !== undefined) {
      const inForce = sql<boolean>`(starts_at <= ${now} and (ends_at is null or ends_at > ${now}))`;
      q = q.where(filter.active ? inForce : sql<boolean>`not ${inForce}`);
    }
    const result = toPage(await q.execute(), w.limit, (r) => toAssignment(r, now));
    await audit(trx, ctx, {
      action: 'directory.assignment.read',
      actionCode: 'R',
      resourceType: 'PatientAssignment',
      resourceIds: result.items.map((a) => a.id),
      patientId: filter.patientId ?? null,
      query: { ...filter, limit: w.limit, ...(page.cursor ? { cursor: page.cursor } : {}) },
    });
    return result;
  });
}

export async function getAssignment(run: TxRunner, ctx: DirectoryContext, id: string): Promise<Assignment> {
  return run.tx(async (trx) => {
    const row = await load(trx, id);
    await audit(trx, ctx, { action: 'directory.assignment.read', actionCode: 'R', resourceType: 'PatientAssignment', resourceIds: [id], patientId: row.patient_id });
    return toAssignment(row, new Date());
  });
}

export async function createAssignment(run: TxRunner, ctx: DirectoryContext, input: CreateAssignmentInput): Promise<Assignment> {
  const teamId = input.teamId ?? null;
  const personId = input.personId ?? null;
  if ((teamId === null) === (personId === null)) throw new DirectoryRuleError('assignment-target', 'Give exactly one of teamId or personId: a patient is assigned to a care team or to one clinician.');
  const startsAt = input.startsAt === undefined ? new Date() : instant(input.startsAt);
  const endsAt = input.endsAt == null ? null : instant(input.endsAt);
  if (endsAt && endsAt <= startsAt) throw new DirectoryRuleError('assignment-window-invalid', 'endsAt must be later than startsAt.');
  return run.tx(async (trx) => {
    await mustExist(trx, 'patients', input.patientId, 'unknown-patient', 'patientId names no patient in this directory.');
    let facilityId: string | null = null;
    if (teamId) {
      const team = await trx.selectFrom('care_teams').select('facility_id').where('id', '=', teamId).executeTakeFirst();
      if (!team) throw new DirectoryRuleError('unknown-care-team', 'teamId names no care team in this directory.');
      facilityId = team.facility_id;
    } else {
      const person = await trx
        .selectFrom('people')
        .select(['status', sql<boolean>`exists (select 1 from person_roles r where r.person_id = people.id and r.role in (${sql.join([...CARE_ROLES])}))`.as('cares')])
        .where('id', '=', personId!)
        .executeTakeFirst();
      if (!person) throw new DirectoryRuleError('unknown-person', 'personId names no person in this directory.');
      if (person.status !== 'active') throw new DirectoryRuleError('person-disabled', 'This person is disabled; patients can only be assigned to active clinicians.');
      if (!person.cares) throw new DirectoryRuleError('assignment-role', `Patients can be assigned directly only to people with one of the roles: ${CARE_ROLES.join(', ')}.`);
    }
    const overlapping = await trx
      .selectFrom('patient_assignments')
      .select('id')
      .where('patient_id', '=', input.patientId)
      .where(teamId ? 'team_id' : 'person_id', '=', (teamId ?? personId)!)
      .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', startsAt)]))
      .$if(endsAt !== null, (q) => q.where('starts_at', '<', endsAt!))
      .executeTakeFirst();
    if (overlapping) {
      throw new DirectoryConflictError('assignment-exists', 'This patient is already assigned to this team or person for an overlapping period; end that assignment first or pick another period.');
    }
    const id = input.id ?? uuidv7();
    await trx.insertInto('patient_assignments').values({ id, patient_id: input.patientId, team_id: teamId, person_id: personId, starts_at: startsAt, ends_at: endsAt }).execute();
    await audit(trx, ctx, {
      action: 'directory.assignment.create',
      actionCode: 'C',
      resourceType: 'PatientAssignment',
      resourceIds: [id, (teamId ?? personId)!],
      patientId: input.patientId,
      facilityId,
      details: { fields: ['patientId', teamId ? 'teamId' : 'personId', 'startsAt', ...(endsAt ? ['endsAt'] : [])] },
    });
    return toAssignment(await load(trx, id), new Date());
  });
}

/**
 * Ends an assignment now, or at `endsAt` (a planned hand-over). An end can be brought forward but an assignment that
 * is already over cannot be changed: the access it gave is history.
 */
export async function endAssignment(run: TxRunner, ctx: DirectoryContext, id: string, input: { endsAt?: string | Date } = {}): Promise<Assignment> {
  return run.tx(async (trx) => {
    await lockRow(trx, 'patient_assignments', id, 'No patient assignment has this id.');
    const row = await load(trx, id);
    const now = new Date();
    const endsAt = input.endsAt === undefined ? now : instant(input.endsAt);
    if (row.ends_at && instant(row.ends_at) <= now) throw new DirectoryConflictError('assignment-ended', 'This assignment has already ended.');
    if (endsAt <= instant(row.starts_at)) throw new DirectoryRuleError('assignment-window-invalid', 'endsAt must be later than the assignment start.');
    if (row.ends_at && endsAt > instant(row.ends_at)) throw new DirectoryRuleError('assignment-extend', 'Ending an assignment cannot move its end later; create a new assignment instead.');
    await trx.updateTable('patient_assignments').set({ ends_at: endsAt }).where('id', '=', id).execute();
    await audit(trx, ctx, { action: 'directory.assignment.end', actionCode: 'U', resourceType: 'PatientAssignment', resourceIds: [id], patientId: row.patient_id, details: { fields: ['endsAt'] } });
    return toAssignment(await load(trx, id), new Date());
  });
}
