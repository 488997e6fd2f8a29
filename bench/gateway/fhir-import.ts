/**
 * Goal 4 of the integration issue: FHIR Bundle import ≥ 3,000 resources/s. Two figures, on a PostgreSQL cluster of
 * its own (default settings, fsync on):
 *   1. accepted durably: K concurrent senders post Synthea patient transaction Bundles (fresh ids per copy, see
 *      fhir-bundles.ts) to `POST /fhir/R4` of one `vigil start --role api` with a system client's bearer token; a
 *      resource counts when the 202 for its Bundle arrives (the Bundle is archived and committed by then);
 *   2. normalized: then N `vigil start --role worker` processes (`--workers`, 2 by default: the goal is for 2 cores,
 *      as the HL7 drain's) work that inbox, and the resources of the Bundles they finished (state `processed`:
 *      patient, encounters, facts, audit all committed) are counted per second.
 * Peers in the same run: the same Bundles through `JSON.parse` alone on one core (the parse ceiling), and the
 * published FHIR server benchmark the issue cites (764 to 2,678 resources/s for leading servers on larger machines).
 * Writes the "gateway-fhir" section of bench/RESULTS.md.
 *
 *   node --import tsx bench/gateway/fhir-import.ts [--connections 1,4,16] [--seconds 8] [--warmup-seconds 2]
 *        [--drain-seconds 60] [--workers 2] [--no-drain] [--no-write]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { mapFhirPayload } from '../../src/adapters/fhir/index.ts';
import { parseSourceProfile } from '../../src/adapters/source-profile-parse.ts';
import { SourceRegistry } from '../../src/gateway/sources.ts';
import { migrate } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/store.ts';
import { systemClientToken } from '../../test/support/client-token.ts';
import { describeMachine, loadAverage, type MachineDescription } from '../machine.ts';
import { upsertSection } from '../results-sections.ts';
import { cpuMeter, processCpuSeconds, selfCpuSeconds } from '../support/cpu.ts';
import { BundleSupply } from './fhir-bundles.ts';
import { percentile } from './mllp-load.ts';
import { postgresBinDir } from '../../test/support/pg-cluster.ts';
import { startBenchCluster, type BenchCluster } from './pg-cluster.ts';
import { benchVigilEnv, killAllVigil, startVigilProcess, warningSummary, type VigilProcess } from './vigil-processes.ts';

const RESULTS_FILE = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
const GOAL = 3_000;
/** The published benchmark the issue names as the peer: leading FHIR servers, larger machines. */
const PUBLISHED_PEER = '764 to 2,678 resources/s';
const CLIENT_ID = 'bench-ehr-fhir';

export interface ImportCase {
  connections: number;
  bundles: number;
  resources: number;
  measuredSeconds: number;
  resourcesPerSecond: number;
  bundlesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  statuses: Record<string, number>;
  /** CPU seconds per part over warm-up and measured period, and the Bundles of both. */
  cpu: Record<string, number>;
  totalBundles: number;
  totalResources: number;
}

export interface DrainFigures {
  /** How many `--role worker` processes worked the inbox together. */
  workers: number;
  seconds: number;
  ended: 'drained' | 'time limit';
  bundles: number;
  resources: number;
  facts: number;
  patients: number;
  resourcesPerSecond: number;
  factsPerSecond: number;
  states: Record<string, number>;
  cpu: Record<string, number>;
  warnings: string[];
}

export interface FhirImportResult {
  date: Date;
  command: string;
  machine: MachineDescription;
  load: { before: number; after: number };
  postgres: { version: string; durability: string };
  corpus: { files: number; meanEntries: number; meanBytes: number };
  parsePeer: { resourcesPerSecond: number; bundlesPerSecond: number };
  mapCheck: { resourcesPerSecond: number; bundlesPerSecond: number };
  cases: ImportCase[];
  drain?: DrainFigures | { error: string };
  apiWarnings: string[];
  totalSeconds: number;
}

