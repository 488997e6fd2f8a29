import type { LoadFigures, LoadSettings } from './http-load.ts';
import { machineTableLines, type MachineDescription } from './machine.ts';
import { EXIT_TIMEOUT_MS } from './target-process.ts';

/** Stable keys so the explanation can find the cases it compares. */
export type CaseKey =
  | 'bare'
  | 'embedded-live'
  | 'embedded-ready'
  | 'embedded-instance'
  | 'embedded-instance-info'
  | 'postgres-ready'
  | 'postgres-instance'
  | 'postgres-instance-info'
  | 'bare-repeat';

export interface CaseResult {
  key: CaseKey;
  name: string;
  engine: 'none' | 'embedded (PGlite)' | 'PostgreSQL';
  route: string;
  logging: 'n/a' | 'silent' | 'info';
  figures?: LoadFigures;
  /** What one request before the load answered (status, and the engine /health/ready named). */
  probe?: string;
  /** Header lines of the probe's response and their size (name: value CRLF), as the client received them. */
  responseHeaders?: { count: number; bytes: number };
  /** Why the case has no figures. */
  error?: string;
}

export interface TargetStartup {
  name: string;
  startMs?: number;
  drained?: boolean;
  exitedOnItsOwn?: boolean;
  error?: string;
}

export interface RunReport {
  date: Date;
  totalSeconds: number;
  machine: MachineDescription;
  /** 1-minute load average when the run began and when it ended (before this run's own load shows, it says what else ran). */
  loadAverages: { before: number; after: number };
  settings: LoadSettings;
  cases: CaseResult[];
  startups: TargetStartup[];
  /** One line per engine that was not measured, saying why. */
  engineNotes: string[];
  postgresServer?: string;
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fmtInt = (n: number) => int.format(n);
const fmtMs = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : 'n/a');
const fmtRatio = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const pct = (fraction: number) => `${Math.round(fraction * 100)}%`;
/** Server time per request implied by a throughput, in microseconds (meaningful when the server is the bottleneck). */
const usPerRequest = (rps: number) => 1e6 / rps;
/** Text that may come from an error message, made safe for one Markdown table cell. */
const cell = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');

function byKey(cases: CaseResult[], key: CaseKey): LoadFigures | undefined {
  return cases.find((c) => c.key === key)?.figures;
}

/** The baseline every ratio divides by: the mean of the bare Fastify runs (first and last), or the one that ran. */
export function baselineRps(cases: CaseResult[]): number | undefined {
  const runs = [byKey(cases, 'bare'), byKey(cases, 'bare-repeat')].filter((f): f is LoadFigures => f !== undefined);
  return runs.length === 0 ? undefined : runs.reduce((sum, f) => sum + f.requestsPerSecond, 0) / runs.length;
}

function caseTable(report: RunReport): string[] {
  const baseline = baselineRps(report.cases);
  const lines = [
    '| case | database | route | logging | req/s (mean) | ± sd | p50 ms | p99 ms | errors | non-2xx | × bare Fastify |',
    '|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of report.cases) {
    if (!c.figures) {
      lines.push(`| ${c.name} | ${c.engine} | \`GET ${c.route}\` | ${c.logging} | not measured: ${cell(c.error ?? 'unknown reason')} | | | | | | |`);
      continue;
    }
    const f = c.figures;
    const ratio = baseline ? f.requestsPerSecond / baseline : Number.NaN;
    const non2xx = f.non2xx > 0 ? `${fmtInt(f.non2xx)} (${Object.entries(f.statusCodes).filter(([code]) => !code.startsWith('2')).map(([code, n]) => `${code}×${n}`).join(', ')})` : '0';
    lines.push(
      `| ${c.name} | ${c.engine} | \`GET ${c.route}\` | ${c.logging} | ${fmtInt(f.requestsPerSecond)} | ${fmtInt(f.requestsPerSecondSd)} | ${fmtMs(f.latencyP50Ms)} | ${fmtMs(f.latencyP99Ms)} | ${fmtInt(f.errors)} | ${non2xx} | ${fmtRatio(ratio)} |`,
    );
  }
  return lines;
}

