import type { MachineDescription } from '../machine.ts';
import { chargedRate, type DrainResult, type DrainRun } from './drain.ts';
import type { LoadResult } from './mllp-load.ts';
import type { ReceiveResult } from './receive.ts';
import { rssSummary, type SoakResult } from './soak.ts';
import type { Traffic } from './traffic.ts';

/** The "gateway" section of bench/RESULTS.md: goals and verdicts first, then each measurement with its peers. */
export const GOALS = {
  receiveRate: 3_000,
  receiveP99Ms: 20,
  normalizedRate: 1_500,
  rssGrowthPct: 10,
  fhirResourcesPerSecond: 3_000,
} as const;

export interface GatewayReport {
  command: string;
  date: Date;
  totalSeconds: number;
  machine: MachineDescription;
  load: { before: number; after: number };
  postgres: { version: string; durability: string };
  traffic: Traffic;
  receive?: ReceiveResult | { error: string };
  drain?: DrainResult | { error: string };
  soak?: SoakResult | { error: string };
  /** Where goal 4 is measured (bench/gateway/fhir-import.ts writes a section of its own). */
  fhir: string;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : '—');
const pct = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(1)}%`;
const verdict = (met: boolean) => (met ? '**met**' : '**not met**');
const failed = <T extends object>(r: T | { error: string } | undefined): r is { error: string } => r !== undefined && 'error' in r;

function codes(r: LoadResult): string {
  const text = Object.entries(r.codes).map(([c, n]) => `${c} ${int(n)}`).join(', ');
  return r.errors ? `${text}; ${r.errors} error(s): ${r.firstError}` : text;
}

/** CPU µs per message by part, from CPU seconds over `messages`. */
function cpuParts(cpu: Record<string, number> | undefined, messages: number): { parts: [string, number][]; total: number } {
  const parts = Object.entries(cpu ?? {}).map(([k, sec]): [string, number] => [k, (sec * 1e6) / Math.max(1, messages)]);
  return { parts, total: parts.reduce((s, [, us]) => s + us, 0) };
}

function cpuCell(r: LoadResult): string {
  const { parts, total } = cpuParts(r.cpu, r.total);
  return parts.length ? `${parts.map(([, us]) => int(us)).join(' + ')} = ${int(total)}` : '—';
}

function receiveVerdict(r: ReceiveResult): { met: boolean; text: string } {
  const best = [...r.cases].sort((a, b) => b.vigil.messagesPerSecond - a.vigil.messagesPerSecond)[0];
  if (!best) return { met: false, text: 'no case ran' };
  const meeting = r.cases.filter((c) => c.vigil.messagesPerSecond >= GOALS.receiveRate && c.vigil.p99Ms < GOALS.receiveP99Ms);
  const shown = meeting[0] ?? best;
  return {
    met: meeting.length > 0,
    text: `best ${int(shown.vigil.messagesPerSecond)} msg/s at p99 ${ms(shown.vigil.p99Ms)} ms (${shown.connections} connections), where PostgreSQL alone commits ${int(shown.commitPeer.messagesPerSecond)} single-row INSERTs/s`,
  };
}

/**
 * A run's rate as judged: its steady part when it has one (workers past their warm-up, see drain.ts), else the whole
 * drain, with the vacuum of what it wrote charged (chargedRate).
 */
const judgedRate = chargedRate;

function drainVerdict(d: DrainResult): { met: boolean; text: string } {
  const best = [...d.runs].sort((a, b) => judgedRate(b) - judgedRate(a))[0];
  if (!best) return { met: false, text: 'no run' };
  const twice = d.runs.reduce((n, r) => n + r.verification.processedNotOnce, 0);
  const met = judgedRate(best) >= GOALS.normalizedRate && twice === 0;
  const workers = `${best.workers} worker${best.workers > 1 ? 's' : ''}`;
  const steady = best.steady ? `${int(best.steady.messagesPerSecond)} msg/s steady (${workers}, after the first ${int(best.steady.after)} messages); whole drain ` : '';
  const vacuum = best.vacuum ? `${int(judgedRate(best))} msg/s with the vacuum of what it wrote charged (${int(best.vacuum.microsPerMessage)} µs of PostgreSQL's CPU a message); ` : '';
  return {
    met,
    text: `best ${vacuum}${steady}${int(best.messagesPerSecond)} msg/s (${best.steady ? '' : `${workers}, `}${int(best.processed)} of ${int(d.messages)} messages in ${best.seconds.toFixed(0)} s, ${best.ended}); messages processed other than exactly once: ${twice}`,
  };
}

