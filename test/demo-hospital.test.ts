import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generate } from 'otplib';
import { checkTotp } from '../src/controls/access/auth/totp.ts';
import { verifyPassword } from '../src/controls/access/auth/passwords.ts';
import { ROLES } from '../src/controls/access/policy.ts';
import { SYSTEM_FACTS } from '../src/controls/audit/audit-event.ts';
import { LocalKeyring } from '../src/controls/keys/keyring.ts';
import { endCoverage } from '../src/core/directory/index.ts';
import { DEMO, DEMO_CREDENTIALS_FILE, DemoInProductionError, MRN_SYSTEM, readDemoCredentials, seedDemoHospital, type DemoCredential } from '../src/demo/demo-hospital.ts';
import { createLogger } from '../src/observability/logger.ts';
import type { Store } from '../src/store/store.ts';
import { tempDir, useTestStore } from './support/test-db.ts';

const testStore = useTestStore();
const keyring = LocalKeyring.single(randomBytes(32));
const dataDir = tempDir('vigil-demo-');
after(() => rmSync(dataDir, { recursive: true, force: true }));

const TABLES = [
  'organizations',
  'facilities',
  'departments',
  'people',
  'person_roles',
  'person_facilities',
  'care_teams',
  'care_team_members',
  'patients',
  'patient_identifiers',
  'patient_assignments',
  'coverage',
  'encounters',
  'audit.events',
] as const;

async function snapshot(store: Store): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of TABLES) {
    const row = await store.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  out.credentials = await store.db.selectFrom('people').select(['id', 'password_hash', 'totp_secret_wrapped']).orderBy('id').execute();
  out.coverage = await store.db.selectFrom('coverage').selectAll().orderBy('id').execute();
  return out;
}

/** Everything one seed writes to stdout, stderr and a logger, with the logger lines also returned. */
async function capturing<T>(fn: (logger: ReturnType<typeof createLogger>) => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void chunks.push(line) } });
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  const tap =
    (original: typeof stdout) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    };
  process.stdout.write = tap(stdout) as typeof process.stdout.write;
  process.stderr.write = tap(stderr) as typeof process.stderr.write;
  try {
    const result = await fn(logger);
    await logger.flush();
    return { result, output: chunks.join('') };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
}

test('production refuses the demo hospital before writing anything', async () => {
  const dir = tempDir('vigil-demo-prod-');
  await assert.rejects(seedDemoHospital(testStore(), keyring, { dataDir: dir, production: true }), (err: unknown) => err instanceof DemoInProductionError && err.code === 'demo-in-production');
  assert.equal(existsSync(join(dir, DEMO_CREDENTIALS_FILE)), false);
  const org = await testStore().db.selectFrom('organizations').select('id').where('id', '=', DEMO.organization).executeTakeFirst();
  assert.equal(org, undefined, 'no demo row was written');
  rmSync(dir, { recursive: true, force: true });
});

let first: DemoCredential[] = [];

test('the first seed builds the hospital and writes a 0600 credentials file with every role; no secret reaches a log', async () => {
  const { result, output } = await capturing((logger) => seedDemoHospital(testStore(), keyring, { dataDir, production: false, logger }));
  assert.equal(result.created, true);
  assert.equal(result.credentialsReissued, false);
  assert.equal(result.credentialsFile, join(dataDir, DEMO_CREDENTIALS_FILE));
  assert.equal(statSync(result.credentialsFile).mode & 0o777, 0o600);

  first = readDemoCredentials(dataDir)!;
  assert.equal(first.length, Object.keys(DEMO.people).length);
  const roles = new Set(first.flatMap((c) => c.roles));
  for (const role of ROLES) assert.ok(roles.has(role), `some demo account holds ${role}`);
  for (const c of first) {
    assert.ok(c.password.length >= 16, 'passwords are long');
    assert.match(c.totpSecret, /^[A-Z2-7]{16,}$/, 'TOTP secrets are base32');
    assert.ok(c.displayName.length > 0 && c.facilities.length > 0);
    assert.ok(c.facilities.every((f) => f === 'NORTH' || f === 'SOUTH'));
    assert.match(c.username, /^[a-z]+\.[a-z]+$/);
  }
  assert.equal(new Set(first.map((c) => c.password)).size, first.length, 'every account has its own password');

  for (const c of first) {
    assert.ok(!output.includes(c.password), 'a password reached the output');
    assert.ok(!output.includes(c.totpSecret), 'a TOTP secret reached the output');
  }
  assert.match(output, /demo\.seeded/, 'the logger was used, so the check above looked at real lines');
  const events = JSON.stringify(await testStore().db.selectFrom('audit.events').selectAll().execute());
  for (const c of first) assert.ok(!events.includes(c.password) && !events.includes(c.totpSecret), 'a secret reached the audit trail');
});

test('the credentials in the file sign in: the password verifies and a code from the TOTP secret is accepted', async () => {
  const admin = first.find((c) => c.username === DEMO.people.securityAdmin.username)!;
  const nurse = first.find((c) => c.username === DEMO.people.cardiologyNurse.username)!;
  for (const [c, personId] of [[admin, DEMO.people.securityAdmin.id], [nurse, DEMO.people.cardiologyNurse.id]] as const) {
    const row = await testStore().db.selectFrom('people').select('password_hash').where('id', '=', personId).executeTakeFirstOrThrow();
    assert.equal(await verifyPassword(row.password_hash, c.password), true);
    assert.equal(await verifyPassword(row.password_hash, `${c.password}x`), false);
    const code = await generate({ secret: c.totpSecret });
    assert.deepEqual((await checkTotp(testStore().db, keyring, personId, code)).ok, true);
  }
});