/** "What this shows": sentences computed from this run's figures, so they stay true when the figures change. */
function explanation(report: RunReport): string[] {
  const c = report.cases;
  const s = report.settings;
  const bare = byKey(c, 'bare');
  const repeat = byKey(c, 'bare-repeat');
  const live = byKey(c, 'embedded-live');
  const eReady = byKey(c, 'embedded-ready');
  const eInstance = byKey(c, 'embedded-instance');
  const eInfo = byKey(c, 'embedded-instance-info');
  const pReady = byKey(c, 'postgres-ready');
  const pInstance = byKey(c, 'postgres-instance');
  const pInfo = byKey(c, 'postgres-instance-info');
  const out: string[] = [];

  const baseline = baselineRps(c);
  const bareCase = c.find((x) => x.key === 'bare');
  const liveCase = c.find((x) => x.key === 'embedded-live');

  if (bare) {
    let line =
      `- **The ceiling.** Bare Fastify answered ${fmtInt(bare.requestsPerSecond)} req/s. The load generator and the server share ` +
      `the same ${report.machine.cores} cores, so this is the most this machine can show for any HTTP route, not Fastify's own limit.`;
    if (repeat) {
      const drift = Math.abs(repeat.requestsPerSecond - bare.requestsPerSecond) / bare.requestsPerSecond;
      line +=
        ` The same baseline measured again at the end of the run gave ${fmtInt(repeat.requestsPerSecond)} req/s (${pct(drift)} apart): ` +
        `differences between cases smaller than about ${pct(Math.max(drift, 0.05))}, or than a case's own ± sd, are noise.`;
      if (drift > 0.2) {
        line +=
          ` **That is a large gap: either other work used the CPU during the run (see the load average at the start) or the ` +
          `baseline is unsteady on this machine (on 2 shared cores, where the scheduler places client and server matters); ` +
          `small differences between cases mean nothing in this run.**`;
      }
    }
    out.push(line);
  }
  if (baseline && live) {
    let line =
      `- **Vigil's HTTP stack alone** (\`/health/live\`, no database: a request id, helmet's security headers, cache-control, ` +
      `metrics and the (silent) log call on every response, response schema serialisation) reaches ${pct(live.requestsPerSecond / baseline)} of bare Fastify, ` +
      `roughly ${fmtInt(usPerRequest(live.requestsPerSecond) - usPerRequest(baseline))} µs more per request ` +
      `(1 s ÷ req/s is the time per request when the server is the bottleneck; the load generator's share of the CPU blurs it).`;
    if (bareCase?.responseHeaders && liveCase?.responseHeaders) {
      line +=
        ` Part of it is bytes: each Vigil response carries ${liveCase.responseHeaders.count} headers (${fmtInt(liveCase.responseHeaders.bytes)} bytes, ` +
        `mostly helmet's) where bare Fastify sends ${bareCase.responseHeaders.count} (${fmtInt(bareCase.responseHeaders.bytes)} bytes).`;
    }
    out.push(line);
  }
  if (eInstance) {
    let line = `- **One row through the whole stack on the embedded database** (\`/api/v1/instance\`): ${fmtInt(eInstance.requestsPerSecond)} req/s`;
    if (baseline) line += ` (${pct(eInstance.requestsPerSecond / baseline)} of bare Fastify)`;
    if (live) line += `; the query itself (Kysely, the PGlite pool shim, PGlite) adds about ${fmtInt(usPerRequest(eInstance.requestsPerSecond) - usPerRequest(live.requestsPerSecond))} µs per request over \`/health/live\``;
    line +=
      `. PGlite is PostgreSQL compiled to WebAssembly running on the server's own JavaScript thread with a single connection: ` +
      `every query runs one at a time and blocks the event loop while it runs, so the ${s.connections} connections queue behind each other ` +
      `and the median latency (${fmtMs(eInstance.latencyP50Ms)} ms) is mostly waiting for the ones ahead.`;
    out.push(line);
  }
  if (eReady && eInstance) {
    out.push(
      `- **Readiness is dearer than a row read** (${fmtInt(eReady.requestsPerSecond)} vs ${fmtInt(eInstance.requestsPerSecond)} req/s embedded` +
        (pReady && pInstance ? `, ${fmtInt(pReady.requestsPerSecond)} vs ${fmtInt(pInstance.requestsPerSecond)} on PostgreSQL` : '') +
        `): \`/health/ready\` runs four statements in sequence (a ping, two for the migration status, one for worker heartbeats) and ` +
        `sets three gauges. A probe every few seconds costs nothing; it is not a route to poll in a loop.`,
    );
  }
  if (eInfo && eInstance) {
    const change = (info: LoadFigures, silent: LoadFigures) => {
      const delta = info.requestsPerSecond / silent.requestsPerSecond - 1;
      const us = usPerRequest(info.requestsPerSecond) - usPerRequest(silent.requestsPerSecond);
      if (Math.abs(delta) < 0.005) return 'less than 1% (no measurable change)';
      return `${delta >= 0 ? '+' : '−'}${pct(Math.abs(delta))} (${us >= 0 ? '+' : '−'}${fmtInt(Math.abs(us))} µs per request)`;
    };
    out.push(
      `- **Per-request logging** (one \`http.request\` line at info, cleaned by the allowlist, serialised by pino, written synchronously to /dev/null) ` +
        `changes throughput on the embedded database by ${change(eInfo, eInstance)}` +
        (pInfo && pInstance ? ` and on PostgreSQL by ${change(pInfo, pInstance)}` : '') +
        `. Compare the µs rather than the per cent: the line is CPU spent on the server's thread whatever the engine, so in relative ` +
        `terms it shows more the cheaper the rest of the request is; a difference within the noise above means nothing. A real log file, ` +
        `or stdout piped to a collector, costs more than /dev/null.`,
    );
  }
  if (pInstance && eInstance) {
    const ratio = pInstance.requestsPerSecond / eInstance.requestsPerSecond;
    out.push(
      `- **PostgreSQL server vs embedded:** the row read runs at ${fmtRatio(ratio)}× the embedded rate ` +
        `(p50 ${fmtMs(pInstance.latencyP50Ms)} ms vs ${fmtMs(eInstance.latencyP50Ms)} ms). On the server the queries run in other processes over a pool ` +
        `of connections (VIGIL_DB_POOL_SIZE, 10 by default), so Node's event loop is free while they run; but the PostgreSQL backends, Vigil and the load generator ` +
        `all compete for the same ${report.machine.cores} cores here, and each query pays a loopback round trip and the pg protocol.`,
    );
  }
  out.push(
    `- **Caveats.** One run of ${s.durationSeconds} s per case after a ${s.warmupSeconds} s warm-up, ${s.connections} connections, pipelining ${s.pipelining}, ` +
      `over loopback only. Vigil runs with role \`all\`, so its worker polls for jobs every 500 ms and writes a heartbeat every 5 s on the same ` +
      `database during the measurement (on PGlite those take the single connection for a moment). The instance table holds one row, ` +
      `so the query is a best case; these figures bound the fixed cost of a request, not the cost of clinical routes, which will do more work.`,
  );
  return out;
}