function soakVerdict(s: SoakResult): { met: boolean; text: string } {
  const api = rssSummary(s.samples.flatMap((x) => (x.apiKiB === undefined ? [] : [x.apiKiB])));
  const worker = rssSummary(s.samples.flatMap((x) => (x.workerKiB === undefined ? [] : [x.workerKiB])));
  if (!api || !worker) return { met: false, text: 'too few samples' };
  const met = api.growthPct <= GOALS.rssGrowthPct && worker.growthPct <= GOALS.rssGrowthPct;
  const live = liveSummaries(s);
  const liveText = live.api && live.worker ? `; live heap after full collections api ${pct(live.api.growthPct)}, worker ${pct(live.worker.growthPct)}` : '';
  return { met, text: `RSS growth api ${pct(api.growthPct)}, worker ${pct(worker.growthPct)} over ${int(s.soakS)} s at ${int(s.rate)} msg/s${liveText}` };
}

/** Older result files have no live-heap samples. */
function liveSummaries(s: SoakResult) {
  const of = (xs: { mib: number }[] | undefined) => rssSummary((xs ?? []).map((x) => x.mib));
  return { api: of(s.liveHeap?.api), worker: of(s.liveHeap?.worker) };
}

export function renderGateway(r: GatewayReport): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('## Gateway: MLLP intake, normalization, memory');
  out.push('');
  out.push(
    `Written by \`${r.command}\` on ${r.date.toISOString()} (${m.cpuModel}, ${m.cores} cores, ${m.totalMemoryGiB} GiB, Node ${m.node}, ${m.os}, commit ${m.commit}; ` +
      `1-min load ${r.load.before} → ${r.load.after}; the run took ${Math.round(r.totalSeconds)} s). Method and peers: bench/README.md, "Gateway".`,
  );
  out.push('');
  out.push(
    `PostgreSQL: ${r.postgres.version}, a throwaway cluster the bench starts on a free loopback port with the server's default settings (${r.postgres.durability}): ` +
      'every commit waits for its WAL flush. Vigil, PostgreSQL and the load generator share the same cores.',
  );
  out.push('');
  out.push(
    `Traffic: \`planTraffic\` of src/simulator (seed \`gw-bench\`; ADT from sim-adt and ORU results from sim-lab, in delivery order, no duplicates or broken messages): ` +
      `${int(r.traffic.messages.length)} messages (${Object.entries(r.traffic.byKind).map(([k, n]) => `${k} ${int(n)}`).join(', ')}), ${int(r.traffic.meanBytes)} bytes on average. ` +
      'Longer loads replay the plan with every identifier renamed per pass (control ids, MRNs, visits, orders), so no message repeats.',
  );
  // Only the load before the run says whether other work shared the cores: the bench itself loads them to 3 or more.
  if (r.load.before > 1) {
    out.push('');
    out.push(
      `> The 1-minute load average was ${r.load.before} when the run began: other work shared the 2 cores, so throughput and latency here understate the machine. ` +
        'The CPU each process spent per message (also shown) depends much less on that.',
    );
  }

  out.push('');
  out.push('### Goals');
  out.push('');
  out.push('| goal | target | this run | verdict |');
  out.push('|---|---|---|---|');
  const notRun = (x: { error: string } | undefined) => (x ? `failed: ${x.error}` : 'not run');
  if (r.receive && !failed(r.receive)) {
    const v = receiveVerdict(r.receive);
    out.push(`| 1. MLLP to durable ACK on PostgreSQL | ≥ ${int(GOALS.receiveRate)} msg/s with p99 ACK < ${GOALS.receiveP99Ms} ms | ${v.text} | ${verdict(v.met)} |`);
  } else out.push(`| 1. MLLP to durable ACK on PostgreSQL | ≥ ${int(GOALS.receiveRate)} msg/s with p99 ACK < ${GOALS.receiveP99Ms} ms | ${notRun(r.receive)} | not measured |`);
  if (r.drain && !failed(r.drain)) {
    const v = drainVerdict(r.drain);
    out.push(`| 2. Fully normalized throughput | ≥ ${int(GOALS.normalizedRate)} msg/s, each message processed once | ${v.text} | ${verdict(v.met)} |`);
  } else out.push(`| 2. Fully normalized throughput | ≥ ${int(GOALS.normalizedRate)} msg/s, each message processed once | ${notRun(r.drain)} | not measured |`);
  if (r.soak && !failed(r.soak)) {
    const v = soakVerdict(r.soak);
    const short = r.soak.soakS < 600 ? ` (a ${int(r.soak.soakS / 60)}-minute soak; the full check is \`--soak-minutes 10\`)` : '';
    out.push(`| 3. Memory flat at half the peak rate | RSS growth ≤ ${GOALS.rssGrowthPct}% after warm-up | ${v.text} | ${verdict(v.met)}${short} |`);
  } else out.push(`| 3. Memory flat at half the peak rate | RSS growth ≤ ${GOALS.rssGrowthPct}% after warm-up | ${notRun(r.soak)} | not measured |`);
  out.push(goal4Row(r));

  if (r.receive && !failed(r.receive)) out.push('', RECEIVE_START, ...renderReceive(r.receive, m.cores), RECEIVE_END);
  if (r.drain && !failed(r.drain)) out.push('', ...renderDrain(r.drain, m.cores));
  if (r.soak && !failed(r.soak)) out.push('', ...renderSoak(r.soak));
  return out.join('\n');
}