test('the hospital has what the access rules need: both campuses, labels, coverage now and in the past, encounters in every state', async () => {
  const db = testStore().db;
  const patients = await db.selectFrom('patients').select(['id', 'security_labels', 'managing_facility_id', 'family_name']).where('id', 'in', Object.values(DEMO.patients).map((p) => p.id)).execute();
  assert.ok(patients.length >= 12);
  assert.ok(patients.every((p) => p.family_name?.endsWith('-Demo')), 'demo patients are recognisably synthetic');
  const labels = patients.flatMap((p) => p.security_labels);
  for (const label of ['PSY', 'SUD', 'HIV', 'REPRO']) assert.ok(labels.includes(label), label);
  assert.deepEqual(new Set(patients.map((p) => p.managing_facility_id)), new Set([DEMO.facilities.north, DEMO.facilities.south]));

  const ids = await db.selectFrom('patient_identifiers').select(['patient_id', 'system']).execute();
  for (const p of patients) assert.ok(ids.some((i) => i.patient_id === p.id && i.system === MRN_SYSTEM), 'every patient has an MRN');
  assert.ok(new Set(ids.map((i) => i.system)).size >= 2, 'some patients carry a second authority');

  const now = new Date();
  const active = await db.selectFrom('coverage').selectAll().where('id', '=', DEMO.coverage.active).executeTakeFirstOrThrow();
  assert.ok(active.starts_at <= now && active.ends_at > now, 'one coverage window is open now');
  assert.equal(active.covering_person_id, DEMO.people.coveringNow.id);
  const ended = await db.selectFrom('coverage').selectAll().where('id', '=', DEMO.coverage.ended).executeTakeFirstOrThrow();
  assert.ok(ended.ends_at <= now, 'one has ended');

  const statuses = (await db.selectFrom('encounters').select('status').execute()).map((e) => e.status);
  for (const s of ['active', 'finished', 'planned']) assert.ok(statuses.includes(s as 'active'), s);
  assert.equal(statuses.filter((s) => s === 'planned').length, 1);

  const teams = await db.selectFrom('care_team_members').select(['team_id']).execute();
  for (const team of Object.values(DEMO.careTeams)) assert.ok(teams.some((m) => m.team_id === team), 'every team has members');
  const assignments = await db.selectFrom('patient_assignments').select(['team_id', 'person_id']).execute();
  assert.ok(assignments.some((a) => a.person_id !== null) && assignments.some((a) => a.team_id !== null), 'assigned to teams and to persons');
});

test('seeding twice changes nothing: same rows, same credentials, same file', async () => {
  const before = await snapshot(testStore());
  const fileBefore = readFileSync(join(dataDir, DEMO_CREDENTIALS_FILE), 'utf8');
  const again = await seedDemoHospital(testStore(), keyring, { dataDir, production: false });
  assert.deepEqual({ created: again.created, credentialsReissued: again.credentialsReissued, coverageRenewed: again.coverageRenewed }, { created: false, credentialsReissued: false, coverageRenewed: false });
  assert.deepEqual(await snapshot(testStore()), before);
  assert.equal(readFileSync(join(dataDir, DEMO_CREDENTIALS_FILE), 'utf8'), fileBefore);
});

test('a seeded database without the credentials file (another data folder) gets new credentials, and the old ones stop working', async () => {
  const otherDir = tempDir('vigil-demo-other-');
  try {
    const result = await seedDemoHospital(testStore(), keyring, { dataDir: otherDir, production: false });
    assert.equal(result.created, false);
    assert.equal(result.credentialsReissued, true);
    assert.equal(statSync(result.credentialsFile).mode & 0o777, 0o600);
    const fresh = readDemoCredentials(otherDir)!;
    assert.deepEqual(fresh.map((c) => c.username).sort(), first.map((c) => c.username).sort());
    const admin = fresh.find((c) => c.username === DEMO.people.securityAdmin.username)!;
    const old = first.find((c) => c.username === DEMO.people.securityAdmin.username)!;
    assert.notEqual(admin.password, old.password);
    const row = await testStore().db.selectFrom('people').select('password_hash').where('id', '=', DEMO.people.securityAdmin.id).executeTakeFirstOrThrow();
    assert.equal(await verifyPassword(row.password_hash, admin.password), true);
    assert.equal(await verifyPassword(row.password_hash, old.password), false);
    const reissue = await testStore().db.selectFrom('audit.events').select(['action', 'resource_ids']).where('action', '=', 'demo.credentials.reissue').execute();
    assert.equal(reissue.length, 1);
    assert.equal(reissue[0]!.resource_ids.length, fresh.length);
  } finally {
    rmSync(otherDir, { recursive: true, force: true });
  }
});

test('a later start whose coverage window has run out opens a fresh one, so the demo keeps a covering clinician', async () => {
  await endCoverage(testStore(), { subject: null, facts: SYSTEM_FACTS }, DEMO.coverage.active);
  const result = await seedDemoHospital(testStore(), keyring, { dataDir, production: false });
  assert.equal(result.coverageRenewed, true);
  const now = new Date();
  const open = await testStore()
    .db.selectFrom('coverage')
    .selectAll()
    .where('covering_person_id', '=', DEMO.people.coveringNow.id)
    .where('starts_at', '<=', now)
    .where('ends_at', '>', now)
    .execute();
  assert.equal(open.length, 1);
  const once = await seedDemoHospital(testStore(), keyring, { dataDir, production: false });
  assert.equal(once.coverageRenewed, false, 'and only once');
});