interface LoadSettings {
  url: string;
  token: string;
  connections: number;
  warmupMs: number;
  durationMs: number;
  supply: BundleSupply;
  meter: Record<string, () => number | undefined>;
}

/** K senders, each posting one Bundle and waiting for the answer before the next, for warm-up + duration. */
async function postBundles(s: LoadSettings): Promise<ImportCase> {
  const meter = cpuMeter(s.meter);
  const started = performance.now();
  const measureFrom = started + s.warmupMs;
  const stopAt = measureFrom + s.durationMs;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let resources = 0;
  let totalBundles = 0;
  let totalResources = 0;
  const sender = async () => {
    for (;;) {
      const copy = s.supply.next();
      const sentAt = performance.now();
      if (sentAt >= stopAt) return;
      let status: string;
      try {
        const response = await fetch(`${s.url}/fhir/R4`, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/fhir+json' }, body: copy.body });
        await response.arrayBuffer();
        status = String(response.status);
      } catch (err) {
        status = `error: ${err instanceof Error ? err.message : String(err)}`;
      }
      totalBundles++;
      if (status === '202') totalResources += copy.entries;
      if (sentAt < measureFrom) continue;
      latencies.push(performance.now() - sentAt);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status === '202') resources += copy.entries;
    }
  };
  await Promise.all(Array.from({ length: s.connections }, sender));
  const cpu = meter.read();
  const measuredSeconds = (Math.max(performance.now(), stopAt) - measureFrom) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    connections: s.connections,
    bundles: latencies.length,
    resources,
    measuredSeconds,
    resourcesPerSecond: resources / measuredSeconds,
    bundlesPerSecond: (statuses['202'] ?? 0) / measuredSeconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    statuses,
    cpu,
    totalBundles,
    totalResources,
  };
}

/** One core doing one step to the same Bundles, nothing else, for `ms`. */
function rateOf(supply: BundleSupply, step: (body: string, parsed: unknown) => void, ms = 2_000): { resourcesPerSecond: number; bundlesPerSecond: number } {
  const bundles = supply.originals().map((b) => ({ ...b, parsed: JSON.parse(b.body) as unknown }));
  let n = 0;
  let resources = 0;
  const started = performance.now();
  while (performance.now() - started < ms) {
    const b = bundles[n++ % bundles.length]!;
    step(b.body, b.parsed);
    resources += b.entries;
  }
  const seconds = (performance.now() - started) / 1000;
  return { resourcesPerSecond: resources / seconds, bundlesPerSecond: n / seconds };
}

/** JSON.parse alone: the ceiling of any JSON intake on this machine. */
const parsePeer = (supply: BundleSupply) => rateOf(supply, (body) => JSON.parse(body));

/** The intake's map check alone (what decides 202 or 400/422), on already parsed Bundles: its share of the server's CPU. */
function mapCheckRate(supply: BundleSupply): { resourcesPerSecond: number; bundlesPerSecond: number } {
  const profile = parseSourceProfile({ timeZone: 'America/New_York' });
  return rateOf(supply, (_, parsed) => mapFhirPayload(parsed, { profile, sourceId: '00000000-0000-7000-8000-000000000000', now: new Date() }));
}

async function counts(client: pg.Client): Promise<{ open: number; bundles: number; resources: number; facts: number; patients: number }> {
  const { rows } = await client.query<{ open: string; bundles: string; resources: string | null; facts: string; patients: string }>(`
    SELECT (SELECT count(*) FROM gateway_messages WHERE state IN ('received', 'retrying')) AS open,
           (SELECT count(*) FROM gateway_messages WHERE state = 'processed') AS bundles,
           (SELECT sum((e.detail->>'entries')::int) FROM gateway_messages m
              JOIN gateway_message_events e ON e.message_id = m.id AND e.step = 'received' WHERE m.state = 'processed') AS resources,
           (SELECT count(*) FROM clinical_facts) AS facts,
           (SELECT count(*) FROM patients) AS patients`);
  const r = rows[0]!;
  return { open: Number(r.open), bundles: Number(r.bundles), resources: Number(r.resources ?? 0), facts: Number(r.facts), patients: Number(r.patients) };
}