const RECEIVE_START = '<!-- gateway-receive:start -->';
const RECEIVE_END = '<!-- gateway-receive:end -->';
const GOAL_1_ROW = /^\| 1\. MLLP to durable ACK.*$/m;
const GOAL_4_ROW = /^\| 4\. FHIR Bundle import.*$/m;
const goal4Row = (r: GatewayReport) => `| 4. FHIR Bundle import | ≥ ${int(GOALS.fhirResourcesPerSecond)} resources/s | ${r.fhir} | see that section |`;

/**
 * The gateway section with only benchmark 1 replaced, for `--only receive` runs: the goal row and the receive part
 * (between its own markers, or, in a section written before the markers existed, from its heading to the next one)
 * are this run's; everything else (normalization, soak) stays as the last full run left it, and says so.
 */
export function withReceivePart(section: string, r: GatewayReport): string | undefined {
  if (!r.receive || failed(r.receive)) return undefined;
  const v = receiveVerdict(r.receive);
  const row = `| 1. MLLP to durable ACK on PostgreSQL | ≥ ${int(GOALS.receiveRate)} msg/s with p99 ACK < ${GOALS.receiveP99Ms} ms | ${v.text} (rerun alone on ${r.date.toISOString()}) | ${verdict(v.met)} |`;
  const m = r.machine;
  const part = [
    RECEIVE_START,
    ...renderReceive(r.receive, m.cores),
    '',
    `> Benchmark 1 was rerun alone by \`${r.command}\` on ${r.date.toISOString()} (commit ${m.commit}; 1-min load ${r.load.before} → ${r.load.after}; PostgreSQL ${r.postgres.version}, ${r.postgres.durability}). ` +
      'The rest of this section is from the last full run named at its top.',
    RECEIVE_END,
  ].join('\n');
  let out = (GOAL_1_ROW.test(section) ? section.replace(GOAL_1_ROW, () => row) : section).replace(GOAL_4_ROW, () => goal4Row(r));
  const marked = new RegExp(`${RECEIVE_START}[\\s\\S]*?${RECEIVE_END}`);
  if (marked.test(out)) return out.replace(marked, () => part);
  const from = out.indexOf('### 1. MLLP to durable ACK');
  if (from < 0) return `${out.trimEnd()}\n\n${part}`;
  const next = out.indexOf('\n### ', from + 1);
  out = `${out.slice(0, from)}${part}\n${next < 0 ? '' : out.slice(next)}`;
  return out;
}

