import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { recordAudit } from '../src/controls/audit/audit-event.ts';
import type { Store } from '../src/store/store.ts';
import { AUDIT_PATIENT, CLINICIAN, FACTS } from './support/audit-fixtures.ts';
import { CANARY_PATIENT } from './support/canaries.ts';
import { useTestStore } from './support/test-db.ts';

/**
 * No audit, no data, on whichever engine the run uses: the read and its audit event share one transaction, so when
 * the event cannot be written the read fails and returns nothing. (On PostgreSQL the same is shown by revoking the
 * application role's INSERT grant: audit-grants.postgres.test.ts.)
 */
const testStore = useTestStore();

function readChart(store: Store) {
  return store.tx(async (trx) => {
    const patient = await trx.selectFrom('patients').select(['id', 'family_name', 'birth_date']).where('id', '=', AUDIT_PATIENT).executeTakeFirstOrThrow();
    await recordAudit(trx, CLINICIAN, FACTS, { action: 'patient.read', actionCode: 'R', resourceType: 'Patient', resourceIds: [AUDIT_PATIENT], patientId: AUDIT_PATIENT, outcome: 'success' });
    return patient;
  });
}

async function counts(store: Store) {
  const events = await store.db.selectFrom('audit.events').select('id').execute();
  const pending = await store.db.selectFrom('audit.pending').select('event_id').execute();
  return { events: events.length, pending: pending.length };
}

async function assertNoData(store: Store) {
  const before = await counts(store);
  let answer: unknown;
  await assert.rejects(
    (async () => {
      answer = await readChart(store);
    })(),
    (err: unknown) => {
      // The failure says the audit store refused, never what was read.
      assert.ok(!String((err as Error).message).includes(CANARY_PATIENT.family));
      return /audit store unavailable/.test(String((err as Error).message));
    },
  );
  assert.equal(answer, undefined, 'the data never reached the caller');
  assert.deepEqual(await counts(store), before, 'and nothing of the attempt was kept');
}

test('when the audit event cannot be written, the read fails and returns no data', async () => {
  const store = testStore();
  await store.db
    .insertInto('patients')
    .values({ id: AUDIT_PATIENT, family_name: CANARY_PATIENT.family, given_names: CANARY_PATIENT.given, birth_date: CANARY_PATIENT.birthDate, sex: 'female', phone: null, address_line: null, address_city: null, address_postal_code: null, payer_name: null, payer_member_id: null, managing_facility_id: null })
    .execute();
  assert.equal((await readChart(store)).family_name, CANARY_PATIENT.family, 'with the audit store working, the read answers');
  assert.deepEqual(await counts(store), { events: 1, pending: 1 });

  await sql`create function audit.refuse_for_test() returns trigger language plpgsql as $$ begin raise exception 'audit store unavailable'; end $$`.execute(store.db);
  for (const table of ['audit.events', 'audit.pending']) {
    // The event row, then the row that queues it for sealing: either one failing must stop the read.
    await sql.raw(`create trigger refuse_for_test before insert on ${table} for each row execute function audit.refuse_for_test()`).execute(store.db);
    try {
      await assertNoData(store);
    } finally {
      await sql.raw(`drop trigger refuse_for_test on ${table}`).execute(store.db);
    }
  }
  assert.equal((await readChart(store)).family_name, CANARY_PATIENT.family);
  assert.deepEqual(await counts(store), { events: 2, pending: 2 });
});
