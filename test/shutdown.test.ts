import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { enqueueJob } from '../src/store/job-queue.ts';
import type { JobHandler } from '../src/runtime/worker.ts';
import { startTestVigil } from './support/in-process.ts';

test('stopping drains an in-flight request, then refuses new connections', async () => {
  let entered!: () => void;
  const inside = new Promise<void>((done) => (entered = done));
  const t = await startTestVigil({
    extendApp: (app) =>
      void app.get('/test/slow', { config: { policy: { public: true, why: 'test-only slow route' } } }, async () => {
        entered();
        await sleep(600);
        return { finished: true };
      }),
  });
  const slow = fetch(`${t.url}/test/slow`);
  await inside;
  const stopping = t.vigil.stop();
  const res = await slow;
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { finished: true });
  const { drained } = await stopping;
  assert.equal(drained, true);
  await assert.rejects(fetch(`${t.url}/health/live`, { signal: AbortSignal.timeout(2000) }));
  await t.db.dispose();
});

test('stopping lets a running job finish and records it done', async () => {
  let started!: () => void;
  const running = new Promise<void>((done) => (started = done));
  const handlers = new Map<string, JobHandler>([
    ['test.slow', { policy: { action: 'system.test', resource: 'Job' }, run: async () => {
      started();
      await sleep(500);
    } }],
  ]);
  const t = await startTestVigil({ jobHandlers: handlers });
  const id = await enqueueJob(t.vigil.store.db, 'test.slow', {});
  await running;
  const { drained } = await t.vigil.stop();
  assert.equal(drained, true);
  const store = await t.db.open();
  try {
    const job = await store.db.selectFrom('jobs').select(['status', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(job.status, 'done');
    assert.equal(job.attempts, 1);
    const beats = await store.db.selectFrom('worker_heartbeats').selectAll().execute();
    assert.equal(beats.length, 0, 'a stopped worker removes its heartbeat');
  } finally {
    await store.close();
    await t.db.dispose();
  }
});

test('a job that outlives the grace period is given back to the queue, not lost', async () => {
  const handlers = new Map<string, JobHandler>([
    ['test.stuck', { policy: { action: 'system.test', resource: 'Job' }, run: async (_p, ctx) => {
      await sleep(30_000, undefined, { signal: ctx.signal }).catch(() => undefined);
      throw new Error('aborted');
    } }],
  ]);
  const t = await startTestVigil({ jobHandlers: handlers, overrides: { VIGIL_SHUTDOWN_GRACE_MS: '300' } });
  const id = await enqueueJob(t.vigil.store.db, 'test.stuck', {});
  for (let i = 0; i < 100 && (t.vigil.worker()?.busy ?? 0) === 0; i++) await sleep(50);
  assert.equal(t.vigil.worker()?.busy, 1);
  const { drained } = await t.vigil.stop();
  assert.equal(drained, false);
  const store = await t.db.open();
  try {
    const job = await store.db.selectFrom('jobs').select(['status', 'locked_by', 'attempts']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(job.status, 'queued');
    assert.equal(job.locked_by, null);
    assert.equal(job.attempts, 0, 'the interrupted attempt does not count against the job');
  } finally {
    await store.close();
    await t.db.dispose();
  }
});

test('a failing job is retried with backoff and ends dead after its attempts, recording only an error code', async () => {
  let calls = 0;
  const handlers = new Map<string, JobHandler>([
    ['test.fails', { policy: { action: 'system.test', resource: 'Job' }, run: async () => {
      calls += 1;
      throw Object.assign(new Error('upstream said no for patient Vantablack-Quorrin'), { code: 'UPSTREAM_REFUSED' });
    } }],
  ]);
  const t = await startTestVigil({ jobHandlers: handlers });
  try {
    const id = await t.vigil.store.tx((trx) => enqueueJob(trx, 'test.fails', {}, { maxAttempts: 2 }));
    // First attempt now; the retry waits 1 s of backoff.
    let job;
    for (let i = 0; i < 100; i++) {
      job = await t.vigil.store.db.selectFrom('jobs').select(['status', 'attempts', 'last_error_code']).where('id', '=', id).executeTakeFirstOrThrow();
      if (job.status === 'dead') break;
      await sleep(100);
    }
    assert.equal(job?.status, 'dead');
    assert.equal(job?.attempts, 2);
    assert.equal(job?.last_error_code, 'UPSTREAM_REFUSED');
    assert.equal(calls, 2);
    const text = JSON.stringify(t.logLines());
    assert.ok(!text.includes('Vantablack'), 'the error message never reaches the log');
    assert.ok(t.logLines().some((l) => l.msg === 'job.failed' && l.error_code === 'UPSTREAM_REFUSED'));
  } finally {
    await t.close();
  }
});