export function renderResults(report: RunReport): string {
  const m = report.machine;
  const s = report.settings;
  const lines: string[] = [
    '# Vigil benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${report.date.toISOString()}; the run took ${Math.round(report.totalSeconds)} s. ` +
      'Do not edit by hand: run the bench again. See bench/README.md for what each case compares against and why.',
    '',
    '## Machine',
    '',
    ...machineTableLines(m, report.postgresServer, report.loadAverages),
    '',
    `Load: autocannon against 127.0.0.1, ${s.connections} connections, pipelining ${s.pipelining}, ${s.warmupSeconds} s warm-up (discarded) then ` +
      `${s.durationSeconds} s measured per case. The load generator runs in the bench process; each server runs in its own child process, ` +
      'started the same way for the baseline and for Vigil.',
    '',
    '## Benchmark 1: fixed cost of a request, against bare Fastify',
    '',
    ...caseTable(report),
    '',
    'req/s is the mean of autocannon\'s per-second samples and ± sd their standard deviation (how steady the case was). p50 and p99 are computed from every response\'s own timing in the measured ' +
      'period. errors counts connection errors and timeouts; non-2xx counts answers with another status. × bare Fastify divides req/s by ' +
      'the mean of the two bare Fastify runs (first and last case).',
    '',
  ];
  if (report.engineNotes.length > 0) {
    lines.push(...report.engineNotes.map((note) => `> ${note}`), '');
  }
  lines.push('### What this shows', '', ...explanation(report), '');
  lines.push(
    '### Server start-up',
    '',
    '| server process | ready after | stopped cleanly |',
    '|---|---:|---|',
    ...report.startups.map((t) =>
      t.error
        ? `| ${t.name} | failed: ${cell(t.error)} | |`
        : `| ${t.name} | ${t.startMs === undefined ? 'n/a' : `${fmtInt(t.startMs)} ms`} | ${t.drained ? 'drained' : 'not drained'}; ${t.exitedOnItsOwn ? 'process exited on its own' : `process still alive ${EXIT_TIMEOUT_MS / 1000} s after stop() returned, killed`} |`,
    ),
    '',
    '"ready after" runs from the first line of the child\'s bench code to listening with the database migrated and the instance row ' +
      'present (module loading by tsx is not included). The first embedded start creates the data folder.',
    '',
  );
  const probes = report.cases.filter((c) => c.probe);
  if (probes.length > 0) {
    lines.push('### Checks before each case', '', ...probes.map((c) => `- ${c.name} (${c.engine === 'none' ? 'no database' : c.engine}, logging ${c.logging}): ${c.probe}`), '');
  }
  return lines.join('\n');
}
