/**
 * The chart read benchmark of issue 6: `GET /api/patients/{id}/chart` (the first screen: each section's newest
 * entries), one "show more" page of a section (`GET /api/patients/{id}/chart/results?before=…`) and
 * `GET /fhir/R4/Patient/{id}/$everything` (its first page, and every page in turn by its cursors) for a patient with
 * 5,000 facts, on PostgreSQL, against the same reads
 * without the access check and the audit (the unguarded floor, floor.ts). Writes the "chart" section of
 * bench/RESULTS.md. Bounded: about two minutes with the defaults on two cores, and a watchdog ends it at --time-limit.
 *
 *   node --import tsx bench/chart/run.ts [--requests 200] [--warmup 20] [--page-size 100] [--time-limit 450]
 *   node --import tsx bench/chart/run.ts --only chart       # some reads only (chart, section, everything, walk)
 *   node --import tsx bench/chart/run.ts --profile DIR      # the real routes only, under node --cpu-prof; RESULTS.md untouched
 *   node --import tsx bench/chart/run.ts --pg-statements    # the real routes only, the server's time per statement; RESULTS.md untouched
 *
 * Steps: a throwaway PostgreSQL cluster (pg-cluster.ts, default settings); migrate, the access fixture and the chart
 * written by the core writers in this process (seed.ts); Vigil in a child process (target.ts); the physician signs in
 * through POST /auth/login; each answer of the real route is checked against the floor's (the same JSON) before
 * anything is timed; then the measured requests, sequential, real and floor alternating. Everything started here is
 * ended on exit, on an error and on Ctrl-C. Prints counts and timings only, never chart content.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/load.ts';
import { SETTINGS } from '../../src/config/settings.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/store.ts';
import { signIn } from '../../test/support/access-fixture.ts';
import { describeMachine, loadAverage } from '../machine.ts';
import { upsertSection } from '../results-sections.ts';
import { Client, median, percentile } from './client.ts';
import { processCpuSeconds, treeCpuSeconds } from '../support/cpu.ts';
import { postgresBinDir } from '../../test/support/pg-cluster.ts';
import { benchStatement, printStatements, resetStatements, startChartCluster, type ChartCluster } from './pg-cluster.ts';
import { printProfileSummary } from './profile-summary.ts';
import { GOAL_P99_MS, renderChart, type ChartReport, type ReadCase, type SideFigures } from './report.ts';
import { seedChart } from './seed.ts';
import type { ChartTargetMessage } from './target.ts';

const RESULTS_FILE = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
const TARGET_SCRIPT = fileURLToPath(new URL('./target.ts', import.meta.url));
const BLOCK = 20;

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    'page-size': { type: 'string', default: '100' },
    'time-limit': { type: 'string', default: '450' },
    only: { type: 'string', default: 'chart,section,everything,walk' },
    profile: { type: 'string' },
    'pg-statements': { type: 'boolean', default: false },
  },
});

function whole(name: string, raw: string, min: number, max: number): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) throw new Error(`--${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  return v;
}

const settings = {
  requests: whole('requests', args.requests, 1, 5000),
  warmup: whole('warmup', args.warmup, 0, 1000),
  pageSize: whole('page-size', args['page-size'], 1, 100),
  block: BLOCK,
};
const timeLimitSeconds = whole('time-limit', args['time-limit'], 30, 3600);
const profileDir = args.profile ? resolve(args.profile) : undefined;
const pgStatements = args['pg-statements'] === true;
/** Diagnostics slow what they measure and run the real routes only: they leave RESULTS.md alone. */
const diagnostic = profileDir !== undefined || pgStatements;
const only = new Set(args.only.split(',').map((k) => k.trim()));
for (const key of only) if (!['chart', 'section', 'everything', 'walk'].includes(key)) throw new Error(`--only takes chart, section, everything and walk (got "${key}")`);

