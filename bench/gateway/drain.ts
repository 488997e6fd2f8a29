import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ArchiveKeys } from '../../src/controls/keys/archive-keys.ts';
import { LocalKeyring } from '../../src/controls/keys/keyring.ts';
import { GatewayProcessor } from '../../src/gateway/processor.ts';
import { SourceRegistry } from '../../src/gateway/sources.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { defaultMatchEngine } from '../../src/runtime/match-engine.ts';
import { openStore } from '../../src/store/store.ts';
import { cpuMeter, processCpuSeconds, selfCpuSeconds } from '../support/cpu.ts';
import { measureAdapterFloor, type AdapterFloor } from './adapter-floor.ts';
import { sendInOrder } from './mllp-load.ts';
import { measureRowFloor, type RowFloor } from './row-floor.ts';
import { adminQuery, printStatements, resetStatements, type BenchCluster } from './pg-cluster.ts';
import type { Traffic } from './traffic.ts';
import { startVigilProcess, warningSummary, type VigilProcess } from './vigil-processes.ts';

/**
 * Goal 2: fully normalized throughput. The plan's messages are received once through a `--role api` process into a
 * seed database, exactly as a sender would leave them. For each worker count the seed is cloned (CREATE DATABASE …
 * TEMPLATE) and the bench holds a row lock on every waiting message (SELECT … FOR UPDATE in an open transaction):
 * the workers' claim skips locked rows, so they start, connect and poll without taking anything. Rolling that
 * transaction back makes the whole inbox claimable at once, unchanged (a row lock makes no new row version), and
 * the clock runs from there until no message is left to work. So every count starts from the same inbox, and
 * process start-up (tsx loading the sources) is not timed.
 *
 * Peer: the same inbox worked by one GatewayProcessor in the bench process, batch size 1 against the default, for a
 * bounded time: what claiming a batch per transaction buys.
 */
const SEED = 'gw_drain_seed';
const POLL_MS = 200;
/**
 * The steady part of a drain starts once this share of the inbox is processed. A worker that has just started runs
 * unoptimized code: V8's optimizing compiler took 23% of the workers' CPU in a 20,000-message drain and 6% in a
 * 34,000-message one (perf record). A worker in service runs for days, so its rate is the one measured after that.
 */
const WARM_SHARE = 0.15;

export interface Verification {
  states: Record<string, number>;
  /** Messages with a number of `processed` timeline steps other than one (must be 0). */
  processedNotOnce: number;
  processedSteps: number;
  patients: number;
  facts: number;
  factVersions: number;
  applyAudits: number;
  /** Messages that went through `parked` at least once (lab results before their ADT, merges before the record). */
  parkedOnce: number;
  /** `processed` steps per worker id, to show every worker took a share. */
  byWorker: number[];
  /** Timeline steps that set a message back (retrying, dead letter, quarantine), by reason code. */
  setbacks: Record<string, number>;
}

/** How a drain ended: every message worked, the bench's time limit, or only parked messages left waiting. */
export type DrainEnd = 'drained' | 'time limit' | 'parked left' | 'aborted';

export interface DrainRun {
  workers: number;
  seconds: number;
  ended: DrainEnd;
  /** Messages in state `processed` when the clock stopped: the rate's numerator. */
  processed: number;
  /** CPU seconds of the worker processes and of PostgreSQL while the inbox drained. */
  cpu: Record<string, number>;
  /** What the workers' database sessions were doing, sampled at every poll. */
  waits: WaitSample[];
  messagesPerSecond: number;
  /** The same drain measured from the warm-up mark on (see WARM_SHARE); absent when the drain ended before it. */
  steady?: SteadyPart;
  /** The VACUUM ANALYZE of what the run wrote, measured after it (autovacuum is off during a drain). */
  vacuum?: VacuumDebt;
  verification: Verification;
  warnings: string[];
}

/** A drain's part after its first messages: the rate and CPU of workers that have been running a while. */
export interface SteadyPart {
  /** Messages processed when the steady clock started. */
  after: number;
  seconds: number;
  processed: number;
  cpu: Record<string, number>;
  messagesPerSecond: number;
}

/**
 * What cleaning up after a run costs: a `VACUUM (ANALYZE)` of its database once the workers have stopped. The run
 * left dead row versions (every inbox row updated, facts superseded), pages without their all-visible bit and tables
 * without fresh statistics; a service's autovacuum does that work while messages flow, on the same cores.
 */
