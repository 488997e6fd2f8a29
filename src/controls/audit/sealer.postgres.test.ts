import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { SEAL, testSigningKeys, withFreshStore, writeEvents } from '../../../test/support/audit-fixtures.ts';
import { sealPending } from './sealer.ts';

/** Several worker processes share one PostgreSQL server: one seals at a time, the others skip their turn at once. */
test('a sealer that finds another one at work returns at once without sealing, then carries on from its state', async () => {
  await withFreshStore(async (store, db) => {
    const keys = testSigningKeys();
    await writeEvents(store, 5);
    const other = await db.open();
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      // Another process's sealer, mid-batch: it holds the sealer's lock in its open transaction.
      const holder = other.tx(async (trx) => {
        await sql`select pg_advisory_xact_lock(7150914, 1)`.execute(trx);
        locked();
        await held;
      });
      await isLocked;
      const skipped = await sealPending(store, keys, SEAL);
      assert.deepEqual(skipped, { locked: false, sealed: 0, treeSize: -1, checkpoint: null });
      release();
      await holder;
      const sealed = await sealPending(store, keys, SEAL);
      assert.equal(sealed.locked, true);
      assert.equal(sealed.sealed, 5);
    } finally {
      await other.close();
    }
  });
});
