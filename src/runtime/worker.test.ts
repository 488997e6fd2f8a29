import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { claimJobs, enqueueJob } from '../store/job-queue.ts';
import { createTestDatabase } from '../../test/support/test-db.ts';
import { UndeclaredJobError, Worker, type JobHandler } from './worker.ts';

const quiet = createLogger({ level: 'silent' });

test('two workers share one queue and run every job exactly once', async () => {
  const db = await createTestDatabase();
  // On PostgreSQL each worker has its own pool, as separate processes would; the embedded store has one connection.
  const stores = db.engine === 'postgres' ? [await db.open(), await db.open()] : [await db.open()];
  const seen = new Map<number, number>();
  const handler: JobHandler = {
    policy: { action: 'system.test', resource: 'Job' },
    run: async (payload) => {
      const n = (payload as { n: number }).n;
      seen.set(n, (seen.get(n) ?? 0) + 1);
      await sleep(2);
    },
  };
  const handlers = new Map([['test.count', handler]]);
  const total = 120;
  await stores[0]!.tx(async (trx) => {
    for (let n = 0; n < total; n++) await enqueueJob(trx, 'test.count', { n });
  });
  const workers = [0, 1].map(
    (i) => new Worker(stores[i % stores.length]!, quiet, createMetrics(), { role: 'worker', heartbeatMs: 1000, pollMs: 20, concurrency: 3, handlers }),
  );
  try {
    await Promise.all(workers.map((w) => w.start()));
    for (let i = 0; i < 300; i++) {
      const left = await stores[0]!.db.selectFrom('jobs').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '!=', 'done').executeTakeFirstOrThrow();
      if (Number(left.n) === 0) break;
      await sleep(50);
    }
    assert.equal(seen.size, total, 'every job ran');
    assert.deepEqual([...seen.values()].filter((c) => c !== 1), [], 'no job ran twice');
  } finally {
    await Promise.all(workers.map((w) => w.stop(2000)));
    for (const s of stores) await s.close();
    await db.dispose();
  }
});

test('a job whose worker died is claimed again once its lease runs out', async () => {
  const db = await createTestDatabase();
  const store = await db.open();
  try {
    const id = await enqueueJob(store.db, 'test.lease', {});
    const dead = '00000000-0000-7000-8000-00000000dead';
    const first = await claimJobs(store.db, dead, ['test.lease'], 1, 200);
    assert.equal(first.length, 1);
    assert.equal((await claimJobs(store.db, 'ffffffff-0000-7000-8000-000000000001', ['test.lease'], 1, 200)).length, 0, 'held while the lease runs');
    await sleep(400);
    const again = await claimJobs(store.db, 'ffffffff-0000-7000-8000-000000000001', ['test.lease'], 1, 200);
    assert.equal(again.length, 1);
    assert.equal(again[0]!.id, id);
    assert.equal(again[0]!.attempts, 2);
  } finally {
    await store.close();
    await db.dispose();
  }
});

test('a job handler that declares no policy stops the worker from being built', () => {
  const undeclared = new Map([['test.undeclared', { run: async () => undefined } as unknown as JobHandler]]);
  assert.throws(
    () => new Worker({} as never, createLogger({ level: 'silent' }), createMetrics(), { role: 'worker', heartbeatMs: 1000, pollMs: 20, handlers: undeclared }),
    (err: unknown) => err instanceof UndeclaredJobError && /test\.undeclared/.test((err as Error).message),
  );
});
