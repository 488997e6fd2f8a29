import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { PersonSubject } from '../../controls/access/subject.ts';
import { NotFoundError } from '../../errors.ts';
import { useTestStore } from '../../../test/support/test-db.ts';
import {
  addCareTeamMember,
  createCareTeam,
  createDepartment,
  createFacility,
  createOrganization,
  createPerson,
  DirectoryConflictError,
  DirectoryRuleError,
  getPerson,
  InvalidCursorError,
  listCareTeams,
  listPeople,
  removeCareTeamMember,
  setPersonRoles,
  updateCareTeam,
  updatePerson,
  type DirectoryContext,
} from './index.ts';

const testStore = useTestStore();

const admin: PersonSubject = {
  kind: 'person',
  id: uuidv7(),
  username: 'test.admin',
  displayName: 'Test Admin',
  roles: ['security-admin'],
  organizationId: uuidv7(),
  facilityIds: [],
  sessionId: uuidv7(),
  sessionKind: 'api',
  mfaAt: new Date(),
};
const ctx: DirectoryContext = { subject: admin, facts: { requestId: 'req-people-1', clientIp: '127.0.0.1', userAgent: 'test', purposeOfUse: 'TREAT' } };

let org = '';
let otherOrg = '';
let north = '';
let south = '';
let elsewhere = '';

// Node 20 does not wait for one top-level `before` (the store's) before starting the next, so the shared places are
// made on first use instead.
let made: Promise<void> | undefined;
function places(): Promise<void> {
  made ??= (async () => {
    const s = testStore();
    org = (await createOrganization(s, ctx, { name: 'Test Health' })).id;
    otherOrg = (await createOrganization(s, ctx, { name: 'Other Health' })).id;
    north = (await createFacility(s, ctx, { organizationId: org, code: 'TN', name: 'Test North' })).id;
    south = (await createFacility(s, ctx, { organizationId: org, code: 'TS', name: 'Test South' })).id;
    elsewhere = (await createFacility(s, ctx, { organizationId: otherOrg, code: 'OX', name: 'Other X' })).id;
  })();
  return made;
}
beforeEach(() => places());

const person = (username: string, roles: string[], facilityIds: string[] = [north]) =>
  createPerson(testStore(), ctx, { username, displayName: `Someone ${username}`, organizationId: org, roles, facilityIds });

async function auditOf(resourceId: string) {
  return testStore().db.selectFrom('audit.events').selectAll().where(sql<boolean>`${resourceId} = any(resource_ids)`).orderBy('recorded_at').execute();
}

test('a person is created with roles and facilities, audited, and answered without any credential column', async () => {
  const p = await person('Pat.Morgan ', ['nurse', 'physician', 'nurse'], [north, south]);
  assert.equal(p.username, 'pat.morgan', 'usernames are stored lower-case and trimmed');
  assert.deepEqual(p.roles, ['nurse', 'physician']);
  assert.deepEqual([...p.facilityIds].sort(), [north, south].sort());
  assert.equal(p.passwordSet, false);
  assert.equal(p.totpEnrolled, false);
  for (const key of Object.keys(p)) assert.ok(!/hash|totp_|secret|wrapped/i.test(key), `${key} must not be answered`);

  const events = await auditOf(p.id);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.action, 'directory.person.create');
  assert.equal(events[0]!.action_code, 'C');
  assert.equal(events[0]!.actor_id, admin.id);
  assert.equal(events[0]!.request_id, 'req-people-1');
  const details = JSON.stringify(events[0]!.details);
  assert.ok(!details.includes('Someone'), 'the display name is not copied into the audit details');
  assert.deepEqual((events[0]!.details as { roles: string[] }).roles, ['nurse', 'physician']);
});