/** Worker processes work the inbox the posts left; the clock starts once they are ready and stops when nothing is left. */
async function drainWithWorkers(cluster: BenchCluster, url: string, env: Record<string, string>, limitMs: number, count: number): Promise<DrainFigures> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const workers: VigilProcess[] = [];
  try {
    workers.push(...(await Promise.all(Array.from({ length: count }, (_, i) => startVigilProcess({ role: 'worker', env: { ...env, VIGIL_WORKER_POLL_MS: '100' }, name: `fhir-worker-${i + 1}` })))));
    const meter = cpuMeter({ workers: () => workers.reduce((sum, w) => sum + (processCpuSeconds(w.pid) ?? 0), 0), postgres: cluster.cpuSeconds });
    const before = await counts(client);
    const started = performance.now();
    let now = before;
    let ended: DrainFigures['ended'] = 'time limit';
    while (performance.now() - started < limitMs) {
      await new Promise((r) => setTimeout(r, 250));
      now = await counts(client);
      if (now.open === 0) {
        ended = 'drained';
        break;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = meter.read();
    await Promise.all(workers.map((w) => w.stop()));
    const { rows } = await client.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM gateway_messages GROUP BY state ORDER BY state');
    const resources = now.resources - before.resources;
    const facts = now.facts - before.facts;
    return {
      workers: count,
      seconds,
      ended,
      bundles: now.bundles - before.bundles,
      resources,
      facts,
      patients: now.patients - before.patients,
      resourcesPerSecond: resources / seconds,
      factsPerSecond: facts / seconds,
      states: Object.fromEntries(rows.map((r) => [r.state, Number(r.n)])),
      cpu,
      warnings: warningSummary(workers),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await client.end();
  }
}

export interface FhirImportSettings {
  connections: number[];
  warmupMs: number;
  durationMs: number;
  drainMs: number | undefined;
  /** Worker processes for the normalized part. */
  workers: number;
  command: string;
}

export async function runFhirImportBench(s: FhirImportSettings): Promise<FhirImportResult> {
  const began = performance.now();
  const date = new Date();
  const machine = describeMachine();
  const loadBefore = loadAverage();
  const supply = new BundleSupply();
  const workDir = mkdtempSync(join(tmpdir(), 'vigil-fhir-bench-'));
  let cluster: BenchCluster | undefined;
  let api: VigilProcess | undefined;
  try {
    console.log('starting a throwaway PostgreSQL cluster (default settings, fsync on)');
    cluster = await startBenchCluster();
    const database = 'fhir_import';
    await cluster.createDatabase(database);
    const url = cluster.urlOf(database);
    const store = await openStore({ databaseUrl: url, poolSize: 1 });
    try {
      await migrate(store, { allowDestructive: true, guardDestructive: false });
      await store.tx((trx) => new SourceRegistry().add(trx, { name: 'bench-ehr', kind: 'fhir', clientId: CLIENT_ID, profile: { timeZone: 'America/New_York' } }, { actorName: 'fhir-import-bench' }));
    } finally {
      await store.close();
    }
    const env = benchVigilEnv(url, randomBytes(32).toString('base64'), join(workDir, 'data'));
    api = await startVigilProcess({ role: 'api', env, name: 'fhir-api' });
    const base = `http://127.0.0.1:${api.httpPort}`;
    const tokenStore = await openStore({ databaseUrl: url, poolSize: 1 });
    let token: string;
    try {
      token = await systemClientToken(tokenStore, base, CLIENT_ID, ['system/Bundle.write']);
    } finally {
      await tokenStore.close();
    }
    const peer = parsePeer(supply);
    const mapCheck = mapCheckRate(supply);
    console.log(`peer: JSON.parse alone ${Math.round(peer.resourcesPerSecond).toLocaleString('en-US')} resources/s on one core; the map check alone ${Math.round(mapCheck.resourcesPerSecond).toLocaleString('en-US')}`);
    const cases: ImportCase[] = [];
    const apiPid = api.pid;
    const clusterCpu = cluster.cpuSeconds;
    for (const k of s.connections) {
      const c = await postBundles({ url: base, token, connections: k, warmupMs: s.warmupMs, durationMs: s.durationMs, supply, meter: { server: () => processCpuSeconds(apiPid), postgres: clusterCpu, client: selfCpuSeconds } });
      const cpuPerResource = Object.entries(c.cpu).map(([part, sec]) => `${part} ${Math.round((sec * 1e6) / Math.max(1, c.totalResources))}`).join(' + ');
      console.log(`  ${k} sender(s): ${Math.round(c.resourcesPerSecond).toLocaleString('en-US')} resources/s (${c.bundlesPerSecond.toFixed(1)} Bundles/s), p50 ${c.p50Ms.toFixed(1)} ms, p99 ${c.p99Ms.toFixed(1)} ms; ${cpuPerResource} µs CPU/resource; ${JSON.stringify(c.statuses)}`);
      cases.push(c);
    }
    const apiWarnings = warningSummary([api]);
    let drain: FhirImportResult['drain'];
    if (s.drainMs !== undefined) {
      console.log(`${s.workers} worker(s) normalizing the inbox (at most ${s.drainMs / 1000} s)`);
      try {
        drain = await drainWithWorkers(cluster, url, env, s.drainMs, s.workers);
        console.log(`  ${Math.round(drain.resourcesPerSecond).toLocaleString('en-US')} resources/s normalized (${drain.bundles} Bundles, ${drain.facts} facts in ${drain.seconds.toFixed(1)} s, ${drain.ended})`);
      } catch (err) {
        drain = { error: err instanceof Error ? err.message : String(err) };
        console.log(`  failed: ${drain.error}`);
      }
    }
    return {
      date,
      command: s.command,
      machine,
      load: { before: loadBefore, after: loadAverage() },
      postgres: { version: cluster.version, durability: cluster.durability },
      corpus: supply.describe(),
      parsePeer: peer,
      mapCheck,
      cases,
      ...(drain ? { drain } : {}),
      apiWarnings,
      totalSeconds: (performance.now() - began) / 1000,
    };
  } finally {
    await api?.stop();
    cluster?.destroy();
    rmSync(workDir, { recursive: true, force: true });
  }
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '—');

function cpuPerResource(cpu: Record<string, number>, resources: number): { cell: string; total: number } {
  const parts = Object.values(cpu).map((sec) => (sec * 1e6) / Math.max(1, resources));
  const total = parts.reduce((a, b) => a + b, 0);
  return { cell: `${parts.map(int).join(' + ')} = ${int(total)}`, total };
}

const workersText = (n: number) => (n === 1 ? 'one worker' : `${n} workers`);

export function renderFhirImport(r: FhirImportResult): string {
  const m = r.machine;
  const best = [...r.cases].sort((a, b) => b.resourcesPerSecond - a.resourcesPerSecond)[0];
  const drain = r.drain && !('error' in r.drain) ? r.drain : undefined;
  const out = [
    '## Gateway: FHIR Bundle import',
    '',
    `Written by \`${r.command}\` on ${r.date.toISOString()} (${m.cpuModel}, ${m.cores} cores, ${m.totalMemoryGiB} GiB, Node ${m.node}, commit ${m.commit}; ` +
      `1-min load ${r.load.before} → ${r.load.after}; the run took ${Math.round(r.totalSeconds)} s). PostgreSQL: ${r.postgres.version}, a throwaway cluster with default settings (${r.postgres.durability}).`,
    '',
    `Payloads: the ${r.corpus.files} Synthea patient transaction Bundles of the shared corpus (${r.corpus.meanEntries.toFixed(0)} entries and ${int(r.corpus.meanBytes / 1024)} KiB each on average: ` +
      'Patient, Encounter, Observation, Condition, Claim, ExplanationOfBenefit…), copied over and over with fresh ids and patient identifiers so that no copy is a repeat. ' +
      'Each sender posts one Bundle to `POST /fhir/R4` of one `vigil start --role api` with a system client\'s bearer token and waits for the answer before the next. ' +
      'A resource counts as accepted when the 202 for its Bundle arrives: the exact bytes are archived (encrypted) and committed by then.',
  ];
  if (r.load.before > 1) {
    out.push('', `> The 1-minute load average was ${r.load.before} when the run began: other work shared the 2 cores. The CPU per resource is the steadier figure.`);
  }
  out.push('', '| goal | target | this run | verdict |', '|---|---|---|---|');
  if (best) {
    out.push(`| 4a. FHIR Bundle import, accepted durably (202) | ≥ ${int(GOAL)} resources/s | ${int(best.resourcesPerSecond)} resources/s (${best.connections} senders, p99 ${ms(best.p99Ms)} ms per Bundle) | ${best.resourcesPerSecond >= GOAL ? '**met**' : '**not met**'} |`);
  }
  if (drain) {
    out.push(`| 4b. FHIR Bundle import, normalized by ${workersText(drain.workers)} | ≥ ${int(GOAL)} resources/s | ${int(drain.resourcesPerSecond)} resources/s (${int(drain.factsPerSecond)} facts/s; ${drain.ended}) | ${drain.resourcesPerSecond >= GOAL ? '**met**' : '**not met**'} |`);
  } else out.push(`| 4b. FHIR Bundle import, normalized | ≥ ${int(GOAL)} resources/s | ${r.drain ? `failed: ${(r.drain as { error: string }).error}` : 'not run'} | not measured |`);
  out.push(
    '',
    '### Accepted durably (`--role api`, no worker running)',
    '',
    `Per case ${r.cases[0] ? r.cases[0].measuredSeconds.toFixed(0) : '—'} s measured after a warm-up; latency from the start of the POST to the end of the answer. CPU per resource: each process's CPU time over warm-up and measured period divided by the resources of both ("client" is this bench, which also makes the copies).`,
    '',
    '| senders | resources/s | Bundles/s | p50 ms | p99 ms | max ms | answers | CPU µs/resource: server + PostgreSQL + client | CPU bound, resources/s |',
    '|---:|---:|---:|---:|---:|---:|---|---:|---:|',
  );
  for (const c of r.cases) {
    const cpu = cpuPerResource(c.cpu, c.totalResources);
    out.push(`| ${c.connections} | **${int(c.resourcesPerSecond)}** | ${c.bundlesPerSecond.toFixed(1)} | ${ms(c.p50Ms)} | ${ms(c.p99Ms)} | ${ms(c.maxMs)} | ${Object.entries(c.statuses).map(([k, n]) => `${k} ${int(n)}`).join(', ')} | ${cpu.cell} | ${cpu.total > 0 ? int((m.cores * 1e6) / cpu.total) : '—'} |`);
  }
  out.push(
    `| peer: \`JSON.parse\` of the same Bundles, one core, nothing else | ${int(r.parsePeer.resourcesPerSecond)} | ${r.parsePeer.bundlesPerSecond.toFixed(1)} | | | | | | |`,
    `| part: the intake's map check alone (\`mapFhirPayload\`, parsed Bundles), one core | ${int(r.mapCheck.resourcesPerSecond)} | ${r.mapCheck.bundlesPerSecond.toFixed(1)} | | | | | ${int(1e6 / r.mapCheck.resourcesPerSecond)} (server only) | |`,
    `| peer: the published FHIR server benchmark cited in the issue (leading servers, larger machines) | ${PUBLISHED_PEER} | | | | | | | |`,
  );
  if (best) {
    const serverUs = (best.cpu.server! * 1e6) / Math.max(1, best.totalResources);
    out.push(
      '',
      `What this shows: at ${best.connections} senders the api process spends ${int(serverUs)} µs of CPU per resource, of which the map check (run at intake to answer 400/422 at once) is about ${int(1e6 / r.mapCheck.resourcesPerSecond)} µs; ` +
        'storing a Bundle is one row and one statement whatever its size, and posts arriving together share a commit, so PostgreSQL\'s share is small. ' +
        `The "CPU bound" column is the rate ${m.cores} cores would allow these processes alone; the measured rate is lower when other work shares the cores.`,
    );
  }
  if (r.apiWarnings.length) out.push('', `The api process logged warnings: ${r.apiWarnings.join(', ')}.`);
  out.push('', `### Normalized (\`--role worker\` × ${drain ? drain.workers : '—'})`, '');
  if (drain) {
    const cpu = cpuPerResource(drain.cpu, drain.resources);
    out.push(
      `Then ${workersText(drain.workers)} (batch 32, poll 100 ms) worked the Bundles the posts left in the inbox; the clock ran from the moment they were ready until no Bundle was left to work, or the bench's limit. ` +
        `A Bundle counts when its state is \`processed\` (patients resolved, encounters and fact versions with provenance, audit events, all committed), and its resources with it.`,
      '',
      '| seconds | ended | Bundles | resources | resources/s | facts written | facts/s | patients | CPU µs/resource: workers + PostgreSQL | inbox afterwards |',
      '|---:|---|---:|---:|---:|---:|---:|---:|---:|---|',
      `| ${drain.seconds.toFixed(1)} | ${drain.ended} | ${int(drain.bundles)} | ${int(drain.resources)} | **${int(drain.resourcesPerSecond)}** | ${int(drain.facts)} | ${int(drain.factsPerSecond)} | ${int(drain.patients)} | ${cpu.cell} | ${Object.entries(drain.states).map(([k, n]) => `${k} ${int(n)}`).join(', ')} |`,
    );
    if (drain.warnings.length) out.push('', `The workers logged warnings: ${drain.warnings.join(', ')}.`);
  } else out.push(r.drain ? `Failed: ${(r.drain as { error: string }).error}.` : 'Not run (`--no-drain`).');
  return out.join('\n');
}

async function main(): Promise<number> {
  const { values: args } = parseArgs({
    options: {
      connections: { type: 'string', default: '1,4,16' },
      seconds: { type: 'string', default: '8' },
      'warmup-seconds': { type: 'string', default: '2' },
      'drain-seconds': { type: 'string', default: '60' },
      workers: { type: 'string', default: '2' },
      'no-drain': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const number = (name: string, raw: string, min: number, max: number) => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max} (got "${raw}")`);
    return n;
  };
  const connections = args.connections.split(',').map((x) => Math.round(number('connections', x.trim(), 1, 64)));
  if (!postgresBinDir()) {
    console.log('Not measured: this bench starts a PostgreSQL cluster of its own and found no server binaries under /usr/lib/postgresql.');
    return 0;
  }
  const result = await runFhirImportBench({
    connections,
    warmupMs: number('warmup-seconds', args['warmup-seconds'], 0, 60) * 1000,
    durationMs: number('seconds', args.seconds, 1, 120) * 1000,
    drainMs: args['no-drain'] ? undefined : number('drain-seconds', args['drain-seconds'], 5, 1800) * 1000,
    workers: Math.round(number('workers', args.workers, 1, 16)),
    command: `node --import tsx bench/gateway/fhir-import.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
  });
  if (!args['no-write']) {
    upsertSection(RESULTS_FILE, 'gateway-fhir', renderFhirImport(result));
    console.log(`wrote the gateway-fhir section of ${RESULTS_FILE}`);
  }
  return result.cases.length > 0 ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.on('exit', killAllVigil);
  let code = 1;
  try {
    code = await main();
  } catch (err) {
    console.log(`FHIR import bench failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(code);
}