function renderReceive(r: ReceiveResult, cores: number): string[] {
  const out = [
    '### 1. MLLP to durable ACK (one `vigil start --role api`, no worker running)',
    '',
    `Each connection sends in original mode: one message, wait for its ACK, the next. Per case ${r.warmupS} s of warm-up (discarded), then ${r.durationS} s measured; ` +
      `latency is timed at the client from the write to the end of the ACK frame. Vigil's pool: ${r.poolSize} connections (the default). ` +
      'CPU per message is each process\'s CPU time (/proc/<pid>/stat; PostgreSQL: the postmaster and all its backends) over warm-up and measured period, divided by the messages of both: ' +
      `"server" is the api process (or the echo server), "client" the load generator. "CPU bound" is ${cores} cores ÷ that total: the rate these processes could reach if they had the machine to themselves and nothing but CPU limited them.`,
    '',
    '| connections | case | msg/s | p50 ms | p99 ms | max ms | answers | CPU µs/msg: server + PostgreSQL + client | CPU bound, msg/s |',
    '|---:|---|---:|---:|---:|---:|---|---:|---:|',
  ];
  const bound = (x: LoadResult) => {
    const { total } = cpuParts(x.cpu, x.total);
    return total > 0 ? int((cores * 1e6) / total) : '—';
  };
  for (const c of r.cases) {
    out.push(`| ${c.connections} | **Vigil**: parse, source, map check, encrypt, store, ACK | **${int(c.vigil.messagesPerSecond)}** | ${ms(c.vigil.p50Ms)} | **${ms(c.vigil.p99Ms)}** | ${ms(c.vigil.maxMs)} | ${codes(c.vigil)} | ${cpuCell(c.vigil)} | ${bound(c.vigil)} |`);
    out.push(`| ${c.connections} | peer: single-row INSERT, autocommit, same payload size | ${int(c.commitPeer.messagesPerSecond)} | ${ms(c.commitPeer.p50Ms)} | ${ms(c.commitPeer.p99Ms)} | ${ms(c.commitPeer.maxMs)} | ${codes(c.commitPeer)} | — + ${cpuCell(c.commitPeer)} | ${bound(c.commitPeer)} |`);
    out.push(`| ${c.connections} | ceiling: bare MLLP echo (framing only) | ${int(c.echo.messagesPerSecond)} | ${ms(c.echo.p50Ms)} | ${ms(c.echo.p99Ms)} | ${ms(c.echo.maxMs)} | ${codes(c.echo)} | ${cpuCell(c.echo)} | ${bound(c.echo)} |`);
  }
  out.push('');
  out.push('What this shows:');
  out.push('');
  for (const c of r.cases) {
    out.push(
      `- ${c.connections} connection${c.connections > 1 ? 's' : ''}: Vigil at ${Math.round((c.vigil.messagesPerSecond / c.commitPeer.messagesPerSecond) * 100)}% of what PostgreSQL commits with as many connections ` +
        `and ${Math.round((c.vigil.messagesPerSecond / c.echo.messagesPerSecond) * 100)}% of the bare echo.`,
    );
  }
  const best = [...r.cases].sort((a, b) => b.vigil.messagesPerSecond - a.vigil.messagesPerSecond)[0];
  if (best?.vigil.cpu && best.commitPeer.cpu) {
    const v = cpuParts(best.vigil.cpu, best.vigil.total);
    const pgUs = v.parts.find(([k]) => k === 'postgres')?.[1] ?? 0;
    const serverUs = v.parts.find(([k]) => k === 'server')?.[1] ?? 0;
    const peerPgUs = cpuParts(best.commitPeer.cpu, best.commitPeer.total).parts.find(([k]) => k === 'postgres')?.[1] ?? 0;
    out.push(
      `- Where the CPU goes (${best.connections} connections): the api process ${int(serverUs)} µs per message, PostgreSQL ${int(pgUs)} µs ` +
        `(${(pgUs / Math.max(1, peerPgUs)).toFixed(1)}× the peer's single-row INSERT: per message two rows with their indexes and foreign-key checks, but one statement and one commit per batch of messages that arrived together). ` +
        `At ${int(v.total)} µs per message in all, ${cores} cores allow about ${int((cores * 1e6) / v.total)} msg/s; the goal of ${int(GOALS.receiveRate)} needs ${int((cores * 1e6) / GOALS.receiveRate)} µs or less.`,
    );
  }
  if (r.apiWarnings.length) out.push(`- The api process logged warnings: ${r.apiWarnings.join(', ')}.`);
  return out;
}

