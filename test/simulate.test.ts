import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { simulateCommand } from '../src/cli/simulate-command.ts';
import { parseSourceProfile } from '../src/adapters/source-profile-parse.ts';
import { planTraffic, sendTraffic, SIMULATOR_SOURCES, summarizePlan, type SimulatedMessage } from '../src/simulator/index.ts';
import { hospitalMrns } from '../src/simulator/summary.ts';
import { startTestVigil, type TestVigil } from './support/in-process.ts';

/**
 * The simulator against a whole Vigil: every message answered with the ACK the plan expects, nothing lost, and once
 * the inbox is worked, one patient per simulated person (a double registration merged away), nothing in dead letter,
 * and exactly the broken messages in quarantine.
 */
const T = { timeout: 90_000 };
let t: TestVigil;

before(async () => {
  t = await startTestVigil();
  await t.vigil.store.tx(async (trx) => {
    for (const s of SIMULATOR_SOURCES) await t.vigil.gateway.registry.add(trx, { name: s.name, kind: 'hl7v2', msh3: s.msh3, msh4: s.msh4, profile: s.profile }, { actorName: 'test' });
  });
});

after(async () => {
  await t?.close();
});

const db = () => t.vigil.store.db;

async function inboxSettled(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await db().selectFrom('gateway_messages').select(sql<number>`count(*)::int`.as('n')).where('state', 'in', ['received', 'retrying']).executeTakeFirstOrThrow();
    if (open.n === 0) return;
    if (Date.now() > deadline) throw new Error(`${open.n} messages still waiting to be worked`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function captured(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  console.error = console.log;
  try {
    return { code: await run(), out: lines.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

describe('vigil simulate against an in-process Vigil', () => {
  let plan: SimulatedMessage[];

  it('gets exactly the ACK the plan expects for every message, and loses none', T, async () => {
    plan = planTraffic({ patients: 20, seed: 'end-to-end' });
    const wrong: string[] = [];
    const result = await sendTraffic(plan, {
      host: '127.0.0.1',
      port: t.vigil.mllpPort()!,
      onAck: (m, code) => {
        if (code !== m.expectedAck) wrong.push(`${m.controlId} (${m.kind}): ${code}, expected ${m.expectedAck}`);
      },
    });
    assert.deepEqual(wrong, []);
    assert.equal(result.sent, plan.length);
    assert.equal(result.lost, 0);
    assert.equal(result.mismatches, 0);
  });

  it('ends, once the inbox is worked, with one patient per person, nothing in dead letter and only the broken messages quarantined', T, async () => {
    await inboxSettled(60_000);
    const states = await db().selectFrom('gateway_messages').select(['state', sql<number>`count(*)::int`.as('n')]).groupBy('state').execute();
    const count = (state: string) => states.find((s) => s.state === state)?.n ?? 0;
    assert.equal(count('dead-letter'), 0);
    assert.equal(count('parked'), 0, 'every result and order found its patient');

    const malformed = plan.filter((m) => m.kind === 'malformed');
    const quarantined = await db().selectFrom('gateway_messages').select(['control_id', 'reason_code']).where('state', '=', 'quarantined').execute();
    assert.equal(quarantined.length, malformed.length, `quarantined: ${quarantined.map((q) => q.reason_code).join(', ')}`);
    assert.deepEqual(
      quarantined.map((q) => q.control_id).filter((c) => c !== null).sort(),
      malformed.filter((m) => !m.controlId.startsWith('G')).map((m) => m.controlId).sort(),
    );

    const persons = summarizePlan(plan).persons;
    assert.equal(persons, 20);
    const live = await db().selectFrom('patients').select(sql<number>`count(*)::int`.as('n')).where('merged_into', 'is', null).executeTakeFirstOrThrow();
    assert.equal(live.n, persons);

    const retired = new Set(plan.flatMap((m) => (m.kind === 'merge' ? hospitalMrns(m.text).retired : [])));
    for (const mrn of retired) {
      const owners = await db().selectFrom('patient_identifiers').innerJoin('patients', 'patients.id', 'patient_identifiers.patient_id').select(['patients.merged_into']).where('value', '=', mrn).execute();
      assert.ok(owners.length > 0 && owners.every((o) => o.merged_into === null), 'a retired MRN leads to the surviving patient');
    }
  });

  it('prints counts and never a name or an MRN from the traffic it sends', T, async () => {
    const args = ['--url', t.url, '--mllp', `127.0.0.1:${t.vigil.mllpPort()!}`, '--patients', '3', '--seed', 'cli-run', '--json'];
    const { code, out } = await captured(() => simulateCommand(args));
    assert.equal(code, 0, out);
    const report = JSON.parse(out) as { result: { sent: number; lost: number; mismatches: number }; plan: { messages: number } };
    assert.equal(report.result.sent, report.plan.messages);
    const sent = planTraffic({ patients: 3, seed: 'cli-run' });
    const words = new Set(sent.filter((m) => m.kind !== 'malformed').flatMap((m) => m.text.split('\r').filter((s) => s.startsWith('PID|')).flatMap((s) => s.split('|')[5]!.split('^')).concat(hospitalMrns(m.text).named)));
    for (const word of words) if (word.trim().length > 2) assert.ok(!out.includes(word.trim()), 'no patient detail in the output');
  });
});

describe('vigil simulate on the command line', () => {
  it('prints its usage for --help', async () => {
    const { code, out } = await captured(() => simulateCommand(['--help']));
    assert.equal(code, 0);
    assert.match(out, /vigil simulate --patients N --seed S/);
    assert.match(out, /--silent-feed SOURCE_NAME --silent-seconds 60/);
  });

  it('refuses a bad --patients with exit code 2 and the usage', async () => {
    for (const bad of ['many', '0', '2.5', '99999']) {
      const { code, out } = await captured(() => simulateCommand(['--patients', bad, '--seed', '1']));
      assert.equal(code, 2, bad);
      assert.match(out, /--patients must be a whole number/);
      assert.match(out, /Usage:/);
    }
  });

  it('refuses a silent feed that is not one of the sources in use', async () => {
    const { code, out } = await captured(() => simulateCommand(['--patients', '3', '--seed', '1', '--sources', '1', '--silent-feed', 'sim-lab']));
    assert.equal(code, 2);
    assert.match(out, /--silent-feed must name a source in use: sim-adt/);
  });

  it('writes the source profiles and prints the commands that register them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sim-'));
    try {
      const { code, out } = await captured(() => simulateCommand(['--print-sources', '--profiles-dir', dir]));
      assert.equal(code, 0);
      const lines = out.split('\n');
      assert.deepEqual(
        lines,
        SIMULATOR_SOURCES.map((s) => `vigil sources add --name ${s.name} --msh3 ${s.msh3} --msh4 ${s.msh4} --profile ${join(dir, `${s.name}.json`)}`),
      );
      for (const s of SIMULATOR_SOURCES) assert.deepEqual(parseSourceProfile(JSON.parse(readFileSync(join(dir, `${s.name}.json`), 'utf8'))), parseSourceProfile(s.profile));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
