/**
 * `node --import tsx bench/access.ts`: what access control and audit cost, each against a peer in the same run, and
 * the access section of bench/RESULTS.md with the figures, the goals of issues 3 and 4 and the machine.
 *
 * A. decide() in-process over the authorization matrix's mix, against verifying one EdDSA access token.
 * B. The real patient read through HTTP against the same read with the policy step skipped.
 * C. The same real read against the same read without its audit write (embedded, and PostgreSQL with DATABASE_URL).
 * D. The sealing lag of the real read's audit events under that load, and the unsealed tail when it stops.
 *
 * Settings as for bench/run.ts: BENCH_SECONDS (5) and BENCH_WARMUP_SECONDS (1) per HTTP case.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { upsertSection } from './results-sections.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { signIn } from '../test/support/access-fixture.ts';
import { runDecisionBench, type DecisionBenchResult } from './access-decisions.ts';
import { measureWithHeaders } from './access-load.ts';
import { GOALS, renderAccessResults, type Engine, type EngineRun, type HttpCase, type HttpCaseKey } from './access-report.ts';
import { startAccessTarget, type AccessTarget } from './access-target-process.ts';
import { envSeconds, type LoadSettings } from './http-load.ts';
import { describeMachine, loadAverage } from './machine.ts';
import { redactUrl, withBenchDatabase } from './postgres-bench-database.ts';
import { cleanUpOnInterrupt } from './support/interrupt.ts';

const RESULTS_FILE = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const DECISIONS = 1_000_000;
/** Longest wait for the sealer to empty audit.pending after a case (and before the next one). */
const DRAIN_LIMIT_SECONDS = 15;

const settings: LoadSettings = {
  connections: 10,
  pipelining: 1,
  warmupSeconds: envSeconds('BENCH_WARMUP_SECONDS', 1),
  durationSeconds: envSeconds('BENCH_SECONDS', 5),
};

// A freshly started server runs its request path unoptimized for its first seconds: measured without this, the real
// route ran first at 771 req/s and last at 1,048 on PostgreSQL, and the first case's warm-up decided the verdict.
const serverWarmupSeconds = envSeconds('BENCH_SERVER_WARMUP_SECONDS', 2);

let failures = 0;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Polls audit.pending until it is empty; the time it took, or null when the limit passed first. */
async function waitSealed(target: AccessTarget): Promise<number | null> {
  const began = performance.now();
  while ((await target.auditPending()) > 0) {
    if (performance.now() - began > DRAIN_LIMIT_SECONDS * 1000) return null;
    await sleep(50);
  }
  return performance.now() - began;
}

interface CasePlan {
  key: HttpCaseKey;
  name: string;
  route: string;
  /** The route writes an audit event per read: measure the tail and wait for it. */
  audited: boolean;
  /** What the nurse's answer must look like: masked (no payer) on the real route, every field on the unguarded peer. */
  payer: 'hidden' | 'shown';
}

/**
 * One request before the load: 200, a FHIR Patient with the asked id, masked as the case expects. Only field names
 * are reported: the fixture's own-team patient is a canary identity, and its values must never be printed.
 */
async function probe(url: string, route: string, headers: Record<string, string>, plan: CasePlan, patientId: string): Promise<string> {
  const res = await fetch(`${url}${route}`, { headers });
  const type = res.headers.get('content-type') ?? '';
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`GET ${plan.route} answered ${res.status} before the load (problem code ${String((body as { code?: unknown }).code ?? 'none')})`);
  if (!type.includes('fhir+json') || body.resourceType !== 'Patient' || body.id !== patientId) throw new Error(`GET ${plan.route} did not answer the asked FHIR Patient`);
  const hasPayer = 'extension' in body;
  if (plan.payer === 'hidden' && hasPayer) throw new Error(`GET ${plan.route} returned the payer to a nurse: the field mask was not applied`);
  if (plan.payer === 'shown' && !hasPayer) throw new Error(`GET ${plan.route} did not return every field, so it does less work than an unmasked read`);
  return `GET ${plan.route} answered 200 ${type.split(';')[0]} with fields ${Object.keys(body).sort().join(', ')}`;
}

