/**
 * `npm run bench`: runs every benchmark and writes bench/RESULTS.md with the figures and the machine they ran on.
 *
 * Benchmark 1 measures the fixed cost of a request through Vigil against bare Fastify (the peer and the physical
 * limit of this machine), on the embedded database and, when DATABASE_URL is set, on a PostgreSQL server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envSeconds, measure, type LoadSettings } from './http-load.ts';
import { describeMachine, loadAverage } from './machine.ts';
import { redactUrl, withBenchDatabase } from './postgres-bench-database.ts';
import { cleanUpOnInterrupt } from './support/interrupt.ts';
import { writeHead } from './results-sections.ts';
import { renderResults, type CaseKey, type CaseResult, type TargetStartup } from './results-report.ts';
import { EXIT_TIMEOUT_MS, startTarget } from './target-process.ts';
import type { TargetSpec } from './target-server.ts';

const RESULTS_FILE = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

const settings: LoadSettings = {
  connections: 10,
  pipelining: 1,
  warmupSeconds: envSeconds('BENCH_WARMUP_SECONDS', 1),
  durationSeconds: envSeconds('BENCH_SECONDS', 5),
};

type CasePlan = Omit<CaseResult, 'figures' | 'probe' | 'error'>;

const cases: CaseResult[] = [];
const startups: TargetStartup[] = [];
const engineNotes: string[] = [];
let failures = 0;

function plan(key: CaseKey, name: string, engine: CasePlan['engine'], route: string, logging: CasePlan['logging']): CasePlan {
  return { key, name, engine, route, logging };
}

interface ProbeResult {
  summary: string;
  responseHeaders: { count: number; bytes: number };
}

/** One request before the load: the route must answer, and /health/ready must name the engine the case claims. */
async function probe(url: string, c: CasePlan): Promise<ProbeResult> {
  const ready = c.engine === 'none' ? undefined : await fetch(`${url}/health/ready`);
  let readyText = '';
  if (ready) {
    const body = (await ready.json()) as { status?: string; engine?: string };
    const expected = c.engine === 'PostgreSQL' ? 'postgres' : 'pglite';
    if (body.engine !== expected) throw new Error(`/health/ready names engine "${body.engine}", expected "${expected}"`);
    readyText = `/health/ready ${ready.status} ${body.status} on ${body.engine}; `;
  }
  const answer = await fetch(`${url}${c.route}`);
  await answer.arrayBuffer();
  const headers = [...answer.headers];
  const bytes = headers.reduce((sum, [name, value]) => sum + Buffer.byteLength(`${name}: ${value}\r\n`), 0);
  return { summary: `${readyText}GET ${c.route} answered ${answer.status}`, responseHeaders: { count: headers.length, bytes } };
}

/** Starts one server process, runs its cases one after another, stops it. */
async function runTarget(name: string, spec: TargetSpec, plans: CasePlan[]): Promise<void> {
  console.log(`\n▶ ${name}`);
  let target;
  try {
    target = await startTarget(spec);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.log(`  failed to start: ${message}`);
    startups.push({ name, error: message });
    for (const p of plans) cases.push({ ...p, error: `the server did not start (${message})` });
    failures += plans.length;
    return;
  }
  console.log(`  ready in ${Math.round(target.startMs)} ms at ${target.url}`);
  try {
    for (const p of plans) {
      try {
        const checked = await probe(target.url, p);
        const figures = await measure(`${target.url}${p.route}`, settings);
        cases.push({ ...p, figures, probe: checked.summary, responseHeaders: checked.responseHeaders });
        console.log(
          `  ${p.name}: ${Math.round(figures.requestsPerSecond)} req/s, p50 ${figures.latencyP50Ms.toFixed(2)} ms, ` +
            `p99 ${figures.latencyP99Ms.toFixed(2)} ms, errors ${figures.errors}, non-2xx ${figures.non2xx}`,
        );
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        cases.push({ ...p, error: message });
        failures++;
        console.log(`  ${p.name}: failed: ${message}`);
      }
    }
  } finally {
    const { drained, exitedOnItsOwn } = await target.stop();
    startups.push({ name, startMs: target.startMs, drained, exitedOnItsOwn });
    if (!exitedOnItsOwn) console.log(`  note: the server process was still running ${EXIT_TIMEOUT_MS} ms after stopping; it was killed`);
  }
}

