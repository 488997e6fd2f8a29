/**
 * The gateway benchmarks of the integration issue, on a PostgreSQL cluster of their own:
 *   1. MLLP to durable ACK (`--role api`, K connections), against single-row autocommit INSERTs and a bare MLLP echo;
 *   2. fully normalized throughput (`--role worker` × 1, 2, 4 draining one inbox), against an in-process processor
 *      with batch size 1 and the default;
 *   3. memory of the api and worker processes over a soak at half the peak rate of 1;
 *   4. FHIR Bundle import: measured by bench/gateway/fhir-import.ts, which writes a section of its own.
 * Writes the "gateway" section of bench/RESULTS.md; a run of benchmark 1 alone (`--only receive`) replaces only its
 * part and goal row there, keeping the normalization and soak figures of the last full run. Bounded: about 8 to 9 minutes with the defaults, 17 with a 10-minute soak.
 *
 *   node --import tsx bench/gateway/run.ts [--soak-minutes 2] [--seconds 8] [--warmup-seconds 2]
 *        [--connections 1,8,32] [--workers 1,2,4] [--drain-messages 20000] [--drain-seconds 45] [--only receive,drain,soak]
 *        [--soak-rate N] [--profile DIR] [--pg-statements] [--pg-socket]
 *
 * --profile DIR runs the api (bench 1) and the workers (bench 2) under `node --cpu-prof`, writes their profiles to DIR
 * and does not touch RESULTS.md (profiling slows what it measures); summarize them with bench/gateway/profile-summary.ts.
 * --pg-statements loads pg_stat_statements and prints, per case, the statements per message and the server's time in
 * planning and executing them, and the statements a worker sends (its round trips); it too leaves RESULTS.md alone.
 * --pg-socket has the Vigil processes reach PostgreSQL over its Unix socket instead of TCP on loopback.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SourceRegistry } from '../../src/gateway/sources.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/store.ts';
import { describeMachine, loadAverage } from '../machine.ts';
import { upsertSection } from '../results-sections.ts';
import { killAllTargets } from '../target-process.ts';
import { runDrainBench } from './drain.ts';
import { postgresBinDir } from '../../test/support/pg-cluster.ts';
import { adminQuery, startBenchCluster, viaSocket, type BenchCluster } from './pg-cluster.ts';
import { runReceiveBench } from './receive.ts';
import { renderGateway, withReceivePart, type GatewayReport } from './report.ts';
import { runSoakBench } from './soak.ts';
import { BENCH_SOURCES, makeTraffic } from './traffic.ts';
import { benchVigilEnv, killAllVigil } from './vigil-processes.ts';

const RESULTS_FILE = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
const RAW_FILE = fileURLToPath(new URL('../results/gateway.json', import.meta.url));
const TEMPLATE = 'gw_template';
/** Messages per simulated patient with ADT and lab (measured on the bench seed): sizes the plan for --drain-messages. */
const MESSAGES_PER_PATIENT = 7.09;
const DEFAULT_BATCH_SIZE = 32;

const { values: args } = parseArgs({
  options: {
    'soak-minutes': { type: 'string', default: '2' },
    seconds: { type: 'string', default: '8' },
    'warmup-seconds': { type: 'string', default: '2' },
    connections: { type: 'string', default: '1,8,32' },
    workers: { type: 'string', default: '1,2,4' },
    'drain-messages': { type: 'string', default: '20000' },
    'drain-seconds': { type: 'string', default: '45' },
    only: { type: 'string', default: 'receive,drain,soak' },
    'soak-rate': { type: 'string' },
    profile: { type: 'string' },
    'pg-statements': { type: 'boolean', default: false },
    'pg-socket': { type: 'boolean', default: false },
  },
});

