import { v7 as uuidv7 } from 'uuid';
import { NotFoundError } from '../../errors.ts';
import type { EncounterStatus } from '../../store/schema.ts';
import type { Tx } from '../../store/store.ts';
import { audit, instant, iso, type DirectoryContext, type TxRunner } from './context.ts';
import { DirectoryConflictError, DirectoryRuleError } from './errors.ts';
import { lockRow, mustExist } from './organizations.ts';
import { pageWindow, toPage, type Page, type PageRequest } from './pagination.ts';

/**
 * Encounters: a patient's stay or visit at a facility. An active encounter is one of the facts access depends on (a
 * write during an active encounter, a facility's reach), so its status moves one way only:
 * planned → active → finished, or planned → cancelled. A finished or cancelled encounter is history and stays so.
 * The patient's link to an encounter is patient data, so reads are audited.
 */
export const ENCOUNTER_CLASSES = ['inpatient', 'outpatient', 'emergency', 'virtual'] as const;
export type EncounterClass = (typeof ENCOUNTER_CLASSES)[number];

export const ENCOUNTER_TRANSITIONS: Readonly<Record<EncounterStatus, readonly EncounterStatus[]>> = {
  planned: ['active', 'cancelled'],
  active: ['finished'],
  finished: [],
  cancelled: [],
};

