import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { recordAudit } from '../src/controls/audit/audit-event.ts';
import { exportAudit } from '../src/controls/audit/export.ts';
import { AuditSealer } from '../src/controls/audit/sealer.ts';
import { formatProblem, parsePublicKeys, verifyExportFile, verifyLive } from '../src/controls/audit/verify.ts';
import type { Store } from '../src/store/store.ts';
import { AUDIT_PATIENT, CLINICIAN, FACTS, SEAL, testSigningKeys } from './support/audit-fixtures.ts';
import { CANARY_PATIENT } from './support/canaries.ts';
import { createTestDatabase, tempDir } from './support/test-db.ts';

/**
 * 8 clients read a chart and write its audit event at once for a bounded time while two sealers run (on PostgreSQL
 * each sealer has its own connection pool, as two worker processes would). Afterwards every event is sealed exactly
 * once, seq has no gaps, and the log verifies live and as an export.
 */
const WRITERS = 8;
const WRITE_MS = 2_500;

test('8 concurrent writers and two sealers: every event sealed exactly once, no gaps, verification passes', async () => {
  const db = await createTestDatabase();
  const stores: Store[] = [await db.open()];
  // The embedded engine is one connection in one process: both sealers share it there.
  if (db.engine === 'postgres') stores.push(await db.open(), await db.open());
  const [writerStore, sealerStoreA, sealerStoreB] = [stores[0]!, stores[1] ?? stores[0]!, stores[2] ?? stores[0]!];
  const keys = testSigningKeys();
  const dir = tempDir('vigil-audit-conc-');
  const sealers = [
    new AuditSealer(sealerStoreA, keys, { checkpointEvents: 50, checkpointSeconds: 1, intervalMs: 10, batchSize: 64 }),
    new AuditSealer(sealerStoreB, keys, { checkpointEvents: 50, checkpointSeconds: 1, intervalMs: 10, batchSize: 64 }),
  ];
  try {
    await writerStore.db
      .insertInto('patients')
      .values({ id: AUDIT_PATIENT, family_name: CANARY_PATIENT.family, given_names: CANARY_PATIENT.given, birth_date: CANARY_PATIENT.birthDate, sex: 'female', phone: null, address_line: null, address_city: null, address_postal_code: null, payer_name: null, payer_member_id: null, managing_facility_id: null })
      .execute();
    // The signing key exists before the sealers race to create it.
    await keys.active(writerStore);
    for (const s of sealers) s.start();

    const stopAt = Date.now() + WRITE_MS;
    const written: string[] = [];
    let reads = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        while (Date.now() < stopAt) {
          // Each request is its own I/O event; without this yield an in-process loop starves the sealer's timer.
          await new Promise((r) => setImmediate(r));
          const id = await writerStore.tx(async (trx) => {
            const patient = await trx.selectFrom('patients').select('family_name').where('id', '=', AUDIT_PATIENT).executeTakeFirstOrThrow();
            if (patient.family_name) reads++;
            return recordAudit(trx, CLINICIAN, { ...FACTS, requestId: `req-w${w}-${written.length}` }, {
              action: 'patient.read', actionCode: 'R', resourceType: 'Patient', resourceIds: [AUDIT_PATIENT], patientId: AUDIT_PATIENT, outcome: 'success',
            });
          });
          written.push(id);
        }
      }),
    );
    assert.ok(written.length >= WRITERS, `at least one write per writer (${written.length})`);
    assert.equal(reads, written.length);

    // The sealers catch up behind the writers.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const pending = await writerStore.db.selectFrom('audit.pending').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      if (Number(pending.n) === 0) break;
      if (Date.now() > deadline) throw new Error(`${pending.n} events still unsealed`);
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const s of sealers) assert.deepEqual(await s.stop(10_000), { drained: true });

    const seals = await writerStore.db.selectFrom('audit.seals').select(['seq', 'event_id']).orderBy('seq').execute();
    assert.equal(seals.length, written.length, 'one seal per event');
    assert.deepEqual(seals.map((s) => Number(s.seq)), [...Array(written.length).keys()], 'seq from 0 without gaps');
    assert.deepEqual(new Set(seals.map((s) => s.event_id)), new Set(written), 'every event, each exactly once');

    const live = await verifyLive(writerStore);
    assert.equal(live.ok, true, live.problems.map(formatProblem).join('; '));
    const file = join(dir, 'all.ndjson');
    await exportAudit(writerStore, keys, file, { seal: SEAL });
    const pem = (await keys.publicKeys(writerStore.db)).map((k) => k.publicKeyPem).join('');
    const offline = await verifyExportFile(file, parsePublicKeys(pem));
    assert.equal(offline.ok, true, offline.problems.map(formatProblem).join('; '));
    assert.equal(offline.events, written.length);
  } finally {
    for (const s of sealers) await s.stop(10_000);
    for (const s of new Set(stores)) await s.close();
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