async function main(): Promise<number> {
  const began = performance.now();
  const date = new Date();
  const machine = describeMachine();
  const loadBefore = loadAverage();
  console.log(`Vigil bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`);
  console.log(`${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s per case, ${settings.connections} connections`);
  if (loadBefore > 0.5) console.log(`note: 1-minute load average is ${loadBefore} before the run; other work on this machine will skew the figures`);

  const workDir = mkdtempSync(join(tmpdir(), 'vigil-bench-'));
  const dataDir = join(workDir, 'data');
  let postgresServer: string | undefined;
  cleanUpOnInterrupt(workDir);

  try {
    await runTarget('bare Fastify', { kind: 'bare-fastify' }, [plan('bare', 'bare Fastify (baseline)', 'none', '/bare', 'n/a')]);

    await runTarget('Vigil, embedded database, logging silent (creates the data folder)', { kind: 'vigil', dataDir, logging: 'silent' }, [
      plan('embedded-live', 'Vigil liveness, no database', 'none', '/health/live', 'silent'),
      plan('embedded-ready', 'Vigil readiness', 'embedded (PGlite)', '/health/ready', 'silent'),
      plan('embedded-instance', 'Vigil instance row', 'embedded (PGlite)', '/api/v1/instance', 'silent'),
    ]);
    await runTarget('Vigil, embedded database, logging info to /dev/null (reopens the data folder)', { kind: 'vigil', dataDir, logging: 'info' }, [
      plan('embedded-instance-info', 'Vigil instance row, logging info', 'embedded (PGlite)', '/api/v1/instance', 'info'),
    ]);

    const adminUrl = process.env.DATABASE_URL?.trim();
    const postgresPlans = [
      plan('postgres-ready', 'Vigil readiness', 'PostgreSQL', '/health/ready', 'silent'),
      plan('postgres-instance', 'Vigil instance row', 'PostgreSQL', '/api/v1/instance', 'silent'),
      plan('postgres-instance-info', 'Vigil instance row, logging info', 'PostgreSQL', '/api/v1/instance', 'info'),
    ];
    if (!adminUrl) {
      const note = 'PostgreSQL: not measured, DATABASE_URL is not set. Run `DATABASE_URL=postgres://user@host:port/db npm run bench` to include it.';
      engineNotes.push(note);
      console.log(`\n${note}`);
      for (const p of postgresPlans) cases.push({ ...p, error: 'DATABASE_URL not set' });
    } else {
      console.log(`\nPostgreSQL: creating a bench database on ${redactUrl(adminUrl)}`);
      const made = await withBenchDatabase(adminUrl, async (postgres) => {
        const spec = { kind: 'vigil', dataDir, databaseUrl: postgres.url } as const;
        await runTarget(`Vigil, PostgreSQL (${postgres.name}), logging silent`, { ...spec, logging: 'silent' }, postgresPlans.slice(0, 2));
        await runTarget(`Vigil, PostgreSQL (${postgres.name}), logging info to /dev/null`, { ...spec, logging: 'info' }, postgresPlans.slice(2));
      });
      if ('createError' in made) {
        engineNotes.push(`PostgreSQL: not measured, could not create a bench database on ${redactUrl(adminUrl)}: ${made.createError}`);
        console.log(`  failed: ${made.createError}`);
        for (const p of postgresPlans) cases.push({ ...p, error: 'no bench database' });
        failures += postgresPlans.length;
      } else {
        postgresServer = made.serverVersion;
      }
    }

    await runTarget('bare Fastify again (how much the machine drifted during the run)', { kind: 'bare-fastify' }, [
      plan('bare-repeat', 'bare Fastify (repeat, end of run)', 'none', '/bare', 'n/a'),
    ]);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  const totalSeconds = (performance.now() - began) / 1000;
  const loadAverages = { before: loadBefore, after: loadAverage() };
  writeHead(RESULTS_FILE, renderResults({ date, totalSeconds, machine, loadAverages, settings, cases, startups, engineNotes, postgresServer }));
  console.log(`\nwrote ${RESULTS_FILE} (${Math.round(totalSeconds)} s)`);
  if (failures > 0) console.log(`${failures} case(s) failed; see RESULTS.md`);
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main();