export interface VacuumDebt {
  seconds: number;
  /** PostgreSQL's CPU seconds while it ran. */
  cpuSeconds: number;
  /** cpuSeconds over the messages the run processed. */
  microsPerMessage: number;
}

/**
 * A drain's rate with its vacuum charged: the vacuum's CPU would have come from the same saturated cores, so the rate
 * falls in the ratio of the run's CPU per message to that plus the vacuum's. Judged on the steady part when there is one.
 */
export function chargedRate(run: DrainRun): number {
  const part = run.steady ?? run;
  if (!run.vacuum) return part.messagesPerSecond;
  const cpu = (Object.values(part.cpu).reduce((a, b) => a + b, 0) * 1e6) / Math.max(1, part.processed);
  return cpu > 0 ? (part.messagesPerSecond * cpu) / (cpu + run.vacuum.microsPerMessage) : part.messagesPerSecond;
}

async function measureVacuum(url: string, cluster: BenchCluster, processed: number): Promise<VacuumDebt> {
  // One session, read while it is alive: a backend that has just ended may not be reaped yet, and its CPU would be
  // missed (a first version measured 5 µs a message that way, against 59-67 in the other runs).
  const client = new pg.Client({ connectionString: url, application_name: 'vigil-gateway-bench-vacuum' });
  await client.connect();
  try {
    const cpuBefore = cluster.cpuSeconds();
    const started = performance.now();
    await client.query('VACUUM (ANALYZE)');
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = cluster.cpuSeconds() - cpuBefore;
    return { seconds, cpuSeconds, microsPerMessage: (cpuSeconds * 1e6) / Math.max(1, processed) };
  } finally {
    await client.end();
  }
}

export interface PeerRun {
  batchSize: number;
  seconds: number;
  /** CPU seconds of the bench process (the processor) and PostgreSQL. */
  cpu: Record<string, number>;
  processed: number;
  messagesPerSecond: number;
  complete: boolean;
}

export interface DrainResult {
  messages: number;
  preload: { seconds: number; codes: Record<string, number>; errors: number; firstError: string | undefined; stored: Record<string, number> };
  runs: DrainRun[];
  peers: PeerRun[];
  /** The worker's own work on the same messages, without a database (adapter-floor.ts). */
  floor?: AdapterFloor;
  /** What PostgreSQL spends on the rows alone, measured in the database of the run with `workers` (row-floor.ts). */
  rowFloor?: RowFloor & { workers: number };
  defaultBatchSize: number;
  pollMs: number;
  timeLimitS: number;
  peerSeconds: number;
}

