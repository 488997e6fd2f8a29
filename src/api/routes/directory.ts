import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ROLES } from '../../controls/access/policy.ts';
import * as dir from '../../core/directory/index.ts';
import { ServiceUnavailableError } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import type { AppDeps } from '../app.ts';
import { requestFacts } from '../request-facts.ts';

/**
 * The directory admin API (security admins): organizations, facilities, departments, people and their roles, care
 * teams, patient assignments, coverage windows and encounters. Access is declared per route and enforced by the guard
 * before a handler runs; each change is audited inside its own transaction by the directory service. Answers carry
 * ids, never patient demographics: an admin manages who may see a patient, not what is in the record.
 */

type Json = Record<string, unknown>;

// Fastify's validator strips unknown properties instead of refusing them; `propertyNames` makes a misspelt field a
// 400 rather than a change that silently did not happen (or a filter that silently returned everything).
function strict(properties: Record<string, Json>, required: string[] = []): Json {
  return { type: 'object', additionalProperties: false, propertyNames: { enum: Object.keys(properties) }, properties, required };
}

const uuid = { type: 'string', format: 'uuid' };
const dateTime = { type: 'string', format: 'date-time' };
const name = { type: 'string', minLength: 1, maxLength: 200 };
const nullable = (schema: Json): Json => ({ ...schema, type: [schema.type as string, 'null'] });

const pageQuery = { limit: { type: 'integer', minimum: 1, maximum: dir.MAX_LIMIT, default: dir.DEFAULT_LIMIT }, cursor: { type: 'string', minLength: 1, maxLength: 200 } };
const idParams = strict({ id: uuid }, ['id']);
const memberParams = strict({ id: uuid, personId: uuid }, ['id', 'personId']);

const page = (item: Json): Json => ({ type: 'object', properties: { items: { type: 'array', items: item }, nextCursor: { type: ['string', 'null'] } } });
const obj = (properties: Record<string, Json>): Json => ({ type: 'object', properties });
const str = { type: 'string' };
const strOrNull = { type: ['string', 'null'] };

const organizationOut = obj({ id: str, name: str, createdAt: str });
const facilityOut = obj({ id: str, organizationId: str, code: str, name: str, createdAt: str });
const departmentOut = obj({ id: str, facilityId: str, name: str, createdAt: str });
const personOut = obj({
  id: str,
  username: str,
  displayName: str,
  organizationId: str,
  status: str,
  roles: { type: 'array', items: str },
  facilityIds: { type: 'array', items: str },
  passwordSet: { type: 'boolean' },
  totpEnrolled: { type: 'boolean' },
  lockedUntil: strOrNull,
  lastLoginAt: strOrNull,
  createdAt: str,
  updatedAt: str,
});
const careTeamOut = obj({
  id: str,
  name: str,
  facilityId: str,
  departmentId: strOrNull,
  createdAt: str,
  members: { type: 'array', items: obj({ personId: str, username: str, displayName: str, roles: { type: 'array', items: str } }) },
});
const assignmentOut = obj({ id: str, patientId: str, teamId: strOrNull, personId: strOrNull, startsAt: str, endsAt: strOrNull, active: { type: 'boolean' } });
const coverageOut = obj({ id: str, coveringPersonId: str, coveredPersonId: str, startsAt: str, endsAt: str, state: str, createdAt: str });
const encounterOut = obj({ id: str, patientId: str, facilityId: strOrNull, status: str, class: str, startsAt: strOrNull, endsAt: strOrNull, createdAt: str, updatedAt: str });

const read = (resource: string) => ({ policy: { action: 'directory.read', resource } });
const write = (resource: string) => ({ policy: { action: 'directory.write', resource } });

type Q = { limit?: number; cursor?: string } & Record<string, string | number | boolean | undefined>;
type P = { id: string; personId?: string };

function pageOf(q: Q): dir.PageRequest {
  return { ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.cursor !== undefined ? { cursor: q.cursor } : {}) };
}

function created(reply: FastifyReply, path: string, body: { id: string }) {
  return reply.code(201).header('location', `${path}/${body.id}`).send(body);
}

// End-of-life actions take an optional body; an empty POST means "now".
async function emptyBodyIsEmptyObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

