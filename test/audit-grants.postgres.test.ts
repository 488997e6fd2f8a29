import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { recordAudit } from '../src/controls/audit/audit-event.ts';
import { sealPending } from '../src/controls/audit/sealer.ts';
import { formatProblem, verifyLive } from '../src/controls/audit/verify.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { AUDIT_PATIENT, CLINICIAN, FACTS, SEAL, testSigningKeys, writeEvents } from './support/audit-fixtures.ts';
import { CANARY_PATIENT } from './support/canaries.ts';
import { createTestDatabase, type TestDatabase } from './support/test-db.ts';

/**
 * The application connects as a member of vigil_app. On the audit tables that role may INSERT and SELECT (and DELETE
 * pending rows, which the sealer consumes), never UPDATE, DELETE or TRUNCATE: the database itself keeps the trail
 * append-only, whatever the application's code does.
 */
let db: TestDatabase;
let owner: Store;
let app: Store;
const role = `vigil_t_app_${randomBytes(4).toString('hex')}`;

before(async () => {
  db = await createTestDatabase();
  owner = await db.open();
  await sql.raw(`CREATE ROLE ${role} LOGIN IN ROLE vigil_app`).execute(owner.db);
  const url = new URL(db.databaseUrl!);
  url.username = role;
  url.password = '';
  app = await openStore({ databaseUrl: url.toString(), poolSize: 2 });
});

after(async () => {
  await app?.close();
  await owner?.close();
  await db?.dispose();
  const admin = await openStore({ databaseUrl: process.env.DATABASE_URL, poolSize: 1 });
  await sql.raw(`DROP ROLE IF EXISTS ${role}`).execute(admin.db);
  await admin.close();
});

async function refused(statement: string): Promise<void> {
  await assert.rejects(sql.raw(statement).execute(app.db), (err: unknown) => (err as { code?: string }).code === '42501', statement);
}

test('the application role may insert and read audit events, and the sealer runs under it', async () => {
  const who = await sql<{ current_user: string }>`select current_user`.execute(app.db);
  assert.equal(who.rows[0]!.current_user, role);
  const [id] = await writeEvents(app, 3);
  const row = await app.db.selectFrom('audit.events').select('id').where('id', '=', id!).executeTakeFirst();
  assert.equal(row?.id, id);
  const result = await sealPending(app, testSigningKeys(), SEAL);
  assert.equal(result.sealed, 3);
  const report = await verifyLive(app);
  assert.equal(report.ok, true, report.problems.map(formatProblem).join('; '));
});

test('the application role cannot UPDATE, DELETE or TRUNCATE the audit trail', async () => {
  await refused(`UPDATE audit.events SET outcome = 'denied'`);
  await refused('DELETE FROM audit.events');
  await refused('TRUNCATE audit.events');
  for (const table of ['audit.seals', 'audit.seal_batches', 'audit.checkpoints']) {
    await refused(`UPDATE ${table} SET chain_hash = chain_hash`);
    await refused(`DELETE FROM ${table}`);
    await refused(`TRUNCATE ${table}`);
  }
  await refused('TRUNCATE audit.pending');
  await refused(`UPDATE audit.pending SET recorded_at = now()`);
  const rows = await owner.db.selectFrom('audit.events').select('id').execute();
  assert.equal(rows.length, 3, 'nothing was removed');
});

test('no audit, no data: with INSERT on audit.events revoked, a read that records its event fails and returns nothing', async () => {
  await owner.db
    .insertInto('patients')
    .values({ id: AUDIT_PATIENT, family_name: CANARY_PATIENT.family, given_names: CANARY_PATIENT.given, birth_date: CANARY_PATIENT.birthDate, sex: 'female', phone: null, address_line: null, address_city: null, address_postal_code: null, payer_name: null, payer_member_id: null, managing_facility_id: null })
    .execute();
  const readChart = () =>
    app.tx(async (trx) => {
      const patient = await trx.selectFrom('patients').select(['id', 'family_name']).where('id', '=', AUDIT_PATIENT).executeTakeFirstOrThrow();
      await recordAudit(trx, CLINICIAN, FACTS, { action: 'patient.read', actionCode: 'R', resourceType: 'Patient', resourceIds: [AUDIT_PATIENT], patientId: AUDIT_PATIENT, outcome: 'success' });
      return patient;
    });
  const before = (await owner.db.selectFrom('audit.events').select('id').execute()).length;
  await sql`REVOKE INSERT ON audit.events FROM vigil_app`.execute(owner.db);
  try {
    let answer: unknown;
    await assert.rejects(
      (async () => {
        answer = await readChart();
      })(),
      (err: unknown) => (err as { code?: string }).code === '42501',
    );
    assert.equal(answer, undefined, 'the data never reached the caller');
    assert.equal((await owner.db.selectFrom('audit.events').select('id').execute()).length, before);
    assert.equal((await owner.db.selectFrom('audit.pending').select('event_id').execute()).length, 0);
  } finally {
    await sql`GRANT INSERT ON audit.events TO vigil_app`.execute(owner.db);
  }
  assert.equal((await readChart()).family_name, CANARY_PATIENT.family, 'with the grant back, the same read answers');
});