export interface Encounter {
  id: string;
  patientId: string;
  facilityId: string | null;
  status: EncounterStatus;
  class: string;
  startsAt: string | null;
  endsAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EncounterFilter {
  patientId?: string;
  facilityId?: string;
  status?: EncounterStatus;
}

export interface CreateEncounterInput {
  patientId: string;
  facilityId: string;
  status?: 'planned' | 'active' | 'finished';
  class?: EncounterClass;
  startsAt?: string | Date | null;
  endsAt?: string | Date | null;
  id?: string;
}

export interface UpdateEncounterInput {
  status?: EncounterStatus;
  class?: EncounterClass;
  startsAt?: string | Date;
  endsAt?: string | Date;
}

type Row = { id: string; patient_id: string; facility_id: string | null; status: EncounterStatus; class: string; starts_at: Date | null; ends_at: Date | null; created_at: Date; updated_at: Date };

const toEncounter = (r: Row): Encounter => ({
  id: r.id,
  patientId: r.patient_id,
  facilityId: r.facility_id,
  status: r.status,
  class: r.class,
  startsAt: r.starts_at ? iso(r.starts_at) : null,
  endsAt: r.ends_at ? iso(r.ends_at) : null,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

const COLUMNS = ['id', 'patient_id', 'facility_id', 'status', 'class', 'starts_at', 'ends_at', 'created_at', 'updated_at'] as const;

async function load(trx: Tx, id: string): Promise<Row> {
  const row = await trx.selectFrom('encounters').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No encounter has this id.');
  return row;
}

/** Whether `from` may become `to`; staying in the same status is not a transition and always allowed. */
export function canTransition(from: EncounterStatus, to: EncounterStatus): boolean {
  return from === to || ENCOUNTER_TRANSITIONS[from].includes(to);
}

function checkClass(value: string | undefined): void {
  if (value !== undefined && !(ENCOUNTER_CLASSES as readonly string[]).includes(value)) {
    throw new DirectoryRuleError('invalid-encounter-class', `class must be one of: ${ENCOUNTER_CLASSES.join(', ')}.`);
  }
}

function checkTimes(startsAt: Date | null, endsAt: Date | null): void {
  if (startsAt && endsAt && endsAt <= startsAt) throw new DirectoryRuleError('encounter-window-invalid', 'endsAt must be later than startsAt.');
}

export async function listEncounters(run: TxRunner, ctx: DirectoryContext, filter: EncounterFilter = {}, page: PageRequest = {}): Promise<Page<Encounter>> {
  const w = pageWindow(page);
  return run.tx(async (trx) => {
    let q = trx.selectFrom('encounters').select(COLUMNS).orderBy('id').limit(w.fetch);
    if (w.after) q = q.where('id', '>', w.after);
    if (filter.patientId) q = q.where('patient_id', '=', filter.patientId);
    if (filter.facilityId) q = q.where('facility_id', '=', filter.facilityId);
    if (filter.status) q = q.where('status', '=', filter.status);
    const result = toPage(await q.execute(), w.limit, toEncounter);
    await audit(trx, ctx, {
      action: 'directory.encounter.read',
      actionCode: 'R',
      resourceType: 'Encounter',
      resourceIds: result.items.map((e) => e.id),
      patientId: filter.patientId ?? null,
      facilityId: filter.facilityId ?? null,
      query: { ...filter, limit: w.limit, ...(page.cursor ? { cursor: page.cursor } : {}) },
    });
    return result;
  });
}

export async function getEncounter(run: TxRunner, ctx: DirectoryContext, id: string): Promise<Encounter> {
  return run.tx(async (trx) => {
    const row = await load(trx, id);
    await audit(trx, ctx, { action: 'directory.encounter.read', actionCode: 'R', resourceType: 'Encounter', resourceIds: [id], patientId: row.patient_id, facilityId: row.facility_id });
    return toEncounter(row);
  });
}

export async function createEncounter(run: TxRunner, ctx: DirectoryContext, input: CreateEncounterInput): Promise<Encounter> {
  const status = input.status ?? 'planned';
  if (!['planned', 'active', 'finished'].includes(status)) {
    throw new DirectoryRuleError('encounter-status-invalid', 'A new encounter is planned, active or finished; cancel a planned one with PATCH.');
  }
  checkClass(input.class);
  const now = new Date();
  let startsAt = input.startsAt == null ? null : instant(input.startsAt);
  const endsAt = input.endsAt == null ? null : instant(input.endsAt);
  if (status === 'active') startsAt ??= now;
  if (status === 'finished' && (!startsAt || !endsAt)) throw new DirectoryRuleError('encounter-window-invalid', 'A finished encounter needs both startsAt and endsAt.');
  if (status !== 'finished' && endsAt) throw new DirectoryRuleError('encounter-window-invalid', 'Only a finished encounter has endsAt; finish it with PATCH to set one.');
  checkTimes(startsAt, endsAt);
  return run.tx(async (trx) => {
    await mustExist(trx, 'patients', input.patientId, 'unknown-patient', 'patientId names no patient in this directory.');
    await mustExist(trx, 'facilities', input.facilityId, 'unknown-facility', 'facilityId names no facility in this directory.');
    const id = input.id ?? uuidv7();
    await trx
      .insertInto('encounters')
      .values({ id, patient_id: input.patientId, facility_id: input.facilityId, status, class: input.class ?? 'inpatient', starts_at: startsAt, ends_at: endsAt })
      .execute();
    await audit(trx, ctx, {
      action: 'directory.encounter.create',
      actionCode: 'C',
      resourceType: 'Encounter',
      resourceIds: [id],
      patientId: input.patientId,
      facilityId: input.facilityId,
      details: { fields: ['patientId', 'facilityId', 'status', 'class', ...(startsAt ? ['startsAt'] : []), ...(endsAt ? ['endsAt'] : [])], status },
    });
    return toEncounter(await load(trx, id));
  });
}

/**
 * Moves an encounter along its life cycle and/or corrects its class or times. Starting it stamps startsAt (now unless
 * given); finishing it stamps endsAt. A finished or cancelled encounter is not edited.
 */
export async function updateEncounter(run: TxRunner, ctx: DirectoryContext, id: string, input: UpdateEncounterInput): Promise<Encounter> {
  checkClass(input.class);
  return run.tx(async (trx) => {
    await lockRow(trx, 'encounters', id, 'No encounter has this id.');
    const before = await load(trx, id);
    const to = input.status ?? before.status;
    if (!canTransition(before.status, to)) {
      const allowed = ENCOUNTER_TRANSITIONS[before.status];
      throw new DirectoryConflictError(
        'encounter-transition-invalid',
        `An encounter cannot go from ${before.status} to ${to}; from ${before.status} it can go to: ${allowed.length > 0 ? allowed.join(', ') : 'nothing (it is closed)'}.`,
      );
    }
    if (to === before.status && (before.status === 'finished' || before.status === 'cancelled')) {
      throw new DirectoryConflictError('encounter-closed', `This encounter is ${before.status} and can no longer be changed.`);
    }
    const now = new Date();
    let startsAt = input.startsAt === undefined ? (before.starts_at ? instant(before.starts_at) : null) : instant(input.startsAt);
    let endsAt = input.endsAt === undefined ? null : instant(input.endsAt);
    if (to === 'active' && before.status === 'planned' && input.startsAt === undefined) startsAt = now;
    if (to === 'finished') {
      startsAt ??= now;
      endsAt ??= now;
    }
    if (to !== 'finished' && endsAt) throw new DirectoryRuleError('encounter-window-invalid', 'endsAt can only be set when the encounter is finished.');
    if (to === 'cancelled') endsAt = null;
    checkTimes(startsAt, endsAt);

    const fields: string[] = [];
    const set: { status?: EncounterStatus; class?: string; starts_at?: Date | null; ends_at?: Date | null; updated_at?: Date } = {};
    if (to !== before.status) {
      set.status = to;
      fields.push('status');
    }
    if (input.class !== undefined && input.class !== before.class) {
      set.class = input.class;
      fields.push('class');
    }
    if ((startsAt?.getTime() ?? null) !== (before.starts_at ? instant(before.starts_at).getTime() : null)) {
      set.starts_at = startsAt;
      fields.push('startsAt');
    }
    if ((endsAt?.getTime() ?? null) !== (before.ends_at ? instant(before.ends_at).getTime() : null)) {
      set.ends_at = endsAt;
      fields.push('endsAt');
    }
    if (fields.length === 0) return toEncounter(before);
    set.updated_at = now;
    await trx.updateTable('encounters').set(set).where('id', '=', id).execute();
    await audit(trx, ctx, {
      action: 'directory.encounter.update',
      actionCode: 'U',
      resourceType: 'Encounter',
      resourceIds: [id],
      patientId: before.patient_id,
      facilityId: before.facility_id,
      details: { fields, ...(set.status ? { from: before.status, to } : {}) },
    });
    return toEncounter(await load(trx, id));
  });
}