// Everything this run starts, so that every way out can end it.
const work = mkdtempSync(join(tmpdir(), 'vigil-chart-bench-'));
let cluster: ChartCluster | undefined;
let target: ChildProcess | undefined;
function cleanUp(): void {
  if (target && target.exitCode === null && target.signalCode === null) target.kill('SIGKILL');
  cluster?.destroy();
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanUp);
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    console.log(`\n${signal}: stopping Vigil, removing the cluster and the temporary folder`);
    cleanUp();
    process.exit(code);
  });
}
const watchdog = setTimeout(() => {
  console.log(`\nthe run passed its time limit of ${timeLimitSeconds} s: stopping everything (RESULTS.md not written)`);
  cleanUp();
  process.exit(1);
}, timeLimitSeconds * 1000);
watchdog.unref();

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The environment of the target: the parent's without any Vigil setting, plus the bench's. */
function targetEnvironment(own: Record<string, string>): NodeJS.ProcessEnv {
  const vigilNames = new Set<string>([...SETTINGS.map((s) => s.env), 'VIGIL_CONFIG_FILE']);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !vigilNames.has(k)) env[k] = v;
  return { ...env, ...own };
}

interface Started {
  url: string;
  startMs: number;
  warnings: Record<string, number>;
  stop(): Promise<boolean>;
}