function renderDrain(d: DrainResult, cores: number): string[] {
  const out = [
    '### 2. Fully normalized throughput (`vigil start --role worker`)',
    '',
    `${int(d.messages)} messages were received through a \`--role api\` process (${d.preload.seconds.toFixed(1)} s, ${int(d.messages / d.preload.seconds)} msg/s over 8 connections in plan order; ` +
      `ACKs ${Object.entries(d.preload.codes).map(([c, n]) => `${c} ${int(n)}`).join(', ')}) and left in the inbox. For each worker count the inbox was cloned and the bench held a row lock on every waiting message while the workers started ` +
      '(their claims skip locked rows); rolling that back made every message claimable at once, and the clock runs from there until no message is left to work (polled every 200 ms), ' +
      `or until the bench's limit of ${int(d.timeLimitS)} s, after which the rate is of the messages processed by then. Then the workers are stopped (each finishes the batch in hand) and the database is checked. ` +
      `Workers at their defaults (batch ${d.defaultBatchSize}, pool 10) but VIGIL_WORKER_POLL_MS=${d.pollMs}, so an idle worker sees the released inbox within ${d.pollMs} ms; ` +
      'each worker process also runs the audit sealer (one seals at a time, by advisory lock).',
    '',
    `| workers | msg/s | processed | seconds | ended | processed ≠ once | per worker | set back (step reason ×n) | CPU µs/msg: workers + PostgreSQL | CPU bound, msg/s | steady msg/s | steady CPU µs/msg | vacuum after, CPU µs/msg | judged msg/s (steady, vacuum charged) |`,
    '|---:|---:|---:|---:|---|---:|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const run of d.runs) {
    const v = run.verification;
    const processed = run.processed;
    const { parts, total } = cpuParts(run.cpu, processed);
    const setbacks = Object.entries(v.setbacks).map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
    out.push(
      `| ${run.workers} | **${int(run.messagesPerSecond)}** | ${int(processed)} | ${run.seconds.toFixed(1)} | ${run.ended} | ${v.processedNotOnce} | ${v.byWorker.map(int).join(' / ')} | ${setbacks} | ` +
        `${parts.map(([, us]) => int(us)).join(' + ')} = ${int(total)} | ${total > 0 ? int((cores * 1e6) / total) : '—'} | ${steadyCells(run)} | ${run.vacuum ? int(run.vacuum.microsPerMessage) : '—'} | **${int(judgedRate(run))}** |`,
    );
  }
  out.push('');
  out.push(
    `Steady: the same drain from the moment ${int(d.runs[0]?.steady?.after ?? 0)} messages were processed (15% of the inbox) to its end, when the workers have run long enough for V8 to have optimized their code ` +
      '(its optimizing compiler took 23% of the workers\' CPU in a 20,000-message drain and 6% in a 34,000-message one). A worker in service runs for days, so the goal is judged on this rate.',
  );
  out.push('');
  out.push(
    'Vacuum: autovacuum is off during the drains, and once the workers have stopped the bench runs `VACUUM (ANALYZE)` on the run\'s database and measures PostgreSQL\'s CPU meanwhile. ' +
      'A service\'s autovacuum does that work while messages flow, on the same cores, so the judged rate is the steady rate lowered in the ratio of the run\'s CPU per message to that plus the vacuum\'s. ' +
      'Left on, autovacuum reached a run\'s new tables in some runs and not in others, as its launcher\'s round fell: the same code measured 1,295 and 1,449–1,575 msg/s.',
  );
  out.push('');
  out.push('What the database sessions of the workers were doing, sampled at every poll (pg_stat_activity; a share above 1 means several sessions at once):');
  out.push('');
  for (const run of d.runs) out.push(`- ${run.workers} worker${run.workers > 1 ? 's' : ''}: ${run.waits.slice(0, 3).map((w) => `${w.share.toFixed(2)}× ${w.what.replace(/\|/g, '\\|')}…`).join('; ')}`);
  out.push('');
  out.push('Each run\'s result in the database: ' + d.runs.map((run) => describeOutcome(run)).join(' '));
  out.push('');
  out.push(`| peer: one GatewayProcessor in the bench process (no sealer), at most ${int(d.peerSeconds)} s | msg/s | processed | seconds | CPU µs/msg: processor + PostgreSQL |`);
  out.push('|---|---:|---:|---:|---:|');
  for (const p of d.peers) {
    const { parts, total } = cpuParts(p.cpu, p.processed);
    out.push(`| batch size ${p.batchSize}${p.batchSize === d.defaultBatchSize ? ' (the default)' : ''} | ${int(p.messagesPerSecond)} | ${int(p.processed)} | ${p.seconds.toFixed(1)} | ${parts.map(([, us]) => int(us)).join(' + ')} = ${int(total)} |`);
  }
  const one = d.peers.find((p) => p.batchSize === 1);
  const batched = d.peers.find((p) => p.batchSize === d.defaultBatchSize);
  out.push('');
  out.push('What this shows:');
  out.push('');
  if (one && batched) {
    out.push(`- Batching: ${d.defaultBatchSize} messages per transaction instead of 1 gives ${(batched.messagesPerSecond / one.messagesPerSecond).toFixed(2)}× the in-process rate (${int(one.messagesPerSecond)} → ${int(batched.messagesPerSecond)} msg/s): one commit, and one WAL flush, per batch instead of per message.`);
  }
  const w1 = d.runs.find((r) => r.workers === 1);
  for (const run of d.runs) if (w1 && run !== w1) out.push(`- ${run.workers} workers: ${(run.messagesPerSecond / w1.messagesPerSecond).toFixed(2)}× one worker.`);
  if (w1) {
    const { total } = cpuParts(w1.cpu, w1.processed);
    out.push(`- One message costs about ${int(total)} µs of CPU between the worker and PostgreSQL, so ${cores} cores allow about ${int((cores * 1e6) / total)} msg/s; the goal of ${int(GOALS.normalizedRate)} needs ${int((cores * 1e6) / GOALS.normalizedRate)} µs or less.`);
  }
  const w2 = d.runs.find((r) => r.workers === 2) ?? w1;
  if (d.floor && w2) {
    const workerUs = cpuParts(w2.cpu, w2.processed).parts.find(([k]) => k === 'workers')?.[1] ?? 0;
    out.push(
      `- Floor: the same messages opened (AES-256-GCM), parsed, mapped and their fact rows built and serialized, in the bench process without a database, cost ${int(d.floor.cpuMicrosPerMessage)} µs of CPU per message ` +
        `(${d.floor.factsPerMessage.toFixed(2)} facts per message; bench/gateway/adapter-floor.ts). With ${w2.workers} worker${w2.workers > 1 ? 's' : ''} the workers spend ${int(workerUs)} µs per message: ` +
        `${int(workerUs > 0 ? (100 * d.floor.cpuMicrosPerMessage) / workerUs : 0)}% is that work; the rest is the conversation with PostgreSQL (identity resolution, building statements, sending them, reading results) and the processor's bookkeeping.`,
    );
  }
  const rf = d.rowFloor;
  const floorRun = rf && d.runs.find((r) => r.workers === rf.workers);
  if (rf && floorRun) {
    const measured = floorRun.steady ? cpuParts(floorRun.steady.cpu, floorRun.steady.processed) : cpuParts(floorRun.cpu, floorRun.processed);
    const pgUs = measured.parts.find(([k]) => k === 'postgres')?.[1] ?? 0;
    const rows = (name: string) => rf.tables.find((t) => t.table === name);
    const facts = rows('public.clinical_facts');
    const versions = rows('public.clinical_fact_versions');
    const top = rf.tables.slice(0, 4).map((t) => `${t.table.replace(/^public\./, '')} ${int(t.wallMicros)}`).join(', ');
    const ideal = rf.postgresMicros + rf.clientMicros + (d.floor?.cpuMicrosPerMessage ?? 0);
    out.push(
      `- Row floor, a physical limit (bench/gateway/row-floor.ts): the rows the ${rf.workers}-worker drain wrote ` +
        `(a message: ${facts ? `${facts.inserted.toFixed(2)} facts inserted and ${facts.updated.toFixed(2)} updated, ` : ''}${versions ? `${versions.inserted.toFixed(2)} fact versions, ` : ''}its inbox row, timeline step, audit event and seal, and the identity rows), ` +
        `written again into empty copies of their tables with the same indexes, constraints and foreign keys, one statement per table per batch of ${rf.batchSize} messages (${rf.statementsPerBatch} statements a batch), ` +
        `cost PostgreSQL ${int(rf.postgresMicros)} µs of CPU per message on one session (wall µs a message, most first: ${top}; begin and commit ${int(rf.commitMicros)}). ` +
        `The drain's PostgreSQL spent ${int(pgUs)} µs per message${floorRun.steady ? ' steady' : ''}: ${int(pgUs > 0 ? (100 * rf.postgresMicros) / pgUs : 0)}% of it is the rows; the rest is the statements around them (executor start-up, plan cache checks, foreign-key checks' set-up, the protocol). ` +
        `A processor that sent its writes that way, with its own work at the floor above, would spend about ${int(ideal)} µs per message (${int(rf.postgresMicros)} PostgreSQL, ${int(rf.clientMicros)} sending the statements${d.floor ? `, ${int(d.floor.cpuMicrosPerMessage)} the messages' own work` : ''}): about ${int((cores * 1e6) / ideal)} msg/s on ${cores} cores.`,
    );
  }
  const warnings = d.runs.filter((r) => r.warnings.length > 0).map((r) => `${r.workers} worker${r.workers > 1 ? 's' : ''}: ${r.warnings.join(', ')}`);
  if (warnings.length) out.push(`- The workers logged warnings (${warnings.join('; ')}): a warning per message set back, as counted above.`);
  out.push(`- Every processed message has exactly one \`processed\` step in its timeline, in every run: ${d.runs.every((r) => r.verification.processedNotOnce === 0 && r.verification.processedSteps === (r.verification.states.processed ?? 0)) ? 'yes' : '**no**'}.`);
  return out;
}