test('bad people are refused with a code that says which rule, without echoing the value', async () => {
  // Each case starts only when awaited: a rejection must never sit unhandled while an earlier one is checked.
  const cases: [() => Promise<unknown>, string][] = [
    [() => person('x', ['nurse']), 'invalid-username'],
    [() => person('has space', ['nurse']), 'invalid-username'],
    [() => person('ok.name', ['surgeon']), 'unknown-role'],
    [() => person('ok.name', ['nurse'], [uuidv7()]), 'unknown-facility'],
    [() => person('ok.name', ['nurse'], [elsewhere]), 'facility-other-organization'],
    [() => createPerson(testStore(), ctx, { username: 'ok.name', displayName: '   ', organizationId: org, roles: [], facilityIds: [] }), 'invalid-name'],
    [() => createPerson(testStore(), ctx, { username: 'ok.name', displayName: 'Ok', organizationId: uuidv7(), roles: [], facilityIds: [] }), 'unknown-organization'],
  ];
  for (const [promise, code] of cases) {
    await assert.rejects(promise(), (err: unknown) => {
      assert.ok(err instanceof DirectoryRuleError, `${code}: ${String(err)}`);
      assert.equal(err.code, code);
      assert.equal(err.status, 422);
      assert.ok(!err.message.includes('surgeon') && !err.message.includes('has space'));
      return true;
    });
  }
  assert.equal((await listPeople(testStore().db, { q: 'ok.name' })).items.length, 0, 'nothing was written');
});

test('a taken username is a 409, whatever its case', async () => {
  await person('lee.chen', ['nurse']);
  await assert.rejects(person('LEE.CHEN', ['physician']), (err: unknown) => err instanceof DirectoryConflictError && err.code === 'username-taken');
});

