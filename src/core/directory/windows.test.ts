import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { v7 as uuidv7 } from 'uuid';
import { NotFoundError } from '../../errors.ts';
import { useTestStore } from '../../../test/support/test-db.ts';
import {
  canTransition,
  checkCoverageWindow,
  coverageState,
  createAssignment,
  createCareTeam,
  createCoverage,
  createEncounter,
  createFacility,
  createOrganization,
  createPerson,
  deleteCoverage,
  DirectoryConflictError,
  DirectoryRuleError,
  endAssignment,
  endCoverage,
  getCoverage,
  getEncounter,
  listAssignments,
  listCoverage,
  listEncounters,
  MAX_COVERAGE_DAYS,
  updateEncounter,
  type DirectoryContext,
} from './index.ts';

/** Coverage windows, patient assignments and encounters: the time-bounded facts access decisions depend on. */
const testStore = useTestStore();
const ctx: DirectoryContext = { subject: null, facts: { requestId: 'req-windows-1', clientIp: null, userAgent: null, purposeOfUse: 'TREAT' } };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs);

const ids = { org: '', north: '', physician: '', physician2: '', nurse: '', covering: '', billing: '', team: '' };

let made: Promise<void> | undefined;
function directory(): Promise<void> {
  made ??= (async () => {
    const s = testStore();
    ids.org = (await createOrganization(s, ctx, { name: 'Window Health' })).id;
    ids.north = (await createFacility(s, ctx, { organizationId: ids.org, code: 'WN', name: 'Window North' })).id;
    const person = async (username: string, roles: string[]) => (await createPerson(s, ctx, { username, displayName: username, organizationId: ids.org, roles, facilityIds: [ids.north] })).id;
    ids.physician = await person('doc.one', ['physician']);
    ids.physician2 = await person('doc.two', ['physician']);
    ids.nurse = await person('nurse.one', ['nurse']);
    ids.covering = await person('cover.one', ['covering-clinician']);
    ids.billing = await person('bill.one', ['billing-specialist']);
    ids.team = (await createCareTeam(s, ctx, { name: 'Ward 1', facilityId: ids.north })).id;
  })();
  return made;
}
beforeEach(() => directory());

async function patient(): Promise<string> {
  const id = uuidv7();
  await testStore().db.insertInto('patients').values({ id, family_name: null, given_names: null, birth_date: null, sex: null, phone: null, address_line: null, address_city: null, address_postal_code: null, payer_name: null, payer_member_id: null, managing_facility_id: ids.north }).execute();
  return id;
}

const rule = (code: string) => (err: unknown) => err instanceof DirectoryRuleError && err.code === code && err.status === 422;
const conflict = (code: string) => (err: unknown) => err instanceof DirectoryConflictError && err.code === code && err.status === 409;

// ── coverage ───────────────────────────────────────────────────────────────────────────────────────────────────────

test('a coverage window must end after it starts, be bounded, and be between two different people', () => {
  const base = { coveringPersonId: 'a', coveredPersonId: 'b', startsAt: at(0), endsAt: at(HOUR) };
  assert.doesNotThrow(() => checkCoverageWindow(base));
  assert.throws(() => checkCoverageWindow({ ...base, endsAt: base.startsAt }), rule('coverage-window-invalid'));
  assert.throws(() => checkCoverageWindow({ ...base, endsAt: at(-HOUR) }), rule('coverage-window-invalid'));
  assert.throws(() => checkCoverageWindow({ ...base, endsAt: new Date('nonsense') }), rule('coverage-window-invalid'));
  assert.throws(() => checkCoverageWindow({ ...base, endsAt: at(MAX_COVERAGE_DAYS * DAY + HOUR) }), rule('coverage-too-long'));
  assert.throws(() => checkCoverageWindow({ ...base, coveredPersonId: 'a' }), rule('coverage-self'));
});

test('a window is upcoming before it starts, active inside it, and ended from its end on (the end is exclusive)', () => {
  const start = new Date('2030-01-01T08:00:00Z');
  const end = new Date('2030-01-01T16:00:00Z');
  assert.equal(coverageState(start, end, new Date('2030-01-01T07:59:59.999Z')), 'upcoming');
  assert.equal(coverageState(start, end, start), 'active');
  assert.equal(coverageState(start, end, new Date('2030-01-01T15:59:59.999Z')), 'active');
  assert.equal(coverageState(start, end, end), 'ended');
});