function steadyCells(run: DrainRun): string {
  if (!run.steady) return '— | —';
  const { parts, total } = cpuParts(run.steady.cpu, run.steady.processed);
  return `${int(run.steady.messagesPerSecond)} | ${parts.map(([, us]) => int(us)).join(' + ')} = ${int(total)}`;
}

function describeOutcome(run: DrainRun): string {
  const v = run.verification;
  return (
    `${run.workers} worker${run.workers > 1 ? 's' : ''}: states ${Object.entries(v.states).map(([k, n]) => `${k} ${int(n)}`).join(', ')}; ${int(v.patients)} patients, ${int(v.facts)} facts (${int(v.factVersions)} versions), ` +
    `${int(v.applyAudits)} apply audit events, ${int(v.parkedOnce)} messages parked on the way.`
  );
}

function renderSoak(s: SoakResult): string[] {
  const mib = (k: number) => (k / 1024).toFixed(1);
  const api = rssSummary(s.samples.flatMap((x) => (x.apiKiB === undefined ? [] : [x.apiKiB])));
  const worker = rssSummary(s.samples.flatMap((x) => (x.workerKiB === undefined ? [] : [x.workerKiB])));
  const out = [
    `### 3. Memory under a soak (one api and one worker process, ${int(s.rate)} msg/s over ${s.connections} connections)`,
    '',
    `${int(s.warmupS)} s warm-up, then ${int(s.soakS)} s with the resident set size (VmRSS, /proc/<pid>/status) read every ${int(s.sampleS)} s: ${s.samples.length} samples. ` +
      '"first" and "last" are each the median of three samples, so one garbage collection does not decide the figure. ' +
      `At the paced rate the ACK latency was p50 ${ms(s.load.p50Ms)} ms, p99 ${ms(s.load.p99Ms)} ms (${int(s.load.messagesPerSecond)} msg/s reached; ${codes(s.load)}). ` +
      `When the load stopped ${int(s.processed)} messages had been processed and ${int(s.backlog)} still waited for the worker${s.backlog > s.processed ? ' (the worker is far slower than the intake, benchmark 2: it was busy the whole time)' : ''}.`,
    '',
    '| process | first MiB | last MiB | max MiB | growth | goal ≤ 10% |',
    '|---|---:|---:|---:|---:|---|',
  ];
  if (api) out.push(`| api | ${mib(api.first)} | ${mib(api.last)} | ${mib(api.max)} | ${pct(api.growthPct)} | ${api.growthPct <= GOALS.rssGrowthPct ? 'met' : 'not met'} |`);
  if (worker) out.push(`| worker | ${mib(worker.first)} | ${mib(worker.last)} | ${mib(worker.max)} | ${pct(worker.growthPct)} | ${worker.growthPct <= GOALS.rssGrowthPct ? 'met' : 'not met'} |`);
  const live = liveSummaries(s);
  if (live.api || live.worker) {
    out.push(
      '',
      'The live heap: what each process held after a full (mark-compact) collection, from `node --trace-gc`; first and last are again medians of three. ' +
        'RSS also counts the slack V8 keeps in proportion to how fast a process allocates, so RSS growing while the live heap stays flat is heap sizing, not a leak.',
      '',
      '| process | full collections | first MiB | last MiB | max MiB | growth |',
      '|---|---:|---:|---:|---:|---:|',
    );
    if (live.api) out.push(`| api | ${int(s.liveHeap.api.length)} | ${live.api.first.toFixed(1)} | ${live.api.last.toFixed(1)} | ${live.api.max.toFixed(1)} | ${pct(live.api.growthPct)} |`);
    if (live.worker) out.push(`| worker | ${int(s.liveHeap.worker.length)} | ${live.worker.first.toFixed(1)} | ${live.worker.last.toFixed(1)} | ${live.worker.max.toFixed(1)} | ${pct(live.worker.growthPct)} |`);
  }
  out.push('');
  out.push(`Samples (seconds: api / worker MiB): ${s.samples.map((x) => `${Math.round(x.atS)}: ${x.apiKiB ? mib(x.apiKiB) : '—'} / ${x.workerKiB ? mib(x.workerKiB) : '—'}`).join('; ')}.`);
  if (s.warnings.length) out.push('', `Warnings logged: ${s.warnings.join(', ')}.`);
  return out;
}