test('roles are replaced as a set; removing one ends the person’s open sessions', async () => {
  const p = await person('ray.stone', ['nurse']);
  const sessionId = uuidv7();
  await testStore()
    .db.insertInto('sessions')
    .values({ id: sessionId, person_id: p.id, kind: 'api', absolute_expires_at: new Date(Date.now() + 3_600_000), mfa_at: null, csrf_token_hash: null, client_ip: null, user_agent: null, revoked_at: null, revoked_reason: null })
    .execute();

  const added = await setPersonRoles(testStore(), ctx, p.id, ['nurse', 'behavioral-health']);
  assert.deepEqual(added.roles, ['behavioral-health', 'nurse']);
  let session = await testStore().db.selectFrom('sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
  assert.equal(session.revoked_at, null, 'adding a role leaves sessions alone');

  const removed = await setPersonRoles(testStore(), ctx, p.id, ['behavioral-health']);
  assert.deepEqual(removed.roles, ['behavioral-health']);
  session = await testStore().db.selectFrom('sessions').select('revoked_at').where('id', '=', sessionId).executeTakeFirstOrThrow();
  assert.ok(session.revoked_at instanceof Date, 'removing a role revokes the session');

  const events = (await auditOf(p.id)).filter((e) => e.action === 'directory.person.roles');
  assert.equal(events.length, 2);
  assert.deepEqual(events[1]!.details, { fields: ['roles'], added: [], removed: ['nurse'], sessionsRevoked: 1 });

  const same = await setPersonRoles(testStore(), ctx, p.id, ['behavioral-health']);
  assert.deepEqual(same.roles, ['behavioral-health']);
  assert.equal((await auditOf(p.id)).filter((e) => e.action === 'directory.person.roles').length, 2, 'no change, no event');
  await assert.rejects(setPersonRoles(testStore(), ctx, uuidv7(), ['nurse']), NotFoundError);
});

test('the last active security admin cannot be disabled or lose the role', async () => {
  const only = await person('sec.one', ['security-admin']);
  await assert.rejects(updatePerson(testStore(), ctx, only.id, { status: 'disabled' }), (err: unknown) => err instanceof DirectoryConflictError && err.code === 'last-security-admin');
  await assert.rejects(setPersonRoles(testStore(), ctx, only.id, ['nurse']), (err: unknown) => err instanceof DirectoryConflictError && err.code === 'last-security-admin');
  const second = await person('sec.two', ['security-admin']);
  const disabled = await updatePerson(testStore(), ctx, only.id, { status: 'disabled' });
  assert.equal(disabled.status, 'disabled');
  await assert.rejects(setPersonRoles(testStore(), ctx, second.id, []), (err: unknown) => err instanceof DirectoryConflictError && err.code === 'last-security-admin');
  const events = (await auditOf(only.id)).map((e) => [e.action, (e.details as { fields?: string[] }).fields]);
  assert.deepEqual(events.at(-1), ['directory.person.update', ['status']]);
});

test('a facility cannot be taken from a person who is still on a care team there', async () => {
  const p = await person('kim.lowe', ['nurse'], [north, south]);
  const team = await createCareTeam(testStore(), ctx, { name: 'Ward South', facilityId: south });
  await addCareTeamMember(testStore(), ctx, team.id, p.id);
  await assert.rejects(updatePerson(testStore(), ctx, p.id, { facilityIds: [north] }), (err: unknown) => err instanceof DirectoryConflictError && err.code === 'facility-in-use');
  await removeCareTeamMember(testStore(), ctx, team.id, p.id);
  const updated = await updatePerson(testStore(), ctx, p.id, { facilityIds: [north], displayName: 'Kim Lowe' });
  assert.deepEqual(updated.facilityIds, [north]);
  const last = (await auditOf(p.id)).filter((e) => e.action === 'directory.person.update').at(-1)!;
  assert.deepEqual(last.details, { fields: ['displayName', 'facilityIds'], facilitiesAdded: [], facilitiesRemoved: [south] });
});

test('care teams: department must be at the team’s facility, members must work there, adding twice is a no-op', async () => {
  const cardiology = await createDepartment(testStore(), ctx, { facilityId: north, name: 'Cardiology' });
  await assert.rejects(createCareTeam(testStore(), ctx, { name: 'Bad', facilityId: south, departmentId: cardiology.id }), (err: unknown) => err instanceof DirectoryRuleError && err.code === 'department-other-facility');
  const team = await createCareTeam(testStore(), ctx, { name: 'Heart Team', facilityId: north, departmentId: cardiology.id });
  const northNurse = await person('ida.north', ['nurse'], [north]);
  const southNurse = await person('ida.south', ['nurse'], [south]);

  const first = await addCareTeamMember(testStore(), ctx, team.id, northNurse.id);
  assert.equal(first.added, true);
  assert.deepEqual(first.team.members.map((m) => [m.username, m.roles]), [['ida.north', ['nurse']]]);
  const again = await addCareTeamMember(testStore(), ctx, team.id, northNurse.id);
  assert.equal(again.added, false);
  assert.equal((await auditOf(team.id)).filter((e) => e.action === 'directory.care-team.member.add').length, 1);

  await assert.rejects(addCareTeamMember(testStore(), ctx, team.id, southNurse.id), (err: unknown) => err instanceof DirectoryRuleError && err.code === 'member-facility-mismatch');
  await assert.rejects(addCareTeamMember(testStore(), ctx, team.id, uuidv7()), NotFoundError);
  await assert.rejects(addCareTeamMember(testStore(), ctx, uuidv7(), northNurse.id), NotFoundError);
  await assert.rejects(removeCareTeamMember(testStore(), ctx, team.id, southNurse.id), NotFoundError);

  const renamed = await updateCareTeam(testStore(), ctx, team.id, { name: 'Heart Team North', departmentId: null });
  assert.equal(renamed.departmentId, null);
  const mine = await listCareTeams(testStore().db, { memberId: northNurse.id });
  assert.deepEqual(mine.items.map((t) => t.id), [team.id]);
});

test('lists page by cursor without gaps or repeats, and filters by role, facility and name prefix', async () => {
  for (let i = 0; i < 7; i++) await person(`page.${i}`, ['billing-specialist'], [south]);
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await listPeople(testStore().db, { role: 'billing-specialist' }, { limit: 3, ...(cursor ? { cursor } : {}) });
    seen.push(...page.items.map((p) => p.username));
    cursor = page.nextCursor ?? undefined;
    pages++;
  } while (cursor);
  assert.equal(pages, 3);
  assert.deepEqual(seen, ['page.0', 'page.1', 'page.2', 'page.3', 'page.4', 'page.5', 'page.6']);

  const atSouth = await listPeople(testStore().db, { facilityId: south, q: 'PAGE.' }, { limit: 200 });
  assert.equal(atSouth.items.length, 7);
  const wildcard = await listPeople(testStore().db, { q: 'page_' });
  assert.equal(wildcard.items.length, 0, 'LIKE wildcards in the search are literal');

  await assert.rejects(listPeople(testStore().db, {}, { cursor: 'not-a-cursor' }), InvalidCursorError);
  await assert.rejects(listPeople(testStore().db, {}, { cursor: Buffer.from('v1:robert; drop table').toString('base64url') }), InvalidCursorError);
  const p = await getPerson(testStore().db, (await listPeople(testStore().db, { q: 'page.0' })).items[0]!.id);
  assert.equal(p.username, 'page.0');
});