export interface DrainSettings {
  cluster: BenchCluster;
  template: string;
  traffic: Traffic;
  env: (databaseUrl: string) => Record<string, string>;
  kek: string;
  workerCounts: number[];
  preloadConnections: number;
  drainTimeoutMs: number;
  peerSeconds: number;
  defaultBatchSize: number;
  pollMs: number;
  cpuProfileDir: string | undefined;
  signal: AbortSignal;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function perMessage(cpu: Record<string, number>, messages: number): string {
  return messages === 0 ? '' : `${Object.entries(cpu).map(([part, sec]) => `${part} ${int((sec * 1e6) / messages)}`).join(' + ')} µs CPU/msg`;
}

async function workLeft(client: pg.Client): Promise<{ open: boolean; parked: boolean }> {
  const { rows } = await client.query<{ open: boolean; parked: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM gateway_messages WHERE state IN ('received', 'retrying')) AS open, EXISTS (SELECT 1 FROM gateway_messages WHERE state = 'parked') AS parked`,
  );
  return rows[0]!;
}

async function counts(client: pg.Client): Promise<{ open: number; parked: number; processed: number }> {
  const { rows } = await client.query<{ open: string; parked: string; processed: string }>(
    `SELECT count(*) FILTER (WHERE state IN ('received', 'retrying')) AS open, count(*) FILTER (WHERE state = 'parked') AS parked,
            count(*) FILTER (WHERE state = 'processed') AS processed FROM gateway_messages`,
  );
  return { open: Number(rows[0]!.open), parked: Number(rows[0]!.parked), processed: Number(rows[0]!.processed) };
}

export async function verify(url: string): Promise<Verification> {
  const n = async (text: string) => Number((await adminQuery<{ n: string }>(url, text))[0]!.n);
  const states = Object.fromEntries((await adminQuery<{ state: string; n: string }>(url, 'SELECT state, count(*) AS n FROM gateway_messages GROUP BY state ORDER BY state')).map((r) => [r.state, Number(r.n)]));
  const byWorker = (await adminQuery<{ n: string }>(url, `SELECT count(*) AS n FROM gateway_message_events WHERE step = 'processed' GROUP BY actor ORDER BY count(*) DESC`)).map((r) => Number(r.n));
  return {
    states,
    processedNotOnce: await n(`SELECT count(*) AS n FROM (SELECT m.id FROM gateway_messages m LEFT JOIN gateway_message_events e ON e.message_id = m.id AND e.step = 'processed'
                               WHERE m.state = 'processed' GROUP BY m.id HAVING count(e.id) <> 1) x`),
    processedSteps: await n(`SELECT count(*) AS n FROM gateway_message_events WHERE step = 'processed'`),
    patients: await n('SELECT count(*) AS n FROM patients'),
    facts: await n('SELECT count(*) AS n FROM clinical_facts'),
    factVersions: await n('SELECT count(*) AS n FROM clinical_fact_versions'),
    applyAudits: await n(`SELECT count(*) AS n FROM audit.events WHERE action = 'gateway.message.apply'`),
    parkedOnce: await n(`SELECT count(DISTINCT message_id) AS n FROM gateway_message_events WHERE step = 'parked'`),
    byWorker,
    setbacks: Object.fromEntries(
      (await adminQuery<{ what: string; n: string }>(url, `SELECT step || ' ' || coalesce(detail->>'reason_code', '?') AS what, count(*) AS n FROM gateway_message_events WHERE step IN ('retrying', 'dead-letter', 'quarantined') GROUP BY 1 ORDER BY 2 DESC`)).map((r) => [r.what, Number(r.n)]),
    ),
  };
}

/**
 * Polls until nothing is claimable. A message still parked when the rest is done waits for a reference this traffic
 * never sends: after a few quiet polls it is left and reported, rather than waited for until the timeout.
 */
async function waitDrained(
  url: string,
  total: number,
  timeoutMs: number,
  signal: AbortSignal,
  label: string,
  warm: { after: number; mark(): void },
): Promise<{ seconds: number; ended: DrainEnd; processed: number; waits: WaitSample[]; warmAt?: { seconds: number; processed: number } }> {
  const client = new pg.Client({ connectionString: url, application_name: 'vigil-gateway-bench-poll' });
  await client.connect();
  const started = performance.now();
  let lastPrint = started;
  let quietParked = 0;
  const waits = new Map<string, number>();
  let c = { open: 0, parked: 0, processed: 0 };
  let warmAt: { seconds: number; processed: number } | undefined;
  const done = (ended: DrainEnd, atMs: number) => ({ seconds: (atMs - started) / 1000, ended, processed: c.processed, waits: topWaits(waits), ...(warmAt ? { warmAt } : {}) });
  try {
    // Counting every message is a scan of the inbox, and PostgreSQL's CPU is part of what is measured: each poll only
    // asks whether work is left (two index probes); the counts are taken for the progress line and at the end.
    const ending = async (ended: DrainEnd, atMs: number) => {
      c = await counts(client);
      return done(ended, atMs);
    };
    for (;;) {
      const left = await workLeft(client);
      await sampleWaits(client, waits);
      const now = performance.now();
      if (!left.open && !left.parked) return await ending('drained', now);
      if (!left.open && ++quietParked >= 10) return await ending('parked left', now - quietParked * POLL_MS);
      if (left.open) quietParked = 0;
      // Until the warm-up mark each poll counts (a few seconds); the CPU of those counts falls before the steady clock.
      if (!warmAt) {
        c = await counts(client);
        if (c.processed >= warm.after) {
          warm.mark();
          warmAt = { seconds: (performance.now() - started) / 1000, processed: c.processed };
        }
      }
      if (now - lastPrint >= 5_000) {
        lastPrint = now;
        c = await counts(client);
        console.log(`    ${label}: ${int(c.processed)} of ${int(total)} processed after ${((now - started) / 1000).toFixed(0)} s (${int(c.open)} waiting, ${int(c.parked)} parked)`);
      }
      if (signal.aborted) return await ending('aborted', now);
      if (now - started > timeoutMs) return await ending('time limit', now);
      await sleep(POLL_MS);
    }
  } finally {
    await client.end();
  }
}

/**
 * What Vigil's database sessions, and autovacuum's, were doing at one poll: a statement's first words, never its
 * parameters.
 */
export interface WaitSample {
  what: string;
  share: number;
}

async function sampleWaits(client: pg.Client, into: Map<string, number>): Promise<void> {
  const { rows } = await client.query<{ what: string }>(
    `SELECT CASE WHEN backend_type = 'autovacuum worker' THEN 'autovacuum in ' || datname || ': ' || left(query, 60)
                 WHEN state = 'idle in transaction' THEN 'in transaction, waiting for the worker (round trip or worker CPU)'
                 WHEN wait_event IS NULL THEN 'running: ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 70)
                 ELSE 'waiting on ' || wait_event_type || ':' || wait_event || ': ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 70) END AS what
       FROM pg_stat_activity WHERE (application_name = 'vigil' AND state <> 'idle' OR backend_type = 'autovacuum worker') AND pid <> pg_backend_pid()`,
  );
  into.set('(samples)', (into.get('(samples)') ?? 0) + 1);
  for (const r of rows) into.set(r.what, (into.get(r.what) ?? 0) + 1);
}

/** The commonest session states, as a share of the polls (a share above 1 means several sessions at once). */
function topWaits(waits: Map<string, number>): WaitSample[] {
  const polls = waits.get('(samples)') ?? 1;
  return [...waits].filter(([k]) => k !== '(samples)').sort((a, b) => b[1] - a[1]).slice(0, 6).map(([what, n]) => ({ what, share: n / polls }));
}

async function preload(s: DrainSettings): Promise<DrainResult['preload']> {
  await s.cluster.createDatabase(SEED, s.template);
  const url = s.cluster.urlOf(SEED);
  const api = await startVigilProcess({ role: 'api', env: s.env(url), name: 'drain-preload-api' });
  let sent: Awaited<ReturnType<typeof sendInOrder>>;
  try {
    let printed = 0;
    sent = await sendInOrder(api.mllpPort!, s.traffic.messages, s.preloadConnections, (done) => {
      if (++printed % 5 === 0) console.log(`    received ${int(done)} of ${int(s.traffic.messages.length)}`);
    });
  } finally {
    await api.stop();
  }
  const stored = Object.fromEntries((await adminQuery<{ state: string; n: string }>(url, 'SELECT state, count(*) AS n FROM gateway_messages GROUP BY state')).map((r) => [r.state, Number(r.n)]));
  // The copies made of the seed then start with their statistics, and with nothing for autovacuum to do at once.
  await adminQuery(url, 'VACUUM ANALYZE');
  return { ...sent, stored };
}

/** Locks every waiting message until `release()`: claims (FOR UPDATE SKIP LOCKED) pass over them meanwhile. */
async function hold(url: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url, application_name: 'vigil-gateway-bench-hold' });
  // Dropping the database on a failed run ends this session from the server side; that must not crash the bench.
  client.on('error', () => undefined);
  await client.connect();
  await client.query('BEGIN');
  await client.query(`SELECT count(*) FROM (SELECT 1 FROM gateway_messages WHERE state IN ('received', 'retrying') FOR UPDATE) x`);
  let released: Promise<void> | undefined;
  return {
    release: () =>
      (released ??= (async () => {
        await client.query('ROLLBACK');
        await client.end();
      })()),
  };
}

/**
 * Waits for the server to be quiet before a run's clock starts: a checkpoint written, and no autovacuum worker busy
 * (for at most a minute). The cluster's CPU is counted whole, so what an earlier step left behind (the preload's or
 * the previous run's dirty pages, autovacuum of a table just filled) would otherwise be charged to this run, and more
 * so the more steps came before it.
 */
async function quiet(url: string): Promise<void> {
  await adminQuery(url, 'CHECKPOINT');
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const [row] = await adminQuery<{ n: string }>(url, "SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'");
    if (Number(row?.n ?? 0) === 0) return;
    await sleep(500);
  }
}

/** Where PostgreSQL's CPU of a run went, by kind of process, in µs a message (shares under 1 µs left out). */
function printServerShares(before: Record<string, number>, after: Record<string, number>, processed: number): void {
  const shares = Object.entries(after)
    .map(([kind, v]) => [kind, ((v - (before[kind] ?? 0)) * 1e6) / Math.max(1, processed)] as const)
    .filter(([, us]) => us >= 1)
    .sort((a, b) => b[1] - a[1]);
  console.log(`    postgres CPU by process, µs/msg: ${shares.map(([k, us]) => `${k} ${int(us)}`).join(', ')}`);
}

async function drainWithWorkers(s: DrainSettings, workers: number, total: number, afterVerify?: (url: string, processed: number) => Promise<void>): Promise<DrainRun> {
  const database = `gw_drain_w${workers}`;
  await s.cluster.createDatabase(database, SEED);
  const url = s.cluster.urlOf(database);
  await quiet(url);
  const processes: VigilProcess[] = [];
  let held: Awaited<ReturnType<typeof hold>> | undefined;
  try {
    const env = { ...s.env(url), VIGIL_WORKER_POLL_MS: String(s.pollMs) };
    // Held while the workers start: the clock must not include starting Node and loading the sources.
    held = await hold(url);
    processes.push(...(await Promise.all(Array.from({ length: workers }, (_, i) => startVigilProcess({ role: 'worker', env, name: `drain-w${workers}-${i + 1}`, cpuProfileDir: s.cpuProfileDir })))));
    if (s.cluster.statements) await resetStatements(url);
    const meter = cpuMeter({ workers: () => processes.reduce((sum, p) => sum + (processCpuSeconds(p.pid) ?? 0), 0), postgres: s.cluster.cpuSeconds });
    const kinds = s.cluster.cpuByKind();
    let cpuAtWarm: Record<string, number> = {};
    await held.release();
    const after = Math.round(total * WARM_SHARE);
    const { seconds, ended, processed, waits, warmAt } = await waitDrained(url, total, s.drainTimeoutMs, s.signal, `${workers} worker(s)`, { after, mark: () => (cpuAtWarm = meter.read()) });
    const cpu = meter.read();
    printServerShares(kinds, s.cluster.cpuByKind(), processed);
    const steady: SteadyPart | undefined =
      warmAt && warmAt.processed < processed
        ? {
            after: warmAt.processed,
            seconds: seconds - warmAt.seconds,
            processed: processed - warmAt.processed,
            cpu: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, v - (cpuAtWarm[k] ?? 0)])),
            messagesPerSecond: (processed - warmAt.processed) / (seconds - warmAt.seconds),
          }
        : undefined;
    // Checked once the workers have stopped (each finishes the batch in hand), so the figures hold still.
    await Promise.all(processes.map((p) => p.stop()));
    // Before anything reads the run's rows: a reader would set their hint bits, work that is the vacuum's otherwise.
    const vacuum = await measureVacuum(url, s.cluster, processed);
    const verification = await verify(url);
    if (s.cluster.statements) await printStatements(url, processed, `the workers' statements, ${workers} worker(s)`);
    await afterVerify?.(url, processed);
    return { workers, seconds, ended, processed, cpu, waits, messagesPerSecond: processed / seconds, ...(steady ? { steady } : {}), vacuum, verification, warnings: warningSummary(processes) };
  } finally {
    await held?.release().catch(() => undefined);
    await Promise.all(processes.map((p) => p.stop()));
    await s.cluster.dropDatabase(database).catch(() => undefined);
  }
}