async function runEngine(engine: Engine, spec: { dataDir: string; databaseUrl?: string }): Promise<EngineRun> {
  const run: EngineRun = { engine, cases: [] };
  console.log(`\n▶ Vigil, ${engine}`);
  let target: AccessTarget;
  try {
    target = await startAccessTarget(spec);
  } catch (err) {
    run.startup = { error: errorText(err) };
    console.log(`  failed to start: ${errorText(err)}`);
    failures++;
    return run;
  }
  run.startup = { startMs: target.startMs, seedMs: target.seedMs };
  console.log(`  ready in ${Math.round(target.startMs)} ms, fixture seeded in ${Math.round(target.seedMs)} ms, at ${target.url}`);
  try {
    const expected = engine === 'PostgreSQL' ? 'postgres' : 'pglite';
    if (target.engine !== expected) throw new Error(`the target runs on "${target.engine}", expected "${expected}"`);
    const token = await signIn(target.url, target.person);
    const headers = { authorization: `Bearer ${token}` };
    const id = target.patientId;
    // The real route first and last, so the drift over the engine's run is visible; the sealer's backlog is emptied
    // between cases so the unaudited case does not pay for sealing the audited ones.
    const plans: CasePlan[] = [
      { key: 'guarded', name: 'real route (first)', route: '/fhir/R4/Patient/:id', audited: true, payer: 'hidden' },
      { key: 'unguarded', name: 'unguarded peer', route: '/bench/unguarded/Patient/:id', audited: true, payer: 'shown' },
      { key: 'unaudited', name: 'unaudited peer', route: '/bench/unaudited/Patient/:id', audited: false, payer: 'hidden' },
      { key: 'guarded-repeat', name: 'real route (last)', route: '/fhir/R4/Patient/:id', audited: true, payer: 'hidden' },
    ];
    // Each route the cases use is loaded in turn before the first measurement, so no case pays for the server's start.
    const routes = [...new Set(plans.map((p) => p.route.replace(':id', id)))];
    if (serverWarmupSeconds > 0) {
      for (const route of routes) await measureWithHeaders(`${target.url}${route}`, { ...settings, warmupSeconds: 0, durationSeconds: serverWarmupSeconds }, headers);
    }
    for (const plan of plans) {
      const c: HttpCase = { key: plan.key, name: plan.name, route: plan.route };
      run.cases.push(c);
      try {
        if ((await waitSealed(target)) === null) throw new Error(`audit.pending was not empty within ${DRAIN_LIMIT_SECONDS} s before the case`);
        const route = plan.route.replace(':id', id);
        c.probe = await probe(target.url, route, headers, plan, id);
        const figures = await measureWithHeaders(`${target.url}${route}`, settings, headers);
        c.figures = figures;
        let tail = '';
        if (plan.audited) {
          c.pendingAtEnd = await target.auditPending();
          c.drainMs = await waitSealed(target);
          if (plan.key === 'guarded' || plan.key === 'guarded-repeat') {
            c.sealLag = await target.sealLag(target.person.id, figures.measuredFromMs, figures.measuredToMs);
            if (c.sealLag.events === 0) throw new Error('no audit events of the run were found for the sealing lag');
          }
          tail = `, unsealed at end ${c.pendingAtEnd}, sealed up after ${c.drainMs === null ? `more than ${DRAIN_LIMIT_SECONDS} s` : `${Math.round(c.drainMs)} ms`}`;
          if (c.sealLag) tail += `, seal lag p50 ${c.sealLag.p50Ms?.toFixed(0) ?? 'unsealed'} ms p99 ${c.sealLag.p99Ms?.toFixed(0) ?? 'unsealed'} ms`;
        }
        console.log(
          `  ${plan.name}: ${Math.round(figures.requestsPerSecond)} req/s, p50 ${figures.latencyP50Ms.toFixed(2)} ms, p99 ${figures.latencyP99Ms.toFixed(2)} ms, ` +
            `errors ${figures.errors}, non-2xx ${figures.non2xx}${tail}`,
        );
        if (figures.non2xx > 0 || figures.errors > 0) {
          // A refused or failed request is cheaper than a served read: such a case cannot be compared.
          c.error = `${figures.non2xx} non-2xx answers and ${figures.errors} errors during the load`;
          failures++;
        }
      } catch (err) {
        c.error = errorText(err);
        failures++;
        console.log(`  ${plan.name}: failed: ${c.error}`);
      }
    }
  } catch (err) {
    run.error = errorText(err);
    failures++;
    console.log(`  failed: ${errorText(err)}`);
  } finally {
    const { drained, exitedOnItsOwn } = await target.stop();
    run.startup = { ...run.startup, drained, exitedOnItsOwn };
  }
  return run;
}

