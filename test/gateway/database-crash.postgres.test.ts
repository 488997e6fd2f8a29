import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { SourceRegistry } from '../../src/gateway/sources.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { adt, LAB, NORTH, oru, type Person } from '../support/hl7-builder.ts';
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

const count = async (store: Store, query: ReturnType<typeof sql<{ n: string }>>) => Number((await query.execute(store.db)).rows[0]!.n);
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
const processedCount = (store: Store) => count(store, sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages WHERE state = 'processed'`);

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
    await store.tx(async (trx) => {
      const registry = new SourceRegistry();
      await registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: NORTH.app, msh4: NORTH.facility }, { actorName: 'test' });
      await registry.add(trx, { name: 'north-lab', kind: 'hl7v2', msh3: LAB.app, msh4: LAB.facility }, { actorName: 'test' });
    });

    const messages: string[] = [];
    for (let i = 0; i < PEOPLE; i++) {
      const p: Person = { mrn: `DC-${i}`, family: `Family${i % 31}`, given: `Given${i % 7}`, birthDate: `19${String(40 + (i % 50)).padStart(2, '0')}0${1 + (i % 9)}1${i % 10}`, sex: i % 2 ? 'M' : 'F', phone: `556${String(i).padStart(7, '0')}` };
      messages.push(adt(NORTH, 'A01', p, `DC-A-${i}`, '20240301080000', `DCV-${i}`));
      for (let r = 0; r < RESULTS_PER_PERSON; r++) {
        messages.push(oru(LAB, p, `DC-O-${i}-${r}`, `2024030109${String(r).padStart(2, '0')}00`, `DCO-${i}-${r}`, [{ code: '2093-3', name: 'Cholesterol', value: String(150 + r), unit: 'mg/dL', status: 'F' }], 'F'));
      }
    }

    // Every message is acknowledged, so durable, before any worker runs.
    const api = runVigil('db-crash-api', ['start', '--role', 'api'], base);
    processes.push(api);
    const client = await RawMllpClient.connect(await mllpPortOf(api));
    for (const [i, m] of messages.entries()) {
      client.send(m);
      if (i % 50 === 49) await client.waitForAcks(i + 1, 60_000);
    }
    const acks = await client.waitForAcks(messages.length, 60_000);
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
    const deadline = Date.now() + 120_000;
    for (;;) {
      const open = await count(store, sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages WHERE state IN ('received', 'retrying', 'parked')`);
      if (open === 0) break;
      assert.ok(Date.now() < deadline, `the inbox drained (${open} left)`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const states = await sql<{ state: string; n: string }>`SELECT state, count(*) AS n FROM gateway_messages GROUP BY state`.execute(store.db);
    assert.deepEqual(states.rows.map((r) => [r.state, Number(r.n)]), [['processed', messages.length]], 'every acknowledged message processed, none lost');
    assert.equal(await count(store, sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT message_id FROM gateway_message_events WHERE step = 'processed' GROUP BY message_id HAVING count(*) <> 1) x`), 0, 'each message has one processed step');
    assert.equal(await count(store, sql<{ n: string }>`SELECT count(*) AS n FROM patients`), PEOPLE);
    const facts = await sql<{ kind: string; n: string }>`SELECT kind, count(*) AS n FROM clinical_facts GROUP BY kind ORDER BY kind`.execute(store.db);
    assert.deepEqual(facts.rows.map((r) => [r.kind, Number(r.n)]), [['diagnostic-report', PEOPLE * RESULTS_PER_PERSON], ['observation', PEOPLE * RESULTS_PER_PERSON]]);
    assert.equal(await count(store, sql<{ n: string }>`SELECT count(*) AS n FROM clinical_fact_versions`), PEOPLE * RESULTS_PER_PERSON * 2, 'one version per fact: nothing applied twice');
    assert.equal(await count(store, sql<{ n: string }>`SELECT count(*) AS n FROM audit.events WHERE action = 'gateway.message.apply'`), messages.length, 'one audit event per applied message');
    assert.equal((await last.stop()).code, 0);
  } finally {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop();
    await store.close().catch(() => undefined);
    cluster.destroy();
  }
});
