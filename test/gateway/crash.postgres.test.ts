import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { RawMllpClient } from '../support/raw-mllp-client.ts';
import { assertWorkedOnce, crashPlan, registerCrashSources, sendInOrder, waitForEmptyInbox } from '../support/crash-traffic.ts';
import { mllpPortOf } from '../support/mllp-port.ts';
import { seededRandom } from '../support/seeded-random.ts';
import { createTestDatabase } from '../support/test-db.ts';
import { runVigil, type VigilProcess } from '../support/vigil-process.ts';

/**
 * Workers are killed with SIGKILL at random moments while 2,000 messages flow through MLLP. After a last worker runs
 * to the end, every message in the raw archive is processed exactly once in effect: one `processed` step each, one
 * patient per person, one fact per result, no fact version twice.
 */
const PEOPLE = 400;
const RESULTS_PER_PERSON = 4;

test('SIGKILLed workers lose nothing and apply nothing twice', { timeout: 600_000 }, async () => {
  const db = await createTestDatabase();
  const store = await db.open();
  const env = { DATABASE_URL: db.databaseUrl!, VIGIL_ENV: 'test', HOST: '127.0.0.1', PORT: '0', MLLP_PORT: '0', LOG_LEVEL: 'info', VIGIL_WORKER_POLL_MS: '20', VIGIL_GATEWAY_RETRY_BASE_MS: '50' };
  const processes: VigilProcess[] = [];
  try {
    await registerCrashSources(store);
    const api = runVigil('crash-api', ['start', '--role', 'api'], env);
    processes.push(api);
    const client = await RawMllpClient.connect(await mllpPortOf(api));

    const plan = crashPlan({ tag: 'CR', people: PEOPLE, resultsPerPerson: RESULTS_PER_PERSON, nameCycle: [37, 11], phonePrefix: '555' });
    const { messages } = plan;
    assert.ok(messages.length >= 2_000);

    const random = seededRandom(4242);
    const waiting = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages WHERE state IN ('received', 'retrying', 'parked')`.execute(store.db)).rows[0]!.n);
    // Kills count only when they cut a worker off with messages still waiting: intake may be done long before the
    // workers are, so killing goes on after the last ACK until three such kills (at most 12 rounds, about a minute).
    let sending = true;
    const killer = (async () => {
      let kills = 0;
      for (let round = 0; round < 12; round++) {
        const worker = runVigil(`crash-worker-${round}`, ['start', '--role', 'worker'], env);
        processes.push(worker);
        await new Promise((r) => setTimeout(r, 1_500 + random() * 2_500));
        const open = await waiting();
        worker.child.kill('SIGKILL');
        await worker.exited;
        if (open > 0) kills++;
        if (!sending && (kills >= 3 || open === 0)) break;
      }
      return kills;
    })();
    const acks = await sendInOrder(client, messages);
    sending = false;
    const kills = await killer;
    assert.ok(kills >= 2, `workers were killed mid-work ${kills} times`);
    assert.deepEqual([...new Set(acks.map((a) => a.get('MSA-1')))], ['AA']);
    client.destroy();

    const last = runVigil('crash-worker-last', ['start', '--role', 'worker'], env);
    processes.push(last);
    await waitForEmptyInbox(store, 120_000);
    await assertWorkedOnce(store, plan);
    const processedSteps = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_message_events WHERE step = 'processed'`.execute(store.db);
    assert.equal(Number(processedSteps.rows[0]!.n), messages.length);
  } finally {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop();
    await store.close();
    await db.dispose();
  }
});