test('coverage is refused for a non-clinical covering person, a covered person without patients of their own, a stranger or an overlap', async () => {
  const s = testStore();
  const window = { startsAt: at(-HOUR), endsAt: at(8 * HOUR) };
  await assert.rejects(createCoverage(s, ctx, { coveringPersonId: ids.billing, coveredPersonId: ids.physician, ...window }), rule('coverage-role'));
  await assert.rejects(createCoverage(s, ctx, { coveringPersonId: ids.covering, coveredPersonId: ids.billing, ...window }), rule('coverage-role'));
  await assert.rejects(createCoverage(s, ctx, { coveringPersonId: uuidv7(), coveredPersonId: ids.physician, ...window }), rule('unknown-person'));
  await assert.rejects(createCoverage(s, ctx, { coveringPersonId: ids.physician, coveredPersonId: ids.physician, ...window }), rule('coverage-self'));

  const created = await createCoverage(s, ctx, { coveringPersonId: ids.covering, coveredPersonId: ids.physician, ...window });
  assert.equal(created.state, 'active');
  await assert.rejects(createCoverage(s, ctx, { coveringPersonId: ids.covering, coveredPersonId: ids.physician, startsAt: at(7 * HOUR), endsAt: at(10 * HOUR) }), conflict('coverage-overlaps'));
  const back = await createCoverage(s, ctx, { coveringPersonId: ids.covering, coveredPersonId: ids.physician, startsAt: at(8 * HOUR), endsAt: at(12 * HOUR) });
  assert.equal(back.state, 'upcoming', 'a window may start exactly where the last one ends');

  const active = await listCoverage(s.db, { personId: ids.covering, state: 'active' });
  assert.deepEqual(active.items.map((c) => c.id), [created.id]);
  const audit = await s.db.selectFrom('audit.events').select(['action', 'resource_ids']).where('action', '=', 'directory.coverage.create').execute();
  assert.ok(audit.some((e) => e.resource_ids[0] === created.id && e.resource_ids.includes(ids.covering) && e.resource_ids.includes(ids.physician)));
});

test('a window can be cut short but not extended or ended twice; only one that never started can be deleted', async () => {
  const s = testStore();
  const open = await createCoverage(s, ctx, { coveringPersonId: ids.covering, coveredPersonId: ids.physician2, startsAt: at(-2 * HOUR), endsAt: at(6 * HOUR) });
  await assert.rejects(endCoverage(s, ctx, open.id, { endsAt: at(7 * HOUR) }), rule('coverage-extend'));
  await assert.rejects(endCoverage(s, ctx, open.id, { endsAt: at(-3 * HOUR) }), conflict('coverage-not-started'));
  await assert.rejects(deleteCoverage(s, ctx, open.id), conflict('coverage-started'));
  const ended = await endCoverage(s, ctx, open.id);
  assert.equal(ended.state, 'ended');
  assert.ok(new Date(ended.endsAt) <= new Date());
  await assert.rejects(endCoverage(s, ctx, open.id), conflict('coverage-ended'));

  const later = await createCoverage(s, ctx, { coveringPersonId: ids.nurse, coveredPersonId: ids.physician2, startsAt: at(DAY), endsAt: at(DAY + 8 * HOUR) });
  await assert.rejects(endCoverage(s, ctx, later.id), conflict('coverage-not-started'));
  await deleteCoverage(s, ctx, later.id);
  await assert.rejects(getCoverage(s.db, later.id), NotFoundError);
  const deleted = await s.db.selectFrom('audit.events').select(['action_code']).where('action', '=', 'directory.coverage.delete').execute();
  assert.deepEqual(deleted.map((e) => e.action_code), ['D']);
  await assert.rejects(deleteCoverage(s, ctx, uuidv7()), NotFoundError);
});

// ── assignments ────────────────────────────────────────────────────────────────────────────────────────────────────

