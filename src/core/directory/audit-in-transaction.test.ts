import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { useTestStore } from '../../../test/support/test-db.ts';
import type { Store } from '../../store/store.ts';
import {
  addCareTeamMember,
  createAssignment,
  createCareTeam,
  createCoverage,
  createEncounter,
  createFacility,
  createOrganization,
  createPerson,
  endCoverage,
  listEncounters,
  setPersonRoles,
  updateEncounter,
  updatePerson,
  withinTransaction,
  type DirectoryContext,
} from './index.ts';

/**
 * "No audit, no change": every directory change writes its audit event in its own transaction, so when the audit
 * trail refuses the event the change is not there either. A trigger makes audit.events refuse inserts.
 */
const testStore = useTestStore();
const ctx: DirectoryContext = { subject: null, facts: { requestId: 'req-audit-1', clientIp: null, userAgent: null, purposeOfUse: 'TREAT' } };

async function auditFails(store: Store, on: boolean): Promise<void> {
  if (on) {
    await sql`create or replace function test_refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit store unavailable'; end $$`.execute(store.db);
    await sql`create trigger test_refuse_audit before insert on audit.events for each row execute function test_refuse_audit()`.execute(store.db);
  } else {
    await sql`drop trigger if exists test_refuse_audit on audit.events`.execute(store.db);
  }
}

async function withAuditDown<T>(fn: () => Promise<T>): Promise<void> {
  await auditFails(testStore(), true);
  try {
    await assert.rejects(fn(), /audit store unavailable/);
  } finally {
    await auditFails(testStore(), false);
  }
}

test('when the audit event cannot be written, the change it describes is rolled back', async () => {
  const s = testStore();
  const org = (await createOrganization(s, ctx, { name: 'Audit Health' })).id;
  const north = (await createFacility(s, ctx, { organizationId: org, code: 'AN', name: 'Audit North' })).id;
  const doc = await createPerson(s, ctx, { username: 'audit.doc', displayName: 'Audit Doc', organizationId: org, roles: ['physician'], facilityIds: [north] });
  const cover = await createPerson(s, ctx, { username: 'audit.cover', displayName: 'Audit Cover', organizationId: org, roles: ['covering-clinician'], facilityIds: [north] });
  const team = await createCareTeam(s, ctx, { name: 'Audit Team', facilityId: north });
  const patientId = uuidv7();
  await s.db.insertInto('patients').values({ id: patientId, family_name: null, given_names: null, birth_date: null, sex: null, phone: null, address_line: null, address_city: null, address_postal_code: null, payer_name: null, payer_member_id: null, managing_facility_id: north }).execute();
  const encounter = await createEncounter(s, ctx, { patientId, facilityId: north, status: 'active' });
  const window = await createCoverage(s, ctx, { coveringPersonId: cover.id, coveredPersonId: doc.id, startsAt: new Date(Date.now() - 3_600_000), endsAt: new Date(Date.now() + 3_600_000) });
  const eventsBefore = await s.db.selectFrom('audit.events').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();

  await withAuditDown(() => createPerson(s, ctx, { username: 'never.made', displayName: 'Never', organizationId: org, roles: ['nurse'], facilityIds: [north] }));
  assert.equal(await s.db.selectFrom('people').select('id').where('username', '=', 'never.made').executeTakeFirst(), undefined, 'the person is not there');
  assert.equal((await s.db.selectFrom('person_roles').innerJoin('people', 'people.id', 'person_roles.person_id').select('role').where('people.username', '=', 'never.made').execute()).length, 0);

  await withAuditDown(() => updatePerson(s, ctx, doc.id, { displayName: 'Renamed', status: 'disabled' }));
  const docNow = await s.db.selectFrom('people').select(['display_name', 'status']).where('id', '=', doc.id).executeTakeFirstOrThrow();
  assert.deepEqual(docNow, { display_name: 'Audit Doc', status: 'active' });

  await withAuditDown(() => setPersonRoles(s, ctx, doc.id, ['nurse']));
  assert.deepEqual((await s.db.selectFrom('person_roles').select('role').where('person_id', '=', doc.id).execute()).map((r) => r.role), ['physician']);

  await withAuditDown(() => addCareTeamMember(s, ctx, team.id, doc.id));
  assert.equal((await s.db.selectFrom('care_team_members').select('person_id').where('team_id', '=', team.id).execute()).length, 0);

  await withAuditDown(() => createAssignment(s, ctx, { patientId, teamId: team.id }));
  assert.equal((await s.db.selectFrom('patient_assignments').select('id').where('patient_id', '=', patientId).execute()).length, 0);

  await withAuditDown(() => endCoverage(s, ctx, window.id));
  const windowNow = await s.db.selectFrom('coverage').select('ends_at').where('id', '=', window.id).executeTakeFirstOrThrow();
  assert.equal(windowNow.ends_at.toISOString(), window.endsAt, 'the window is still open');

  await withAuditDown(() => updateEncounter(s, ctx, encounter.id, { status: 'finished' }));
  assert.equal((await s.db.selectFrom('encounters').select('status').where('id', '=', encounter.id).executeTakeFirstOrThrow()).status, 'active');

  // Reads of patient-linked rows are audited too: without the event there is no answer.
  await withAuditDown(() => listEncounters(s, ctx, { patientId }));

  const eventsAfter = await s.db.selectFrom('audit.events').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow();
  assert.equal(eventsAfter.n, eventsBefore.n, 'and no event was written either');

  // The same changes go through once the audit trail accepts events again.
  const renamed = await updatePerson(s, ctx, doc.id, { displayName: 'Renamed' });
  assert.equal(renamed.displayName, 'Renamed');
});

test('changes lent one transaction (as the demo seed does) commit or roll back together, events included', async () => {
  const s = testStore();
  await assert.rejects(
    s.tx(async (trx) => {
      const run = withinTransaction(trx);
      const org = await createOrganization(run, ctx, { name: 'Half Made Health' });
      await createFacility(run, ctx, { organizationId: org.id, code: 'HALF', name: 'Half' });
      throw new Error('stop half way');
    }),
    /stop half way/,
  );
  assert.equal(await s.db.selectFrom('facilities').select('id').where('code', '=', 'HALF').executeTakeFirst(), undefined);
  const events = await s.db.selectFrom('audit.events').select('id').where('action', 'in', ['directory.organization.create', 'directory.facility.create']).where('request_id', '=', 'req-audit-1').execute();
  assert.equal(events.length, 2, 'only the first test’s organization and facility events exist');
});