export const directoryRoutes =
  (deps: AppDeps): FastifyPluginAsync =>
  async (app) => {
    const store = (): Store => {
      const s = deps.store();
      if (!s) throw new ServiceUnavailableError('The database is not ready yet; try again shortly (see /health/ready).');
      return s;
    };
    const ctx = (request: FastifyRequest): dir.DirectoryContext => ({ subject: request.subject, facts: requestFacts(request) });
    const tags = ['directory'];
    const base = '/api/admin';

    app.get('/api/admin/roles', { config: read('Person'), schema: { summary: 'The roles a person can hold (from the access policy)', tags, response: { 200: obj({ roles: { type: 'array', items: str } }) } } }, async () => ({
      roles: [...ROLES],
    }));

    // ── organizations ───────────────────────────────────────────────────────────────────────────────────────────
    app.get<{ Querystring: Q }>(
      `${base}/organizations`,
      { config: read('Organization'), schema: { summary: 'List organizations', tags, querystring: strict(pageQuery), response: { 200: page(organizationOut) } } },
      async (req) => dir.listOrganizations(store().db, pageOf(req.query)),
    );
    app.get<{ Params: P }>(
      `${base}/organizations/:id`,
      { config: read('Organization'), schema: { summary: 'One organization', tags, params: idParams, response: { 200: organizationOut } } },
      async (req) => dir.getOrganization(store().db, req.params.id),
    );
    app.post<{ Body: { name: string } }>(
      `${base}/organizations`,
      { config: write('Organization'), schema: { summary: 'Create an organization', tags, body: strict({ name }, ['name']), response: { 201: organizationOut } } },
      async (req, reply) => created(reply, `${base}/organizations`, await dir.createOrganization(store(), ctx(req), req.body)),
    );
    app.patch<{ Params: P; Body: { name?: string } }>(
      `${base}/organizations/:id`,
      { config: write('Organization'), schema: { summary: 'Rename an organization', tags, params: idParams, body: strict({ name }), response: { 200: organizationOut } } },
      async (req) => dir.updateOrganization(store(), ctx(req), req.params.id, req.body),
    );

    // ── facilities ──────────────────────────────────────────────────────────────────────────────────────────────
    app.get<{ Querystring: Q & { organizationId?: string } }>(
      `${base}/facilities`,
      { config: read('Facility'), schema: { summary: 'List facilities', tags, querystring: strict({ ...pageQuery, organizationId: uuid }), response: { 200: page(facilityOut) } } },
      async (req) => dir.listFacilities(store().db, { ...(req.query.organizationId ? { organizationId: req.query.organizationId } : {}) }, pageOf(req.query)),
    );
    app.get<{ Params: P }>(
      `${base}/facilities/:id`,
      { config: read('Facility'), schema: { summary: 'One facility', tags, params: idParams, response: { 200: facilityOut } } },
      async (req) => dir.getFacility(store().db, req.params.id),
    );
    app.post<{ Body: { organizationId: string; code: string; name: string } }>(
      `${base}/facilities`,
      {
        config: write('Facility'),
        schema: {
          summary: 'Create a facility (its code is unique and permanent)',
          tags,
          body: strict({ organizationId: uuid, code: { type: 'string', pattern: dir.FACILITY_CODE.source }, name }, ['organizationId', 'code', 'name']),
          response: { 201: facilityOut },
        },
      },
      async (req, reply) => created(reply, `${base}/facilities`, await dir.createFacility(store(), ctx(req), req.body)),
    );
    app.patch<{ Params: P; Body: { name?: string } }>(
      `${base}/facilities/:id`,
      { config: write('Facility'), schema: { summary: 'Rename a facility', tags, params: idParams, body: strict({ name }), response: { 200: facilityOut } } },
      async (req) => dir.updateFacility(store(), ctx(req), req.params.id, req.body),
    );

    // ── departments ─────────────────────────────────────────────────────────────────────────────────────────────
    app.get<{ Querystring: Q & { facilityId?: string } }>(
      `${base}/departments`,
      { config: read('Department'), schema: { summary: 'List departments', tags, querystring: strict({ ...pageQuery, facilityId: uuid }), response: { 200: page(departmentOut) } } },
      async (req) => dir.listDepartments(store().db, { ...(req.query.facilityId ? { facilityId: req.query.facilityId } : {}) }, pageOf(req.query)),
    );
    app.get<{ Params: P }>(
      `${base}/departments/:id`,
      { config: read('Department'), schema: { summary: 'One department', tags, params: idParams, response: { 200: departmentOut } } },
      async (req) => dir.getDepartment(store().db, req.params.id),
    );
    app.post<{ Body: { facilityId: string; name: string } }>(
      `${base}/departments`,
      { config: write('Department'), schema: { summary: 'Create a department in a facility', tags, body: strict({ facilityId: uuid, name }, ['facilityId', 'name']), response: { 201: departmentOut } } },
      async (req, reply) => created(reply, `${base}/departments`, await dir.createDepartment(store(), ctx(req), req.body)),
    );
    app.patch<{ Params: P; Body: { name?: string } }>(
      `${base}/departments/:id`,
      { config: write('Department'), schema: { summary: 'Rename a department', tags, params: idParams, body: strict({ name }), response: { 200: departmentOut } } },
      async (req) => dir.updateDepartment(store(), ctx(req), req.params.id, req.body),
    );

    // ── people ──────────────────────────────────────────────────────────────────────────────────────────────────
    const roles = { type: 'array', items: { type: 'string', enum: [...ROLES] }, uniqueItems: true, maxItems: ROLES.length };
    const facilityIds = { type: 'array', items: uuid, uniqueItems: true, maxItems: 100 };
    const status = { type: 'string', enum: ['active', 'disabled'] };
    app.get<{ Querystring: Q & dir.PersonFilter }>(
      `${base}/people`,
      {
        config: read('Person'),
        schema: {
          summary: 'List people (never their credentials)',
          tags,
          querystring: strict({ ...pageQuery, role: { type: 'string', enum: [...ROLES] }, facilityId: uuid, status, q: { type: 'string', minLength: 1, maxLength: 64 } }),
          response: { 200: page(personOut) },
        },
      },
      async (req) => {
        const { limit: _l, cursor: _c, ...filter } = req.query;
        return dir.listPeople(store().db, filter, pageOf(req.query));
      },
    );
    app.get<{ Params: P }>(
      `${base}/people/:id`,
      { config: read('Person'), schema: { summary: 'One person', tags, params: idParams, response: { 200: personOut } } },
      async (req) => dir.getPerson(store().db, req.params.id),
    );
    app.post<{ Body: dir.CreatePersonInput }>(
      `${base}/people`,
      {
        config: write('Person'),
        schema: {
          summary: 'Create a person with roles and facilities (credentials are issued separately)',
          tags,
          body: strict({ username: { type: 'string', pattern: dir.USERNAME.source }, displayName: name, organizationId: uuid, roles, facilityIds, status }, ['username', 'displayName', 'organizationId', 'roles', 'facilityIds']),
          response: { 201: personOut },
        },
      },
      async (req, reply) => created(reply, `${base}/people`, await dir.createPerson(store(), ctx(req), req.body)),
    );
    app.patch<{ Params: P; Body: dir.UpdatePersonInput }>(
      `${base}/people/:id`,
      {
        config: write('Person'),
        schema: { summary: 'Change display name, status or facilities (disabling ends their sessions)', tags, params: idParams, body: strict({ displayName: name, status, facilityIds }), response: { 200: personOut } },
      },
      async (req) => dir.updatePerson(store(), ctx(req), req.params.id, req.body),
    );
    app.put<{ Params: P; Body: { roles: string[] } }>(
      `${base}/people/:id/roles`,
      {
        config: write('Person'),
        schema: { summary: "Replace a person's roles (removing one ends their sessions)", tags, params: idParams, body: strict({ roles }, ['roles']), response: { 200: personOut } },
      },
      async (req) => dir.setPersonRoles(store(), ctx(req), req.params.id, req.body.roles),
    );

    // ── care teams ──────────────────────────────────────────────────────────────────────────────────────────────
    app.get<{ Querystring: Q & { facilityId?: string; memberId?: string } }>(
      `${base}/care-teams`,
      { config: read('CareTeam'), schema: { summary: 'List care teams with their members', tags, querystring: strict({ ...pageQuery, facilityId: uuid, memberId: uuid }), response: { 200: page(careTeamOut) } } },
      async (req) => {
        const { limit: _l, cursor: _c, ...filter } = req.query;
        return dir.listCareTeams(store().db, filter, pageOf(req.query));
      },
    );
    app.get<{ Params: P }>(
      `${base}/care-teams/:id`,
      { config: read('CareTeam'), schema: { summary: 'One care team with its members', tags, params: idParams, response: { 200: careTeamOut } } },
      async (req) => dir.getCareTeam(store().db, req.params.id),
    );
    app.post<{ Body: { name: string; facilityId: string; departmentId?: string | null } }>(
      `${base}/care-teams`,
      {
        config: write('CareTeam'),
        schema: { summary: 'Create a care team at a facility', tags, body: strict({ name, facilityId: uuid, departmentId: nullable(uuid) }, ['name', 'facilityId']), response: { 201: careTeamOut } },
      },
      async (req, reply) => created(reply, `${base}/care-teams`, await dir.createCareTeam(store(), ctx(req), req.body)),
    );
    app.patch<{ Params: P; Body: { name?: string; departmentId?: string | null } }>(
      `${base}/care-teams/:id`,
      { config: write('CareTeam'), schema: { summary: "Rename a care team or change its department", tags, params: idParams, body: strict({ name, departmentId: nullable(uuid) }), response: { 200: careTeamOut } } },
      async (req) => dir.updateCareTeam(store(), ctx(req), req.params.id, req.body),
    );
    app.post<{ Params: P }>(
      `${base}/care-teams/:id/members/:personId`,
      { config: write('CareTeam'), schema: { summary: 'Add a member (201 when added, 200 when already a member)', tags, params: memberParams, response: { 200: careTeamOut, 201: careTeamOut } } },
      async (req, reply) => {
        const { team, added } = await dir.addCareTeamMember(store(), ctx(req), req.params.id, req.params.personId!);
        return reply.code(added ? 201 : 200).send(team);
      },
    );
    app.delete<{ Params: P }>(
      `${base}/care-teams/:id/members/:personId`,
      { config: write('CareTeam'), schema: { summary: 'Remove a member', tags, params: memberParams, response: { 200: careTeamOut } } },
      async (req) => dir.removeCareTeamMember(store(), ctx(req), req.params.id, req.params.personId!),
    );

    // ── patient assignments ─────────────────────────────────────────────────────────────────────────────────────
    app.get<{ Querystring: Q & dir.AssignmentFilter }>(
      `${base}/assignments`,
      {
        config: read('PatientAssignment'),
        schema: { summary: 'List patient assignments (audited: they say who is in whose care)', tags, querystring: strict({ ...pageQuery, patientId: uuid, teamId: uuid, personId: uuid, active: { type: 'boolean' } }), response: { 200: page(assignmentOut) } },
      },
      async (req) => {
        const { limit: _l, cursor: _c, ...filter } = req.query;
        return dir.listAssignments(store(), ctx(req), filter, pageOf(req.query));
      },
    );
    app.get<{ Params: P }>(
      `${base}/assignments/:id`,
      { config: read('PatientAssignment'), schema: { summary: 'One patient assignment', tags, params: idParams, response: { 200: assignmentOut } } },
      async (req) => dir.getAssignment(store(), ctx(req), req.params.id),
    );
    app.post<{ Body: dir.CreateAssignmentInput }>(
      `${base}/assignments`,
      {
        config: write('PatientAssignment'),
        schema: {
          summary: 'Assign a patient to a care team or to one clinician, from startsAt (default now) until endsAt (open if absent)',
          tags,
          body: { ...strict({ patientId: uuid, teamId: uuid, personId: uuid, startsAt: dateTime, endsAt: dateTime }, ['patientId']), oneOf: [{ required: ['teamId'] }, { required: ['personId'] }] },
          response: { 201: assignmentOut },
        },
      },
      async (req, reply) => created(reply, `${base}/assignments`, await dir.createAssignment(store(), ctx(req), req.body)),
    );
    app.post<{ Params: P; Body: { endsAt?: string } }>(
      `${base}/assignments/:id/end`,
      { preValidation: emptyBodyIsEmptyObject, config: write('PatientAssignment'), schema: { summary: 'End an assignment now or at endsAt', tags, params: idParams, body: strict({ endsAt: dateTime }), response: { 200: assignmentOut } } },
      async (req) => dir.endAssignment(store(), ctx(req), req.params.id, req.body),
    );

    // ── coverage ────────────────────────────────────────────────────────────────────────────────────────────────
    app.get<{ Querystring: Q & dir.CoverageFilter }>(
      `${base}/coverage`,
      {
        config: read('Coverage'),
        schema: {
          summary: 'List coverage windows',
          tags,
          querystring: strict({ ...pageQuery, personId: uuid, coveringPersonId: uuid, coveredPersonId: uuid, state: { type: 'string', enum: ['upcoming', 'active', 'ended'] } }),
          response: { 200: page(coverageOut) },
        },
      },
      async (req) => {
        const { limit: _l, cursor: _c, ...filter } = req.query;
        return dir.listCoverage(store().db, filter, pageOf(req.query));
      },
    );
    app.get<{ Params: P }>(
      `${base}/coverage/:id`,
      { config: read('Coverage'), schema: { summary: 'One coverage window', tags, params: idParams, response: { 200: coverageOut } } },
      async (req) => dir.getCoverage(store().db, req.params.id),
    );
    app.post<{ Body: dir.CreateCoverageInput }>(
      `${base}/coverage`,
      {
        config: write('Coverage'),
        schema: {
          summary: `Let one clinician act for another from startsAt to endsAt (at most ${dir.MAX_COVERAGE_DAYS} days)`,
          tags,
          body: strict({ coveringPersonId: uuid, coveredPersonId: uuid, startsAt: dateTime, endsAt: dateTime }, ['coveringPersonId', 'coveredPersonId', 'startsAt', 'endsAt']),
          response: { 201: coverageOut },
        },
      },
      async (req, reply) => created(reply, `${base}/coverage`, await dir.createCoverage(store(), ctx(req), req.body)),
    );
    app.post<{ Params: P; Body: { endsAt?: string } }>(
      `${base}/coverage/:id/end`,
      { preValidation: emptyBodyIsEmptyObject, config: write('Coverage'), schema: { summary: 'Cut a coverage window short: now or at endsAt', tags, params: idParams, body: strict({ endsAt: dateTime }), response: { 200: coverageOut } } },
      async (req) => dir.endCoverage(store(), ctx(req), req.params.id, req.body),
    );
    app.delete<{ Params: P }>(
      `${base}/coverage/:id`,
      { config: write('Coverage'), schema: { summary: 'Delete a coverage window that has not started', tags, params: idParams } },
      async (req, reply) => {
        await dir.deleteCoverage(store(), ctx(req), req.params.id);
        return reply.code(204).send();
      },
    );

    // ── encounters ──────────────────────────────────────────────────────────────────────────────────────────────
    const encounterStatus = { type: 'string', enum: ['planned', 'active', 'finished', 'cancelled'] };
    const encounterClass = { type: 'string', enum: [...dir.ENCOUNTER_CLASSES] };
    app.get<{ Querystring: Q & dir.EncounterFilter }>(
      `${base}/encounters`,
      {
        config: read('Encounter'),
        schema: { summary: 'List encounters (audited)', tags, querystring: strict({ ...pageQuery, patientId: uuid, facilityId: uuid, status: encounterStatus }), response: { 200: page(encounterOut) } },
      },
      async (req) => {
        const { limit: _l, cursor: _c, ...filter } = req.query;
        return dir.listEncounters(store(), ctx(req), filter, pageOf(req.query));
      },
    );
    app.get<{ Params: P }>(
      `${base}/encounters/:id`,
      { config: read('Encounter'), schema: { summary: 'One encounter', tags, params: idParams, response: { 200: encounterOut } } },
      async (req) => dir.getEncounter(store(), ctx(req), req.params.id),
    );
    app.post<{ Body: dir.CreateEncounterInput }>(
      `${base}/encounters`,
      {
        config: write('Encounter'),
        schema: {
          summary: 'Open an encounter (planned, active, or a finished one for the record)',
          tags,
          body: strict({ patientId: uuid, facilityId: uuid, status: { type: 'string', enum: ['planned', 'active', 'finished'] }, class: encounterClass, startsAt: dateTime, endsAt: dateTime }, ['patientId', 'facilityId']),
          response: { 201: encounterOut },
        },
      },
      async (req, reply) => created(reply, `${base}/encounters`, await dir.createEncounter(store(), ctx(req), req.body)),
    );
    app.patch<{ Params: P; Body: dir.UpdateEncounterInput }>(
      `${base}/encounters/:id`,
      {
        config: write('Encounter'),
        schema: {
          summary: 'Move an encounter along planned → active → finished (or planned → cancelled), or correct its class or times',
          tags,
          params: idParams,
          body: strict({ status: encounterStatus, class: encounterClass, startsAt: dateTime, endsAt: dateTime }),
          response: { 200: encounterOut },
        },
      },
      async (req) => dir.updateEncounter(store(), ctx(req), req.params.id, req.body),
    );
  };