test('a patient is assigned to exactly one team or one clinician, never twice for the same period', async () => {
  const s = testStore();
  const p = await patient();
  await assert.rejects(createAssignment(s, ctx, { patientId: p }), rule('assignment-target'));
  await assert.rejects(createAssignment(s, ctx, { patientId: p, teamId: ids.team, personId: ids.physician }), rule('assignment-target'));
  await assert.rejects(createAssignment(s, ctx, { patientId: uuidv7(), teamId: ids.team }), rule('unknown-patient'));
  await assert.rejects(createAssignment(s, ctx, { patientId: p, teamId: uuidv7() }), rule('unknown-care-team'));
  await assert.rejects(createAssignment(s, ctx, { patientId: p, personId: ids.billing }), rule('assignment-role'));
  await assert.rejects(createAssignment(s, ctx, { patientId: p, teamId: ids.team, startsAt: at(0), endsAt: at(-HOUR) }), rule('assignment-window-invalid'));

  const a = await createAssignment(s, ctx, { patientId: p, teamId: ids.team });
  assert.equal(a.active, true);
  assert.equal(a.endsAt, null);
  await assert.rejects(createAssignment(s, ctx, { patientId: p, teamId: ids.team, startsAt: at(DAY) }), conflict('assignment-exists'));
  const direct = await createAssignment(s, ctx, { patientId: p, personId: ids.physician, startsAt: at(DAY), endsAt: at(2 * DAY) });
  assert.equal(direct.active, false, 'a future assignment is not in force yet');

  const event = await s.db.selectFrom('audit.events').selectAll().where('action', '=', 'directory.assignment.create').where('patient_id', '=', p).orderBy('recorded_at').executeTakeFirstOrThrow();
  assert.equal(event.facility_id, ids.north, 'a team assignment is audited at the team’s facility');
});

test('ending an assignment takes effect at once, cannot be undone, and reads of assignments are audited with the patient', async () => {
  const s = testStore();
  const p = await patient();
  const a = await createAssignment(s, ctx, { patientId: p, teamId: ids.team, startsAt: at(-DAY) });
  await assert.rejects(endAssignment(s, ctx, a.id, { endsAt: at(-2 * DAY) }), rule('assignment-window-invalid'));
  const ended = await endAssignment(s, ctx, a.id);
  assert.equal(ended.active, false);
  await assert.rejects(endAssignment(s, ctx, a.id), conflict('assignment-ended'));
  await assert.rejects(endAssignment(s, ctx, uuidv7()), NotFoundError);

  const planned = await createAssignment(s, ctx, { patientId: p, personId: ids.nurse, startsAt: at(-HOUR), endsAt: at(DAY) });
  await assert.rejects(endAssignment(s, ctx, planned.id, { endsAt: at(2 * DAY) }), rule('assignment-extend'));

  const inForce = await listAssignments(s, ctx, { patientId: p, active: true });
  assert.deepEqual(inForce.items.map((x) => x.id), [planned.id]);
  const over = await listAssignments(s, ctx, { patientId: p, active: false });
  assert.deepEqual(over.items.map((x) => x.id), [a.id]);
  const reads = await s.db.selectFrom('audit.events').selectAll().where('action', '=', 'directory.assignment.read').where('patient_id', '=', p).execute();
  assert.equal(reads.length, 2);
  assert.deepEqual(reads[0]!.resource_ids, [planned.id]);
  assert.equal(reads[0]!.action_code, 'R');
});

// ── encounters ─────────────────────────────────────────────────────────────────────────────────────────────────────

test('encounter statuses move planned → active → finished, or planned → cancelled, and never back', () => {
  const allowed = [
    ['planned', 'active'],
    ['planned', 'cancelled'],
    ['active', 'finished'],
  ];
  const statuses = ['planned', 'active', 'finished', 'cancelled'] as const;
  for (const from of statuses) {
    for (const to of statuses) {
      const expected = from === to || allowed.some(([f, t]) => f === from && t === to);
      assert.equal(canTransition(from, to), expected, `${from} → ${to}`);
    }
  }
});

