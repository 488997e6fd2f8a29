import { v7 as uuidv7 } from 'uuid';
import { NotFoundError } from '../../errors.ts';
import type { Tx } from '../../store/store.ts';
import { audit, iso, type DirectoryContext, type Reader, type TxRunner } from './context.ts';
import { DirectoryConflictError, DirectoryRuleError, isUniqueViolation } from './errors.ts';
import { pageWindow, toPage, type Page, type PageRequest } from './pagination.ts';
import { FACILITY_CODE, requiredName } from './validate.ts';

/** Organizations, their facilities (campuses, sites) and the departments inside a facility. */
export interface Organization {
  id: string;
  name: string;
  createdAt: string;
}

export interface Facility {
  id: string;
  organizationId: string;
  code: string;
  name: string;
  createdAt: string;
}

export interface Department {
  id: string;
  facilityId: string;
  name: string;
  createdAt: string;
}

const organization = (r: { id: string; name: string; created_at: Date }): Organization => ({ id: r.id, name: r.name, createdAt: iso(r.created_at) });
const facility = (r: { id: string; organization_id: string; code: string; name: string; created_at: Date }): Facility => ({
  id: r.id,
  organizationId: r.organization_id,
  code: r.code,
  name: r.name,
  createdAt: iso(r.created_at),
});
const department = (r: { id: string; facility_id: string; name: string; created_at: Date }): Department => ({ id: r.id, facilityId: r.facility_id, name: r.name, createdAt: iso(r.created_at) });

// ── organizations ───────────────────────────────────────────────────────────────────────────────────────────────

export async function listOrganizations(db: Reader, page: PageRequest = {}): Promise<Page<Organization>> {
  const w = pageWindow(page);
  let q = db.selectFrom('organizations').select(['id', 'name', 'created_at']).orderBy('id').limit(w.fetch);
  if (w.after) q = q.where('id', '>', w.after);
  return toPage(await q.execute(), w.limit, organization);
}

export async function getOrganization(db: Reader, id: string): Promise<Organization> {
  const row = await db.selectFrom('organizations').select(['id', 'name', 'created_at']).where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No organization has this id.');
  return organization(row);
}

export async function createOrganization(run: TxRunner, ctx: DirectoryContext, input: { name: string; id?: string }): Promise<Organization> {
  const name = requiredName(input.name, 'name');
  return run.tx(async (trx) => {
    const id = input.id ?? uuidv7();
    await trx.insertInto('organizations').values({ id, name }).execute();
    await audit(trx, ctx, { action: 'directory.organization.create', actionCode: 'C', resourceType: 'Organization', resourceIds: [id], details: { fields: ['name'] } });
    return getOrganization(trx, id);
  });
}

export async function updateOrganization(run: TxRunner, ctx: DirectoryContext, id: string, input: { name?: string }): Promise<Organization> {
  return run.tx(async (trx) => {
    await lockRow(trx, 'organizations', id, 'No organization has this id.');
    const fields: string[] = [];
    if (input.name !== undefined) {
      await trx.updateTable('organizations').set({ name: requiredName(input.name, 'name') }).where('id', '=', id).execute();
      fields.push('name');
    }
    if (fields.length > 0) await audit(trx, ctx, { action: 'directory.organization.update', actionCode: 'U', resourceType: 'Organization', resourceIds: [id], details: { fields } });
    return getOrganization(trx, id);
  });
}

// ── facilities ──────────────────────────────────────────────────────────────────────────────────────────────────

export async function listFacilities(db: Reader, filter: { organizationId?: string } = {}, page: PageRequest = {}): Promise<Page<Facility>> {
  const w = pageWindow(page);
  let q = db.selectFrom('facilities').select(['id', 'organization_id', 'code', 'name', 'created_at']).orderBy('id').limit(w.fetch);
  if (filter.organizationId) q = q.where('organization_id', '=', filter.organizationId);
  if (w.after) q = q.where('id', '>', w.after);
  return toPage(await q.execute(), w.limit, facility);
}

export async function getFacility(db: Reader, id: string): Promise<Facility> {
  const row = await db.selectFrom('facilities').select(['id', 'organization_id', 'code', 'name', 'created_at']).where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No facility has this id.');
  return facility(row);
}