async function drainInProcess(s: DrainSettings, batchSize: number, total: number): Promise<PeerRun> {
  const database = `gw_drain_peer_b${batchSize}`;
  await s.cluster.createDatabase(database, SEED);
  const url = s.cluster.urlOf(database);
  await quiet(url);
  const store = await openStore({ databaseUrl: url, poolSize: 2 });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const processor = new GatewayProcessor(store, new SourceRegistry(), new ArchiveKeys(LocalKeyring.single(Buffer.from(s.kek, 'base64'))), defaultMatchEngine(), createLogger({ level: 'silent' }), null, {
      batchSize,
      pollMs: s.pollMs,
      maxAttempts: 8,
      baseRetryMs: 2_000,
      workerId: `bench-peer-b${batchSize}`,
    });
    const meter = cpuMeter({ processor: selfCpuSeconds, postgres: s.cluster.cpuSeconds });
    const started = performance.now();
    const deadline = started + s.peerSeconds * 1000;
    let lastPrint = started;
    let complete = false;
    while (performance.now() < deadline && !s.signal.aborted) {
      if ((await processor.runOnce()) > 0) {
        if (performance.now() - lastPrint >= 5_000) {
          lastPrint = performance.now();
          console.log(`    batch ${batchSize}: ${int((await counts(client)).processed)} of ${int(total)} processed after ${((lastPrint - started) / 1000).toFixed(0)} s`);
        }
        continue;
      }
      const c = await counts(client);
      if (c.open === 0) {
        complete = true;
        break;
      }
      await sleep(10);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = meter.read();
    const processed = (await counts(client)).processed;
    return { batchSize, seconds, cpu, processed, messagesPerSecond: processed / seconds, complete };
  } finally {
    await client.end();
    await store.close();
    await s.cluster.dropDatabase(database).catch(() => undefined);
  }
}