test('an encounter is stamped when it starts and when it finishes; a closed one cannot be changed', async () => {
  const s = testStore();
  const p = await patient();
  const planned = await createEncounter(s, ctx, { patientId: p, facilityId: ids.north, startsAt: at(DAY), class: 'outpatient' });
  assert.equal(planned.status, 'planned');
  const active = await updateEncounter(s, ctx, planned.id, { status: 'active' });
  assert.equal(active.status, 'active');
  assert.ok(Math.abs(new Date(active.startsAt!).getTime() - Date.now()) < 60_000, 'starting stamps now, not the planned time');
  await assert.rejects(updateEncounter(s, ctx, planned.id, { status: 'planned' }), conflict('encounter-transition-invalid'));
  await assert.rejects(updateEncounter(s, ctx, planned.id, { status: 'cancelled' }), conflict('encounter-transition-invalid'));
  await assert.rejects(updateEncounter(s, ctx, planned.id, { endsAt: at(HOUR) }), rule('encounter-window-invalid'));

  const finished = await updateEncounter(s, ctx, planned.id, { status: 'finished' });
  assert.equal(finished.status, 'finished');
  assert.ok(finished.endsAt && new Date(finished.endsAt) >= new Date(finished.startsAt!));
  await assert.rejects(updateEncounter(s, ctx, planned.id, { status: 'active' }), (err: unknown) => {
    assert.ok(conflict('encounter-transition-invalid')(err));
    assert.match((err as Error).message, /from finished it can go to: nothing/);
    return true;
  });
  await assert.rejects(updateEncounter(s, ctx, planned.id, { class: 'inpatient' }), conflict('encounter-closed'));

  const events = await s.db.selectFrom('audit.events').select(['action', 'details', 'patient_id']).where('action', '=', 'directory.encounter.update').where('patient_id', '=', p).orderBy('recorded_at').execute();
  assert.deepEqual(
    events.map((e) => e.details),
    [
      { fields: ['status', 'startsAt'], from: 'planned', to: 'active' },
      { fields: ['status', 'endsAt'], from: 'active', to: 'finished' },
    ],
  );
});

test('a planned encounter can be cancelled; creation checks status, class, times and references', async () => {
  const s = testStore();
  const p = await patient();
  const planned = await createEncounter(s, ctx, { patientId: p, facilityId: ids.north });
  const cancelled = await updateEncounter(s, ctx, planned.id, { status: 'cancelled' });
  assert.equal(cancelled.status, 'cancelled');
  await assert.rejects(updateEncounter(s, ctx, planned.id, { status: 'active' }), conflict('encounter-transition-invalid'));

  await assert.rejects(createEncounter(s, ctx, { patientId: p, facilityId: ids.north, status: 'cancelled' as 'planned' }), rule('encounter-status-invalid'));
  await assert.rejects(createEncounter(s, ctx, { patientId: p, facilityId: ids.north, class: 'spa-day' as 'inpatient' }), rule('invalid-encounter-class'));
  await assert.rejects(createEncounter(s, ctx, { patientId: p, facilityId: ids.north, status: 'finished', startsAt: at(-DAY) }), rule('encounter-window-invalid'));
  await assert.rejects(createEncounter(s, ctx, { patientId: p, facilityId: ids.north, status: 'finished', startsAt: at(-DAY), endsAt: at(-2 * DAY) }), rule('encounter-window-invalid'));
  await assert.rejects(createEncounter(s, ctx, { patientId: p, facilityId: ids.north, status: 'active', endsAt: at(DAY) }), rule('encounter-window-invalid'));
  await assert.rejects(createEncounter(s, ctx, { patientId: uuidv7(), facilityId: ids.north }), rule('unknown-patient'));
  await assert.rejects(createEncounter(s, ctx, { patientId: p, facilityId: uuidv7() }), rule('unknown-facility'));

  const record = await createEncounter(s, ctx, { patientId: p, facilityId: ids.north, status: 'finished', class: 'emergency', startsAt: at(-2 * DAY), endsAt: at(-DAY) });
  assert.equal(record.status, 'finished');
  const fetched = await getEncounter(s, ctx, record.id);
  assert.deepEqual(fetched, record);
  const list = await listEncounters(s, ctx, { patientId: p, status: 'finished' });
  assert.deepEqual(list.items.map((e) => e.id), [record.id]);
  const reads = await s.db.selectFrom('audit.events').select(['resource_ids', 'patient_id']).where('action', '=', 'directory.encounter.read').where('patient_id', '=', p).execute();
  assert.equal(reads.length, 2, 'a get and a list, each audited with the patient');
});