async function main(): Promise<number> {
  const began = performance.now();
  const date = new Date();
  const machine = describeMachine();
  const loadBefore = loadAverage();
  console.log(`Vigil access bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}`);
  console.log(`server warm-up ${serverWarmupSeconds} s per route, then ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s per HTTP case, ${settings.connections} connections`);
  if (loadBefore > 0.5) console.log(`note: 1-minute load average is ${loadBefore} before the run; other work on this machine will skew the figures`);

  const workDir = mkdtempSync(join(tmpdir(), 'vigil-access-bench-'));
  let postgresServer: string | undefined;
  cleanUpOnInterrupt(workDir);

  // First, while no server shares the CPU with this process.
  console.log(`\n▶ decide() × ${DECISIONS.toLocaleString('en-US')}, then the token-verification peer`);
  let decisions: DecisionBenchResult | undefined;
  let decisionsError: string | undefined;
  try {
    decisions = await runDecisionBench({ decisions: DECISIONS, tokenSeconds: Math.min(Math.max(settings.durationSeconds, 1), 5) });
    const d = decisions;
    const us = (ns: number) => (ns / 1000).toFixed(2);
    console.log(`  decide(): p50 ${us(d.all.p50Ns)} µs, p99 ${us(d.all.p99Ns)} µs, p99.9 ${us(d.all.p999Ns)} µs over ${d.all.samples} calls (timer ${us(d.timerOverheadNs)} µs subtracted); goal p99 < ${GOALS.decisionP99Us} µs`);
    console.log(`  jose jwtVerify (EdDSA): p50 ${us(d.tokenVerify.p50Ns)} µs, p99 ${us(d.tokenVerify.p99Ns)} µs over ${d.tokenVerify.samples} calls`);
  } catch (err) {
    decisionsError = errorText(err);
    failures++;
    console.log(`  failed: ${decisionsError}`);
  }

  const engines: EngineRun[] = [];
  try {
    engines.push(await runEngine('embedded (PGlite)', { dataDir: join(workDir, 'data') }));

    const adminUrl = process.env.DATABASE_URL?.trim();
    if (!adminUrl) {
      engines.push({ engine: 'PostgreSQL', skipped: 'DATABASE_URL is not set', cases: [] });
      console.log('\nPostgreSQL: not measured, DATABASE_URL is not set. Run `DATABASE_URL=postgres://user@host:port/db node --import tsx bench/access.ts` to include it.');
    } else {
      console.log(`\nPostgreSQL: creating a bench database on ${redactUrl(adminUrl)}`);
      const made = await withBenchDatabase(adminUrl, async (postgres) => {
        engines.push(await runEngine('PostgreSQL', { dataDir: join(workDir, 'data-unused'), databaseUrl: postgres.url }));
      });
      if ('createError' in made) {
        engines.push({ engine: 'PostgreSQL', skipped: `could not create a bench database on ${redactUrl(adminUrl)}: ${made.createError}`, cases: [] });
        failures++;
        console.log(`  failed: ${made.createError}`);
      } else {
        postgresServer = made.serverVersion;
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  const totalSeconds = (performance.now() - began) / 1000;
  const report = {
    date,
    totalSeconds,
    machine,
    loadAverages: { before: loadBefore, after: loadAverage() },
    settings,
    serverWarmupSeconds,
    drainLimitSeconds: DRAIN_LIMIT_SECONDS,
    engines,
    ...(decisions ? { decisions } : {}),
    ...(decisionsError ? { decisionsError } : {}),
    ...(postgresServer ? { postgresServer } : {}),
  };
  // One level deeper: the section sits under the HTTP benchmark's title in RESULTS.md.
  upsertSection(RESULTS_FILE, 'access', renderAccessResults(report).replace(/^(#+) /gm, '#$1 '));
  console.log(`\nwrote the access section of ${RESULTS_FILE} (${Math.round(totalSeconds)} s)`);
  if (failures > 0) console.log(`${failures} case(s) failed; see RESULTS.md`);
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main();
