import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { SourceRegistry } from '../../src/gateway/sources.ts';
import type { Store } from '../../src/store/store.ts';
import { adt, LAB, NORTH, oru, type Person } from './hl7-builder.ts';
import type { RawMllpClient } from './raw-mllp-client.ts';

/**
 * The traffic of the crash tests (workers killed, the database crashing): `people` registrations from the NORTH ADT
 * feed, each followed by `resultsPerPerson` final results from the NORTH lab, and the checks that every message was
 * then worked exactly once in effect.
 */
export interface CrashPlan {
  people: number;
  resultsPerPerson: number;
  messages: string[];
}

/** Registers the two NORTH sources the plan's messages come from. */
export async function registerCrashSources(store: Store): Promise<void> {
  await store.tx(async (trx) => {
    const registry = new SourceRegistry();
    await registry.add(trx, { name: 'north-adt', kind: 'hl7v2', msh3: NORTH.app, msh4: NORTH.facility }, { actorName: 'test' });
    await registry.add(trx, { name: 'north-lab', kind: 'hl7v2', msh3: LAB.app, msh4: LAB.facility }, { actorName: 'test' });
  });
}

/**
 * The plan's messages in sending order. `tag` keeps each test's MRNs, control ids and visits its own; the names repeat
 * every `nameCycle` people and the phones start with `phonePrefix`, so the matcher meets people who look alike.
 */
export function crashPlan(options: { tag: string; people: number; resultsPerPerson: number; nameCycle: [family: number, given: number]; phonePrefix: string }): CrashPlan {
  const { tag, people, resultsPerPerson } = options;
  const messages: string[] = [];
  for (let i = 0; i < people; i++) {
    const p: Person = {
      mrn: `${tag}-${i}`,
      family: `Family${i % options.nameCycle[0]}`,
      given: `Given${i % options.nameCycle[1]}`,
      birthDate: `19${String(40 + (i % 50)).padStart(2, '0')}0${1 + (i % 9)}1${i % 10}`,
      sex: i % 2 ? 'M' : 'F',
      phone: `${options.phonePrefix}${String(i).padStart(7, '0')}`,
    };
    messages.push(adt(NORTH, 'A01', p, `${tag}-A-${i}`, '20240301080000', `${tag}V-${i}`));
    for (let r = 0; r < resultsPerPerson; r++) {
      messages.push(oru(LAB, p, `${tag}-O-${i}-${r}`, `2024030109${String(r).padStart(2, '0')}00`, `${tag}O-${i}-${r}`, [{ code: '2093-3', name: 'Cholesterol', value: String(150 + r), unit: 'mg/dL', status: 'F' }], 'F'));
    }
  }
  return { people, resultsPerPerson, messages };
}

/** Sends the messages in order over one connection, 50 at most in flight, and returns their ACKs in order. */
export async function sendInOrder(client: RawMllpClient, messages: readonly string[]): ReturnType<RawMllpClient['waitForAcks']> {
  for (const [i, m] of messages.entries()) {
    client.send(m);
    if (i % 50 === 49) await client.waitForAcks(i + 1, 60_000);
  }
  return client.waitForAcks(messages.length, 60_000);
}

const count = async (store: Store, query: ReturnType<typeof sql<{ n: string }>>) => Number((await query.execute(store.db)).rows[0]!.n);

/** Waits until no message is left to work (received, retrying or parked); fails with the inbox's states after `timeoutMs`. */
export async function waitForEmptyInbox(store: Store, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await count(store, sql<{ n: string }>`SELECT count(*) AS n FROM gateway_messages WHERE state IN ('received', 'retrying', 'parked')`);
    if (open === 0) return;
    if (Date.now() > deadline) {
      const left = await sql<{ state: string; reason_code: string | null; n: string }>`SELECT state, reason_code, count(*) AS n FROM gateway_messages GROUP BY state, reason_code`.execute(store.db);
      assert.fail(`the inbox did not drain: ${JSON.stringify(left.rows)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Every message of the plan processed, none lost or quarantined, each with one `processed` step; one patient per
 * person, one fact per result with one version each, one audit event per message.
 */
export async function assertWorkedOnce(store: Store, plan: CrashPlan): Promise<void> {
  const archive = await sql<{ state: string; n: string }>`SELECT state, count(*) AS n FROM gateway_messages GROUP BY state`.execute(store.db);
  assert.deepEqual(archive.rows.map((r) => [r.state, Number(r.n)]), [['processed', plan.messages.length]], 'every archived message processed, none lost or quarantined');
  assert.equal(await count(store, sql<{ n: string }>`SELECT count(*) AS n FROM (SELECT message_id FROM gateway_message_events WHERE step = 'processed' GROUP BY message_id HAVING count(*) <> 1) x`), 0, 'each message was processed exactly once');
  assert.equal(await count(store, sql<{ n: string }>`SELECT count(*) AS n FROM patients`), plan.people);
  const facts = await sql<{ kind: string; n: string }>`SELECT kind, count(*) AS n FROM clinical_facts GROUP BY kind ORDER BY kind`.execute(store.db);
  const results = plan.people * plan.resultsPerPerson;
  assert.deepEqual(facts.rows.map((r) => [r.kind, Number(r.n)]), [['diagnostic-report', results], ['observation', results]]);
  assert.equal(await count(store, sql<{ n: string }>`SELECT count(*) AS n FROM clinical_fact_versions`), results * 2, 'one version per fact: nothing applied twice');
  assert.equal(await count(store, sql<{ n: string }>`SELECT count(*) AS n FROM audit.events WHERE action = 'gateway.message.apply'`), plan.messages.length, 'one audit event per applied message');
}