function number(name: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max} (got "${raw}")`);
  return n;
}
const list = (name: string, raw: string, max: number) => raw.split(',').map((x) => Math.round(number(name, x.trim(), 1, max)));

const soakMinutes = number('soak-minutes', args['soak-minutes'], 0.5, 60);
const seconds = number('seconds', args.seconds, 1, 120);
const warmupSeconds = number('warmup-seconds', args['warmup-seconds'], 0, 60);
const connectionCounts = list('connections', args.connections, 200);
const workerCounts = list('workers', args.workers, 16);
const drainMessages = number('drain-messages', args['drain-messages'], 500, 200_000);
const drainSeconds = number('drain-seconds', args['drain-seconds'], 5, 1800);
const only = new Set(args.only.split(',').map((s) => s.trim()));
for (const o of only) if (!['receive', 'drain', 'soak'].includes(o)) throw new Error(`--only takes receive, drain and soak (got "${o}")`);
const profileDir = args.profile ? resolve(args.profile) : undefined;
/**
 * Diagnostic runs (CPU profiles, statement statistics) change what they measure and leave RESULTS.md alone. A partial
 * run (--only) would replace the whole section with a part of it: only benchmark 1 alone has a part of its own to
 * replace (withReceivePart); other partial runs leave the file alone too.
 */
const partial = only.size < 3;
const receiveOnly = only.size === 1 && only.has('receive');
const diagnostic = profileDir !== undefined || args['pg-statements'] || partial;
/** The whole run stops by itself after this, whatever hangs: benches plus the soak plus a margin for setup. */
const HARD_LIMIT_MS = (12 + soakMinutes * 1.5 + (drainSeconds * workerCounts.length) / 60) * 60_000;

async function prepareTemplate(cluster: BenchCluster): Promise<void> {
  await cluster.createDatabase(TEMPLATE);
  const store = await openStore({ databaseUrl: cluster.urlOf(TEMPLATE), poolSize: 1 });
  try {
    await migrate(store, { allowDestructive: true, guardDestructive: false });
    await store.tx(async (trx) => {
      const registry = new SourceRegistry();
      for (const s of BENCH_SOURCES) await registry.add(trx, { name: s.name, kind: 'hl7v2', msh3: s.msh3, msh4: s.msh4, profile: s.profile }, { actorName: 'gateway-bench' });
    });
  } finally {
    await store.close();
  }
}

const errorOf = (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) });

async function main(): Promise<number> {
  const began = performance.now();
  const date = new Date();
  const machine = describeMachine();
  const loadBefore = loadAverage();
  console.log(`Gateway bench: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}; 1-min load ${loadBefore}`);
  if (loadBefore > 1) console.log('note: other work is using the CPU; the figures will understate this machine');

  if (!postgresBinDir()) {
    // Like `npm run bench` without DATABASE_URL: a machine without the server is not a failed measurement.
    const note = 'Not measured: the gateway bench starts a PostgreSQL cluster of its own and found no server binaries under /usr/lib/postgresql (Debian: `apt-get install -y postgresql`).';
    console.log(note);
    if (!diagnostic) upsertSection(RESULTS_FILE, 'gateway', `## Gateway: MLLP intake, normalization, memory\n\n${note} Last attempted ${date.toISOString()}.`);
    return 0;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'vigil-gw-bench-'));
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const abort = new AbortController();
  const started: { cluster?: BenchCluster } = {};
  const cleanUp = () => {
    killAllVigil();
    killAllTargets();
    started.cluster?.destroy();
    rmSync(workDir, { recursive: true, force: true });
  };
  // Last resort for any exit path, including an uncaught error: no process or cluster outlives the bench.
  process.on('exit', cleanUp);
  const onSignal = () => {
    console.log('\ninterrupted: stopping Vigil processes and removing the PostgreSQL cluster');
    cleanUp();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = setTimeout(() => {
    console.log(`\nthe run passed its limit of ${Math.round(HARD_LIMIT_MS / 60_000)} minutes: stopping`);
    abort.abort();
    setTimeout(() => {
      cleanUp();
      process.exit(1);
    }, 30_000).unref();
  }, HARD_LIMIT_MS);
  watchdog.unref();

  console.log('starting a throwaway PostgreSQL cluster (default settings, fsync on)');
  const cluster = await startBenchCluster({ statements: args['pg-statements'] });
  started.cluster = cluster;
  console.log(`  ${cluster.version} on 127.0.0.1:${cluster.port} (${cluster.durability})`);
  await prepareTemplate(cluster);
  if (cluster.statements) await adminQuery(cluster.urlOf(TEMPLATE), 'CREATE EXTENSION pg_stat_statements');
  const kek = randomBytes(32).toString('base64');
  const env = (databaseUrl: string) => benchVigilEnv(args['pg-socket'] ? viaSocket(databaseUrl, cluster.socketDir) : databaseUrl, kek, join(workDir, 'data'));

  const patients = Math.max(1, Math.round(drainMessages / MESSAGES_PER_PATIENT));
  const traffic = makeTraffic(patients);
  console.log(`traffic: ${traffic.messages.length.toLocaleString('en-US')} messages for ${patients} simulated patients, ${Math.round(traffic.meanBytes)} bytes on average (planned in ${traffic.planSeconds.toFixed(1)} s)`);

  const report: GatewayReport = {
    command: `node --import tsx bench/gateway/run.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    date,
    totalSeconds: 0,
    machine,
    load: { before: loadBefore, after: 0 },
    postgres: { version: cluster.version, durability: cluster.durability },
    traffic,
    fhir: 'measured by `node --import tsx bench/gateway/fhir-import.ts`: section "Gateway: FHIR Bundle import"',
  };
  let failures = 0;

  try {
    if (only.has('receive') && !abort.signal.aborted) {
      console.log('\n▶ 1. MLLP to durable ACK');
      try {
        report.receive = await runReceiveBench({ cluster, template: TEMPLATE, traffic, env, connections: connectionCounts, warmupMs: warmupSeconds * 1000, durationMs: seconds * 1000, cpuProfileDir: profileDir, signal: abort.signal });
      } catch (err) {
        report.receive = errorOf(err);
        failures++;
        console.log(`  failed: ${report.receive.error}`);
      }
    }
    if (only.has('drain') && !abort.signal.aborted) {
      console.log('\n▶ 2. Fully normalized throughput');
      try {
        report.drain = await runDrainBench({
          cluster,
          template: TEMPLATE,
          traffic,
          env,
          kek,
          workerCounts,
          preloadConnections: 8,
          drainTimeoutMs: drainSeconds * 1000,
          peerSeconds: 20,
          defaultBatchSize: DEFAULT_BATCH_SIZE,
          pollMs: 100,
          cpuProfileDir: profileDir,
          signal: abort.signal,
        });
      } catch (err) {
        report.drain = errorOf(err);
        failures++;
        console.log(`  failed: ${report.drain.error}`);
      }
    }
    if (only.has('soak') && !abort.signal.aborted) {
      const peak = report.receive && 'cases' in report.receive ? Math.max(...report.receive.cases.map((x) => x.vigil.messagesPerSecond)) : undefined;
      const rate = args['soak-rate'] ? number('soak-rate', args['soak-rate'], 1, 100_000) : peak ? Math.round(peak / 2) : 500;
      console.log(`\n▶ 3. Memory over a ${soakMinutes}-minute soak at ${rate} msg/s (${peak ? 'half the peak of benchmark 1' : args['soak-rate'] ? '--soak-rate' : 'no peak measured in this run: 500 msg/s'}), after a 30 s warm-up`);
      try {
        report.soak = await runSoakBench({ cluster, template: TEMPLATE, traffic, env, rate, connections: 8, warmupMs: 30_000, soakMs: soakMinutes * 60_000, sampleMs: 5_000, signal: abort.signal });
      } catch (err) {
        report.soak = errorOf(err);
        failures++;
        console.log(`  failed: ${report.soak.error}`);
      }
    }
  } finally {
    cluster.destroy();
  }

  report.totalSeconds = (performance.now() - began) / 1000;
  report.load.after = loadAverage();
  if (abort.signal.aborted) failures++;
  const sectionNow = existsSync(RESULTS_FILE) ? /<!-- bench-section:gateway:start -->\n([\s\S]*?)<!-- bench-section:gateway:end -->/.exec(readFileSync(RESULTS_FILE, 'utf8'))?.[1] : undefined;
  const receivePart = receiveOnly && !profileDir && !args['pg-statements'] && sectionNow ? withReceivePart(sectionNow, report) : undefined;
  if (receivePart) {
    upsertSection(RESULTS_FILE, 'gateway', receivePart);
    console.log(`\nreplaced benchmark 1 (its part and goal row) in the gateway section of ${RESULTS_FILE}; the other parts are the last full run's`);
  } else if (diagnostic) {
    console.log(`\n${profileDir ? `CPU profiles in ${profileDir}; ` : ''}RESULTS.md left as it was: ${partial ? 'it holds complete runs only' : 'a diagnostic run is slower than a plain one'}`);
  } else {
    upsertSection(RESULTS_FILE, 'gateway', renderGateway(report));
    // The raw figures too (the plan's texts left out): RESULTS.md is shared by every bench and rewritten by each.
    mkdirSync(dirname(RAW_FILE), { recursive: true });
    writeFileSync(RAW_FILE, `${JSON.stringify({ ...report, traffic: { ...report.traffic, messages: report.traffic.messages.length } }, null, 2)}\n`);
    console.log(`\nwrote the gateway section of ${RESULTS_FILE} and ${RAW_FILE} (${Math.round(report.totalSeconds)} s)`);
  }
  return failures > 0 ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.log(`gateway bench failed: ${err instanceof Error ? err.message : String(err)}`);
}
process.exit(code);