async function startTarget(env: NodeJS.ProcessEnv): Promise<Started> {
  const child = fork(TARGET_SCRIPT, [], {
    execArgv: ['--import', 'tsx', ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [])],
    env,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  target = child;
  // Vigil logs JSON lines (info: one per request). Only warnings and errors are counted, by event name.
  const warnings: Record<string, number> = {};
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'warn' || entry.level === 'error' || entry.level === 'fatal') {
        const name = `${entry.level} ${entry.msg ?? 'unnamed'}`;
        warnings[name] = (warnings[name] ?? 0) + 1;
      }
    } catch {
      warnings['unparsed output line'] = (warnings['unparsed output line'] ?? 0) + 1;
    }
  });
  const first = await new Promise<ChartTargetMessage>((resolveFirst, reject) => {
    const timer = setTimeout(() => reject(new Error('Vigil did not report listening within 90 s')), 90_000);
    child.once('message', (m: ChartTargetMessage) => {
      clearTimeout(timer);
      resolveFirst(m);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Vigil exited (code ${code ?? 'none'}, signal ${signal ?? 'none'}) before listening`));
    });
  });
  if (first.type !== 'listening') throw new Error(first.type === 'failed' ? `Vigil failed to start: ${first.message}` : `unexpected message ${first.type}`);
  if (first.engine !== 'postgres') throw new Error(`Vigil runs on "${first.engine}", not PostgreSQL`);
  return {
    url: first.url,
    startMs: first.startMs,
    warnings,
    async stop() {
      const stopped = new Promise<boolean>((resolveStop) => {
        const timer = setTimeout(() => resolveStop(false), 20_000);
        child.on('message', (m: ChartTargetMessage) => {
          if (m.type !== 'stopped') return;
          clearTimeout(timer);
          resolveStop(m.drained);
        });
      });
      child.send({ type: 'stop' });
      const drained = await stopped;
      const exited = child.exitCode !== null || (await Promise.race([once(child, 'exit').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]));
      if (!exited) child.kill('SIGKILL');
      return drained && exited;
    },
  };
}

interface Samples {
  ms: number[];
  bytes: number;
  non200: number;
  vigilCpu: number;
  postgresCpu: number;
  steps: Record<string, number[]>;
  unitMs: number[];
  byPosition: number[][];
}

const emptySamples = (): Samples => ({ ms: [], bytes: 0, non200: 0, vigilCpu: 0, postgresCpu: 0, steps: {}, unitMs: [], byPosition: [] });

/** One unit (a block of requests, or one walk), with the CPU the Vigil process and the server spent on it. */
async function runUnit(client: Client, paths: readonly string[], into: Samples | undefined, pids: { vigil: number; postmaster: number }): Promise<void> {
  const vigil0 = processCpuSeconds(pids.vigil) ?? Number.NaN;
  const pg0 = treeCpuSeconds(pids.postmaster);
  let unit = 0;
  for (const [i, path] of paths.entries()) {
    const a = await client.get(path);
    if (!into) continue;
    unit += a.ms;
    into.ms.push(a.ms);
    into.bytes += a.bytes;
    if (a.status !== 200) into.non200++;
    for (const [name, v] of Object.entries(a.steps)) (into.steps[name] ??= []).push(v);
    (into.byPosition[i] ??= []).push(a.ms);
  }
  if (!into) return;
  into.unitMs.push(unit);
  into.vigilCpu += (processCpuSeconds(pids.vigil) ?? Number.NaN) - vigil0;
  into.postgresCpu += treeCpuSeconds(pids.postmaster) - pg0;
}

function figures(s: Samples, walk: boolean): SideFigures {
  const sorted = [...s.ms].sort((a, b) => a - b);
  const count = sorted.length;
  return {
    requests: count,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.reduce((a, b) => a + b, 0) / count,
    bytesPerAnswer: s.bytes / count,
    non200: s.non200,
    vigilCpuMs: (1000 * s.vigilCpu) / count,
    postgresCpuMs: (1000 * s.postgresCpu) / count,
    // Mean per request (a step a request did not run counts as 0), so the steps add up to the handler's mean time.
    steps: Object.fromEntries(Object.entries(s.steps).map(([name, values]) => [name, values.reduce((a, b) => a + b, 0) / count])),
    ...(walk ? { walkMs: s.unitMs, firstPageMs: median(s.byPosition[0] ?? []), secondPageMs: median(s.byPosition[1] ?? []), lastPageMs: median(s.byPosition.at(-1) ?? []) } : {}),
  };
}

/**
 * Measures the real route against its floor: warm-up units, then measured units in the order AB BA AB … An empty
 * list leaves that side out (diagnostics measure the real route alone; the cut chart has only a floor).
 */
async function measurePair(
  client: Client,
  real: readonly string[],
  floor: readonly string[],
  plan: { units: number; warmupUnits: number; walk: boolean; beforeMeasuring: () => Promise<void> },
  pids: { vigil: number; postmaster: number },
): Promise<{ real?: SideFigures; floor?: SideFigures }> {
  const r = emptySamples();
  const f = emptySamples();
  const sides = (u: number): [readonly string[], Samples | undefined][] => {
    const both: [readonly string[], Samples][] = [[real, r], [floor, f]];
    return (u % 2 === 0 ? both : both.reverse()).filter(([paths]) => paths.length > 0);
  };
  for (let u = 0; u < plan.warmupUnits; u++) for (const [paths] of sides(u)) await runUnit(client, paths, undefined, pids);
  await plan.beforeMeasuring();
  for (let u = 0; u < plan.units; u++) for (const [paths, into] of sides(u)) await runUnit(client, paths, into, pids);
  return { ...(real.length ? { real: figures(r, plan.walk) } : {}), ...(floor.length ? { floor: figures(f, plan.walk) } : {}) };
}

/** Top-level keys whose values differ between two answers: names only, never values. */
function differingKeys(a: Record<string, unknown>, b: Record<string, unknown>): string {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !isDeepStrictEqual(a[k], b[k]));
  return keys.join(', ') || '(none at the top level)';
}

async function probeJson(client: Client, path: string, what: string): Promise<Record<string, unknown>> {
  const a = await client.get(path, true);
  if (a.status !== 200) throw new Error(`${what} answered ${a.status} before the measurement`);
  return JSON.parse(a.body!.toString('utf8')) as Record<string, unknown>;
}

/** The real answer and the floor's must be the same JSON, or the floor would not be doing the same work. */
async function probeSame(client: Client, realPath: string, floorPath: string, what: string): Promise<Record<string, unknown>> {
  const real = await probeJson(client, realPath, what);
  const floor = await probeJson(client, floorPath, `${what} (floor)`);
  if (!isDeepStrictEqual(real, floor)) throw new Error(`the floor's answer differs from the real ${what} in: ${differingKeys(real, floor)}`);
  return real;
}

type Section = { items: { observations?: unknown[] }[]; total: number; next: string | null };

function sectionCounts(c: Section): { facts: number; total: number } {
  return { facts: c.items.reduce((a, i) => a + 1 + (i.observations?.length ?? 0), 0), total: c.total };
}

/** What the first screen held: entries shown of each section's total (counts only). */
function chartCounts(chart: Record<string, unknown>): string {
  const names = ['results', 'medications', 'problems', 'allergies', 'documents'] as const;
  const parts = names.map((name) => {
    const { facts, total } = sectionCounts(chart[name] as Section);
    return `${name} ${(chart[name] as Section).items.length} of ${total.toLocaleString('en-US')}${facts !== (chart[name] as Section).items.length ? ` (${facts} facts with the reports' observations)` : ''}`;
  });
  const encounters = chart['encounters'] as Section;
  const facts = names.reduce((a, name) => a + sectionCounts(chart[name] as Section).facts, 0);
  return `${facts} facts and ${encounters.items.length} of ${encounters.total} encounters in one answer: ${parts.join(', ')}`;
}

async function main(): Promise<number> {
  const began = performance.now();
  const date = new Date();
  const machine = describeMachine();
  const command = `node --import tsx bench/chart/run.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const report: ChartReport = { date, command, totalSeconds: 0, machine, load: { before: loadAverage(), after: 0 }, warnings: {}, settings, cases: [] };
  const finish = (code: number): number => {
    report.totalSeconds = (performance.now() - began) / 1000;
    report.load.after = loadAverage();
    if (diagnostic) {
      console.log('\ndiagnostic run: RESULTS.md left alone (profiling and statement tracking slow what they measure)');
      if (profileDir) printProfileSummary(profileDir);
    } else {
      upsertSection(RESULTS_FILE, 'chart', renderChart(report));
      console.log(`\nwrote the chart section of ${RESULTS_FILE} (${Math.round(report.totalSeconds)} s)`);
    }
    return code;
  };
  console.log(`Vigil chart read bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, 1-min load ${report.load.before}`);
  if (report.load.before > 0.5) console.log('note: other work is running on this machine; latencies will be inflated');

  if (!postgresBinDir()) {
    report.skipped = 'PostgreSQL server binaries are not installed (Debian: apt-get install -y postgresql)';
    console.log(`not measured: ${report.skipped}`);
    return finish(0);
  }
  let failed = false;
  try {
    cluster = await startChartCluster({ statements: pgStatements });
    report.postgres = { version: cluster.version, settings: cluster.settings };
    console.log(`\n▶ ${cluster.version}: throwaway cluster on 127.0.0.1 (${cluster.settings})`);

    const env: Record<string, string> = {
      VIGIL_ENV: 'production',
      DATABASE_URL: cluster.url,
      VIGIL_KEK: randomBytes(32).toString('base64'),
      HOST: '127.0.0.1',
      PORT: '0',
      MLLP_PORT: 'off',
      VIGIL_DATA_DIR: join(work, 'data'),
      LOG_LEVEL: 'info',
    };
    const config = loadConfig({ env });
    const store = await openStore({ databaseUrl: cluster.url, poolSize: 2 });
    try {
      await migrate(store, { allowDestructive: false, guardDestructive: true });
      console.log('▶ seeding: the access fixture, then one chart of 5,000 facts through the core writers');
      report.seed = await seedChart(store, config, (text) => console.log(`  ${text}`));
    } finally {
      await store.close();
    }
    await benchStatement(cluster.url, 'VACUUM ANALYZE');
    const s = report.seed;
    console.log(`  ${s.facts.toLocaleString('en-US')} facts, ${s.versions.toLocaleString('en-US')} versions, ${s.encounters} encounters in ${(s.seedMs / 1000).toFixed(1)} s; VACUUM ANALYZE done`);

    if (profileDir) mkdirSync(profileDir, { recursive: true });
    const vigil = await startTarget(targetEnvironment(env));
    report.startMs = vigil.startMs;
    report.warnings = vigil.warnings;
    console.log(`▶ Vigil ready in ${(vigil.startMs / 1000).toFixed(1)} s${profileDir ? ` (under --cpu-prof, profiles to ${profileDir})` : ''}`);
    const pids = { vigil: target!.pid!, postmaster: cluster.postmasterPid };
    const client = new Client(vigil.url, await signIn(vigil.url, s.physician));
    try {
      const id = s.patientId;
      const cases: ReadCase[] = [
        { key: 'chart', title: 'chart, first screen', route: 'GET /api/patients/{id}/chart', floorRoute: 'GET /bench/floor/chart/{id}' },
        { key: 'section', title: 'chart, second page of results ("show more")', route: 'GET /api/patients/{id}/chart/results?before=…', floorRoute: 'GET /bench/floor/chart/{id}/results?before=…' },
        { key: 'everything', title: '$everything, first page', route: 'GET /fhir/R4/Patient/{id}/$everything', floorRoute: 'GET /bench/floor/everything/{id}' },
        { key: 'walk', title: `$everything, every page (_count=${settings.pageSize})`, route: `GET /fhir/R4/Patient/{id}/$everything?_count=${settings.pageSize}&_cursor=…`, floorRoute: `GET /bench/floor/everything/{id}?_count=${settings.pageSize}&_cursor=…` },
      ];
      report.cases = cases.filter((c) => only.has(c.key));
      const unitsFor = (requestsPerUnit: number) => Math.max(1, Math.ceil(settings.requests / requestsPerUnit));
      const repeat = (path: string) => Array.from({ length: Math.min(BLOCK, settings.requests) }, () => path);
      for (const c of report.cases) {
        try {
          console.log(`\n▶ ${c.title}`);
          let real: string[];
          let floor: string[];
          if (c.key === 'section') {
            const first = (await probeJson(client, `/api/patients/${id}/chart`, 'the chart'))['results'] as Section;
            if (!first.next) throw new Error('the first screen holds every result: there is no second page to measure');
            const query = `?before=${encodeURIComponent(first.next)}`;
            const page = await probeSame(client, `/api/patients/${id}/chart/results${query}`, `/bench/floor/chart/${id}/results${query}`, 'results page');
            const counts = sectionCounts(page as unknown as Section);
            c.answer = `${(page as unknown as Section).items.length} entries (${counts.facts} facts with the reports' observations) of ${counts.total.toLocaleString('en-US')}`;
            real = repeat(`/api/patients/${id}/chart/results${query}`);
            floor = repeat(`/bench/floor/chart/${id}/results${query}`);
          } else if (c.key === 'chart') {
            const chart = await probeSame(client, `/api/patients/${id}/chart`, `/bench/floor/chart/${id}`, 'chart');
            c.answer = chartCounts(chart);
            real = repeat(`/api/patients/${id}/chart`);
            floor = repeat(`/bench/floor/chart/${id}`);
          } else if (c.key === 'everything') {
            const page = await probeSame(client, `/fhir/R4/Patient/${id}/$everything`, `/bench/floor/everything/${id}`, '$everything');
            c.answer = `${(page.entry as unknown[] | undefined)?.length ?? 0} entries of ${Number(page.total).toLocaleString('en-US')}`;
            real = repeat(`/fhir/R4/Patient/${id}/$everything`);
            floor = repeat(`/bench/floor/everything/${id}`);
          } else {
            // Walk the real route by its `next` links once, checking each page against the floor's.
            real = [];
            floor = [];
            let next: string | undefined = `/fhir/R4/Patient/${id}/$everything?_count=${settings.pageSize}`;
            let entries = 0;
            let total = 0;
            while (next) {
              const floorPath = `/bench/floor/everything/${id}${new URL(next, vigil.url).search}`;
              const page = await probeSame(client, next, floorPath, `$everything page ${real.length + 1}`);
              real.push(next);
              floor.push(floorPath);
              entries += (page.entry as unknown[] | undefined)?.length ?? 0;
              total = Number(page.total);
              const link = (page.link as { relation: string; url: string }[]).find((l) => l.relation === 'next');
              next = link ? new URL(link.url).pathname + new URL(link.url).search : undefined;
              if (real.length > 200) throw new Error('more than 200 pages: the next links do not end');
            }
            if (entries !== total) throw new Error(`following every next link gave ${entries} entries, the Bundle says ${total}`);
            c.pages = real.length;
            c.answer = `${total.toLocaleString('en-US')} entries in ${real.length} pages`;
          }
          console.log(`  checked: the real answer and the floor's are the same JSON (${c.answer})`);
          const walk = c.key === 'walk';
          const perUnit = Math.max(real.length, floor.length);
          const units = unitsFor(perUnit);
          const measured = await measurePair(
            client,
            real,
            diagnostic ? [] : floor,
            {
              units,
              warmupUnits: walk ? (settings.warmup > 0 ? 1 : 0) : Math.ceil(settings.warmup / perUnit),
              walk,
              beforeMeasuring: async () => {
                if (pgStatements) await resetStatements(cluster!.url);
              },
            },
            pids,
          );
          if (pgStatements) await printStatements(cluster!.url, units * perUnit, c.title);
          if (measured.real) c.real = measured.real;
          if (measured.floor) c.floor = measured.floor;
          for (const [label, side] of [['real ', c.real], ['floor', c.floor]] as const) {
            if (!side) continue;
            if (walk) console.log(`  ${label}: median of the first page ${side.firstPageMs?.toFixed(1)} ms, of the second ${side.secondPageMs?.toFixed(1)} ms, of the last ${side.lastPageMs?.toFixed(1)} ms`);
            console.log(
              `  ${label}: ${side.requests} requests, p50 ${side.p50.toFixed(1)} ms, p95 ${side.p95.toFixed(1)} ms, p99 ${side.p99.toFixed(1)} ms, max ${side.max.toFixed(1)} ms, ` +
                `${Math.round(side.bytesPerAnswer / 1024)} KiB, CPU per request: Vigil ${side.vigilCpuMs.toFixed(1)} ms, PostgreSQL ${side.postgresCpuMs.toFixed(1)} ms${side.non200 ? `, ${side.non200} not 200` : ''}`,
            );
          }
          if (c.floor) {
            const steps = Object.entries(c.floor.steps).map(([name, v]) => `${name} ${v.toFixed(1)}`).join(', ');
            console.log(`  floor steps (mean ms per request): ${steps}`);
          }
          if ((c.real?.non200 ?? 0) > 0 || (c.floor?.non200 ?? 0) > 0) failed = true;
          if (c.real) console.log(`  goal p99 < ${GOAL_P99_MS} ms: ${c.real.p99 < GOAL_P99_MS ? 'met' : 'not met'}`);
        } catch (err) {
          c.error = errorText(err);
          failed = true;
          console.log(`  failed: ${c.error}`);
        }
      }
    } finally {
      client.close();
      report.stoppedCleanly = await vigil.stop();
    }
  } catch (err) {
    report.error = errorText(err);
    failed = true;
    console.log(`failed: ${report.error}`);
  } finally {
    cleanUp();
  }
  return finish(failed ? 1 : 0);
}

process.exitCode = await main();
clearTimeout(watchdog);
