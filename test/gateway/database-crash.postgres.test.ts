import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { migrate } from '../../src/store/migrate.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { assertWorkedOnce, crashPlan, registerCrashSources, sendInOrder, waitForEmptyInbox } from '../support/crash-traffic.ts';
import { mllpPortOf } from '../support/mllp-port.ts';
import { createPgCluster } from '../support/pg-cluster.ts';
import { RawMllpClient } from '../support/raw-mllp-client.ts';
import { tempDir } from '../support/test-db.ts';
import { runVigil, type VigilProcess } from '../support/vigil-process.ts';

/**
 * Workers commit their batches without waiting for the WAL flush (VIGIL_GATEWAY_SYNCHRONOUS_COMMIT=off, the
 * default). Here the database server crashes after a worker has worked the whole inbox, before its last commits reached
 * the disk, so recovery undoes them. A new worker redoes them from the inbox, which was durable before each message was
 * acknowledged: every message ends processed exactly once in effect, none lost.
 */
const PEOPLE = 150;
const RESULTS_PER_PERSON = 2;

/** A store on the server once it takes connections again after its crash recovery. */
async function reconnect(url: string): Promise<Store> {
  const until = Date.now() + 60_000;
  for (;;) {
    const store = await openStore({ databaseUrl: url, poolSize: 2 });
    try {
      await store.ping();
      return store;
    } catch (err) {
      await store.close().catch(() => undefined);
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const processedCount = async (store: Store) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages WHERE state = 'processed'`.execute(store.db)).rows[0]!.n);


test('a database crash undoes the last asynchronous commits of a worker; they are worked again, nothing lost or doubled', { timeout: 300_000 }, async () => {
  const cluster = await createPgCluster(['autovacuum=off', 'bgwriter_lru_maxpages=0']);
  cluster.start();
  let store = await openStore({ databaseUrl: cluster.url, poolSize: 2 });
  const processes: VigilProcess[] = [];
  const base = {
    DATABASE_URL: cluster.url,
    VIGIL_DATA_DIR: tempDir(),
    VIGIL_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    MLLP_PORT: '0',
    LOG_LEVEL: 'info',
    VIGIL_WORKER_POLL_MS: '20',
    VIGIL_DB_RETRY_MAX_MS: '300',
  };
  try {
    await migrate(store, { allowDestructive: true, guardDestructive: false });
    await registerCrashSources(store);
    const plan = crashPlan({ tag: 'DC', people: PEOPLE, resultsPerPerson: RESULTS_PER_PERSON, nameCycle: [31, 7], phonePrefix: '556' });
    const { messages } = plan;

    // Every message is acknowledged, so durable, before any worker runs.
    const api = runVigil('db-crash-api', ['start', '--role', 'api'], base);
    processes.push(api);
    const client = await RawMllpClient.connect(await mllpPortOf(api));
    const acks = await sendInOrder(client, messages);
    assert.deepEqual([...new Set(acks.map((a) => a.get('MSA-1')))], ['AA']);
    client.destroy();
    await api.stop();

    // The WAL writer is stopped, so what the worker commits stays in the server's WAL buffers until a synchronous
    // commit flushes it; nothing else commits meanwhile (the worker's sealer, heartbeat and freshness check are
    // slowed down, autovacuum is off, the background writer writes no pages). Killing the WAL writer then is a server
    // crash: PostgreSQL ends every session, recovers from the WAL on disk and takes connections again.
    const walWriter = Number((await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'`.execute(store.db)).rows[0]!.pid);
    process.kill(walWriter, 'SIGSTOP');
    const worker = runVigil('db-crash-worker', ['start', '--role', 'worker'], {
      ...base,
      VIGIL_GATEWAY_BATCH_SIZE: '4',
      VIGIL_AUDIT_SEAL_INTERVAL_MS: '60000',
      VIGIL_WORKER_HEARTBEAT_MS: '600000',
      VIGIL_GATEWAY_FRESHNESS_CHECK_MS: '3600000',
    });
    processes.push(worker);
    const until = Date.now() + 120_000;
    while ((await processedCount(store)) < messages.length) {
      assert.ok(Date.now() < until, 'the worker worked the inbox');
      await new Promise((r) => setTimeout(r, 50));
    }
    // Killed, not stopped: a clean stop commits the worker's leaving, which would flush the WAL.
    worker.child.kill('SIGKILL');
    await worker.exited;
    await store.close();

    process.kill(walWriter, 'SIGKILL');
    store = await reconnect(cluster.url);
    const afterRecovery = await processedCount(store);
    assert.ok(afterRecovery < messages.length, `the crash undid the last commits (${afterRecovery} of ${messages.length} processed after recovery)`);
    assert.ok(afterRecovery > 0, 'commits flushed before the crash are kept');

    const last = runVigil('db-crash-worker-last', ['start', '--role', 'worker'], base);
    processes.push(last);
    await waitForEmptyInbox(store, 120_000);
    await assertWorkedOnce(store, plan);
    assert.equal((await last.stop()).code, 0);
  } finally {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop();
    await store.close().catch(() => undefined);
    cluster.destroy();
  }
});
