import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { RawMllpClient } from '../support/raw-mllp-client.ts';
import { SourceRegistry } from '../../src/gateway/sources.ts';
import { adt, LAB, NORTH, oru, type Person } from '../support/hl7-builder.ts';
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
    await store.tx(async (trx) => {
      const registry = new SourceRegistry();
      await registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: NORTH.app, msh4: NORTH.facility }, { actorName: 'test' });
      await registry.add(trx, { name: 'north-lab', kind: 'hl7v2', msh3: LAB.app, msh4: LAB.facility }, { actorName: 'test' });
    });
    const api = runVigil('crash-api', ['start', '--role', 'api'], env);
    processes.push(api);
    const client = await RawMllpClient.connect(await mllpPortOf(api));

    const messages: string[] = [];
    for (let i = 0; i < PEOPLE; i++) {
      const p: Person = { mrn: `CR-${i}`, family: `Family${i % 37}`, given: `Given${i % 11}`, birthDate: `19${String(40 + (i % 50)).padStart(2, '0')}0${1 + (i % 9)}1${i % 10}`, sex: i % 2 ? 'M' : 'F', phone: `555${String(i).padStart(7, '0')}` };
      messages.push(adt(NORTH, 'A01', p, `CR-A-${i}`, '20240301080000', `CRV-${i}`));
      for (let r = 0; r < RESULTS_PER_PERSON; r++) {
        messages.push(oru(LAB, p, `CR-O-${i}-${r}`, `2024030109${String(r).padStart(2, '0')}00`, `CRO-${i}-${r}`, [{ code: '2093-3', name: 'Cholesterol', value: String(150 + r), unit: 'mg/dL', status: 'F' }], 'F'));
      }
    }
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
    for (const [i, m] of messages.entries()) {
      client.send(m);
      if (i % 50 === 49) await client.waitForAcks(i + 1, 60_000);
    }
    const acks = await client.waitForAcks(messages.length, 60_000);
    sending = false;
    const kills = await killer;
    assert.ok(kills >= 2, `workers were killed mid-work ${kills} times`);
    assert.deepEqual([...new Set(acks.map((a) => a.get('MSA-1')))], ['AA']);
    client.destroy();

    const last = runVigil('crash-worker-last', ['start', '--role', 'worker'], env);
    processes.push(last);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const open = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages WHERE state IN ('received', 'retrying', 'parked')`.execute(store.db);
      if (open.rows[0]!.n === '0') break;
      if (Date.now() > deadline) {
        const left = await sql<{ state: string; reason_code: string | null; n: string }>`SELECT state, reason_code, count(*) AS n FROM gateway_messages GROUP BY state, reason_code`.execute(store.db);
        assert.fail(`the inbox did not drain: ${JSON.stringify(left.rows)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }

    const archive = await sql<{ state: string; n: string }>`SELECT state, count(*) AS n FROM gateway_messages GROUP BY state`.execute(store.db);
    assert.deepEqual(archive.rows.map((r) => [r.state, Number(r.n)]), [['processed', messages.length]], 'every archived message processed, none lost or quarantined');
    const steps = await sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT message_id FROM gateway_message_events WHERE step = 'processed' GROUP BY message_id HAVING count(*) <> 1) x`.execute(store.db);
    assert.equal(steps.rows[0]!.n, '0', 'each message was processed exactly once');
    const processedSteps = await sql<{ n: string }>`SELECT count(*) AS n FROM gateway_message_events WHERE step = 'processed'`.execute(store.db);
    assert.equal(Number(processedSteps.rows[0]!.n), messages.length);
    const patients = await sql<{ n: string }>`SELECT count(*) AS n FROM patients`.execute(store.db);
    assert.equal(Number(patients.rows[0]!.n), PEOPLE);
    const facts = await sql<{ kind: string; n: string }>`SELECT kind, count(*) AS n FROM clinical_facts GROUP BY kind ORDER BY kind`.execute(store.db);
    assert.deepEqual(facts.rows.map((r) => [r.kind, Number(r.n)]), [['diagnostic-report', PEOPLE * RESULTS_PER_PERSON], ['observation', PEOPLE * RESULTS_PER_PERSON]]);
    const versions = await sql<{ n: string }>`SELECT count(*) AS n FROM clinical_fact_versions`.execute(store.db);
    assert.equal(Number(versions.rows[0]!.n), PEOPLE * RESULTS_PER_PERSON * 2, 'one version per fact: nothing applied twice');
    const audits = await sql<{ n: string }>`SELECT count(*) AS n FROM audit.events WHERE action = 'gateway.message.apply'`.execute(store.db);
    assert.equal(Number(audits.rows[0]!.n), messages.length, 'one audit event per applied message');
  } finally {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop();
    await store.close();
    await db.dispose();
  }
});