export async function createFacility(run: TxRunner, ctx: DirectoryContext, input: { organizationId: string; code: string; name: string; id?: string }): Promise<Facility> {
  const name = requiredName(input.name, 'name');
  if (!FACILITY_CODE.test(input.code)) {
    throw new DirectoryRuleError('invalid-facility-code', 'code must be 2 to 16 capital letters, digits or "-", starting with a letter or digit (e.g. NORTH).');
  }
  return run.tx(async (trx) => {
    await mustExist(trx, 'organizations', input.organizationId, 'unknown-organization', 'organizationId names no organization in this directory.');
    const taken = await trx.selectFrom('facilities').select('id').where('code', '=', input.code).executeTakeFirst();
    if (taken) throw facilityCodeTaken();
    const id = input.id ?? uuidv7();
    try {
      await trx.insertInto('facilities').values({ id, organization_id: input.organizationId, code: input.code, name }).execute();
    } catch (err) {
      if (isUniqueViolation(err)) throw facilityCodeTaken();
      throw err;
    }
    await audit(trx, ctx, { action: 'directory.facility.create', actionCode: 'C', resourceType: 'Facility', resourceIds: [id], facilityId: id, details: { fields: ['organizationId', 'code', 'name'] } });
    return getFacility(trx, id);
  });
}

const facilityCodeTaken = () => new DirectoryConflictError('facility-code-taken', 'Another facility already uses this code; facility codes are unique.');

/** A facility's code is its identity in feeds and audit exports, so only its display name changes. */
export async function updateFacility(run: TxRunner, ctx: DirectoryContext, id: string, input: { name?: string }): Promise<Facility> {
  return run.tx(async (trx) => {
    await lockRow(trx, 'facilities', id, 'No facility has this id.');
    const fields: string[] = [];
    if (input.name !== undefined) {
      await trx.updateTable('facilities').set({ name: requiredName(input.name, 'name') }).where('id', '=', id).execute();
      fields.push('name');
    }
    if (fields.length > 0) await audit(trx, ctx, { action: 'directory.facility.update', actionCode: 'U', resourceType: 'Facility', resourceIds: [id], facilityId: id, details: { fields } });
    return getFacility(trx, id);
  });
}

// ── departments ─────────────────────────────────────────────────────────────────────────────────────────────────

export async function listDepartments(db: Reader, filter: { facilityId?: string } = {}, page: PageRequest = {}): Promise<Page<Department>> {
  const w = pageWindow(page);
  let q = db.selectFrom('departments').select(['id', 'facility_id', 'name', 'created_at']).orderBy('id').limit(w.fetch);
  if (filter.facilityId) q = q.where('facility_id', '=', filter.facilityId);
  if (w.after) q = q.where('id', '>', w.after);
  return toPage(await q.execute(), w.limit, department);
}

export async function getDepartment(db: Reader, id: string): Promise<Department> {
  const row = await db.selectFrom('departments').select(['id', 'facility_id', 'name', 'created_at']).where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError('No department has this id.');
  return department(row);
}

export async function createDepartment(run: TxRunner, ctx: DirectoryContext, input: { facilityId: string; name: string; id?: string }): Promise<Department> {
  const name = requiredName(input.name, 'name');
  return run.tx(async (trx) => {
    await mustExist(trx, 'facilities', input.facilityId, 'unknown-facility', 'facilityId names no facility in this directory.');
    const id = input.id ?? uuidv7();
    await trx.insertInto('departments').values({ id, facility_id: input.facilityId, name }).execute();
    await audit(trx, ctx, { action: 'directory.department.create', actionCode: 'C', resourceType: 'Department', resourceIds: [id], facilityId: input.facilityId, details: { fields: ['facilityId', 'name'] } });
    return getDepartment(trx, id);
  });
}

export async function updateDepartment(run: TxRunner, ctx: DirectoryContext, id: string, input: { name?: string }): Promise<Department> {
  return run.tx(async (trx) => {
    await lockRow(trx, 'departments', id, 'No department has this id.');
    const fields: string[] = [];
    if (input.name !== undefined) {
      await trx.updateTable('departments').set({ name: requiredName(input.name, 'name') }).where('id', '=', id).execute();
      fields.push('name');
    }
    const row = await getDepartment(trx, id);
    if (fields.length > 0) await audit(trx, ctx, { action: 'directory.department.update', actionCode: 'U', resourceType: 'Department', resourceIds: [id], facilityId: row.facilityId, details: { fields } });
    return row;
  });
}

// ── shared lookups ──────────────────────────────────────────────────────────────────────────────────────────────

type IdTable = 'organizations' | 'facilities' | 'departments' | 'people' | 'care_teams' | 'patients' | 'patient_assignments' | 'coverage' | 'encounters';

/** A referenced row (named in a request body) that must exist: its absence is the caller's mistake, a 422. */
export async function mustExist(trx: Reader, table: IdTable, id: string, code: string, message: string): Promise<void> {
  const row = await trx.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
  if (!row) throw new DirectoryRuleError(code, message);
}

/** The row a request is about (named in the path): locked for the rest of the transaction, or a 404. */
export async function lockRow(trx: Tx, table: IdTable, id: string, notFound: string): Promise<void> {
  const row = await trx.selectFrom(table).select('id').where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw new NotFoundError(notFound);
}