export async function runDrainBench(s: DrainSettings): Promise<DrainResult> {
  try {
    console.log(`  receiving ${int(s.traffic.messages.length)} messages into the seed inbox (${s.preloadConnections} connections, in plan order):`);
    const loaded = await preload(s);
    // Autovacuum starts on a run's tables or not as its launcher's round falls (it did in some runs, at 54-103 µs a
    // message, and in others not at all): off during the drains, and each run's vacuum is measured after it instead.
    await s.cluster.setAutovacuum(false);
    const total = loaded.stored.received ?? 0;
    console.log(`    stored in ${loaded.seconds.toFixed(1)} s (${int(s.traffic.messages.length / loaded.seconds)} msg/s); states ${JSON.stringify(loaded.stored)}`);
    const runs: DrainRun[] = [];
    let rowFloor: DrainResult['rowFloor'];
    const floorWorkers = s.workerCounts.includes(2) ? 2 : s.workerCounts[0];
    const measureFloor = async (url: string, processed: number) => {
      rowFloor = { ...(await measureRowFloor(url, s.cluster.cpuSeconds, processed, s.defaultBatchSize)), workers: floorWorkers! };
      const top = rowFloor.tables.slice(0, 4).map((t) => `${t.table} ${int(t.wallMicros)}`).join(', ');
      console.log(`    row floor: the rows written again, one statement per table per batch: postgres ${int(rowFloor.postgresMicros)} + client ${int(rowFloor.clientMicros)} µs CPU/msg (wall µs/msg: ${top}, commit ${int(rowFloor.commitMicros)})`);
    };
    for (const w of s.workerCounts) {
      if (s.signal.aborted) break;
      const run = await drainWithWorkers(s, w, total, w === floorWorkers ? measureFloor : undefined);
      runs.push(run);
      const v = run.verification;
      for (const w of run.waits) console.log(`    sessions ${w.share.toFixed(2)}× ${w.what}`);
      if (Object.keys(v.setbacks).length) console.log(`    set back: ${Object.entries(v.setbacks).map(([k, n]) => `${k} ×${n}`).join(', ')}`);
      console.log(
        `  ${w} worker(s): ${int(run.messagesPerSecond)} msg/s (${int(run.processed)} processed in ${run.seconds.toFixed(1)} s, ${run.ended}); ` +
          `processed not exactly once: ${v.processedNotOnce}; per worker ${v.byWorker.map(int).join(' / ')}; ${perMessage(run.cpu, run.processed)}`,
      );
      const st = run.steady;
      if (st) console.log(`    steady, after the first ${int(st.after)} messages: ${int(st.messagesPerSecond)} msg/s (${int(st.processed)} in ${st.seconds.toFixed(1)} s); ${perMessage(st.cpu, st.processed)}`);
      if (run.vacuum) console.log(`    vacuum after the run: ${run.vacuum.seconds.toFixed(1)} s, postgres ${int(run.vacuum.microsPerMessage)} µs CPU/msg; ${st ? 'steady ' : ''}rate with it charged: ${int(chargedRate(run))} msg/s`);
    }
    const peers: PeerRun[] = [];
    for (const b of [1, s.defaultBatchSize]) {
      if (s.signal.aborted) break;
      const peer = await drainInProcess(s, b, total);
      peers.push(peer);
      console.log(`  peer, in-process processor, batch ${b}: ${int(peer.messagesPerSecond)} msg/s (${int(peer.processed)} in ${peer.seconds.toFixed(1)} s${peer.complete ? ', drained' : ''}); ${perMessage(peer.cpu, peer.processed)}`);
    }
    const floor = s.signal.aborted ? undefined : measureAdapterFloor(s.traffic);
    if (floor) console.log(`  floor, the same messages opened, parsed, mapped and serialized in this process without a database: ${int(floor.cpuMicrosPerMessage)} µs CPU/msg (${floor.factsPerMessage.toFixed(2)} facts/msg)`);
    return { messages: total, preload: loaded, runs, peers, ...(floor ? { floor } : {}), ...(rowFloor ? { rowFloor } : {}), defaultBatchSize: s.defaultBatchSize, pollMs: s.pollMs, timeLimitS: s.drainTimeoutMs / 1000, peerSeconds: s.peerSeconds };
  } finally {
    await s.cluster.setAutovacuum(true).catch(() => undefined);
    await s.cluster.dropDatabase(SEED).catch(() => undefined);
  }
}
