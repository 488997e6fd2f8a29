import type { DecisionBenchResult, LatencyFigures } from './access-decisions.ts';
import type { TimedLoadFigures } from './access-load.ts';
import type { SealLag } from './access-target.ts';
import type { LoadSettings } from './http-load.ts';
import { machineTableLines, type MachineDescription } from './machine.ts';
import { EXIT_TIMEOUT_MS } from './target-process.ts';

/** The goals of issues 3 and 4 ("Performance"), in one place so the tables and the verdicts cannot disagree. */
export const GOALS = {
  decisionP99Us: 50,
  guardedShareOfUnguarded: 0.85,
  auditedShareOfUnaudited: 0.6,
  sealLagP99Ms: 2000,
} as const;

export type Engine = 'embedded (PGlite)' | 'PostgreSQL';
export type HttpCaseKey = 'guarded' | 'unguarded' | 'unaudited' | 'guarded-repeat';

export interface HttpCase {
  key: HttpCaseKey;
  name: string;
  route: string;
  figures?: TimedLoadFigures;
  probe?: string;
  /** audit.pending rows the moment the load stopped (audited cases). */
  pendingAtEnd?: number;
  /** How long after the load the sealer needed to empty audit.pending; null when it did not within the limit. */
  drainMs?: number | null;
  /** Sealing lag of this case's events (the real route's runs). */
  sealLag?: SealLag;
  error?: string;
}

export interface EngineRun {
  engine: Engine;
  /** Why the engine was not measured. */
  skipped?: string;
  startup?: { startMs?: number; seedMs?: number; drained?: boolean; exitedOnItsOwn?: boolean; error?: string };
  /** What stopped the engine's cases after the server started (the sign-in, a wrong engine). */
  error?: string;
  cases: HttpCase[];
}

export interface AccessReport {
  date: Date;
  totalSeconds: number;
  machine: MachineDescription;
  loadAverages: { before: number; after: number };
  settings: LoadSettings;
  /** Seconds of load on each route after the server started, before the first case. */
  serverWarmupSeconds: number;
  drainLimitSeconds: number;
  decisions?: DecisionBenchResult;
  decisionsError?: string;
  engines: EngineRun[];
  postgresServer?: string;
}

type Verdict = 'met' | 'not met' | 'not measured';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fmtInt = (n: number) => (Number.isFinite(n) ? int.format(n) : 'n/a');
const fmtMs = (n: number | null | undefined) => (n === null ? 'not sealed' : n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(n < 10 ? 2 : 1));
const fmtUs = (ns: number) => (Number.isFinite(ns) ? (ns / 1000).toFixed(ns < 10_000 ? 2 : 1) : 'n/a');
const pct = (fraction: number) => (Number.isFinite(fraction) ? `${Math.round(fraction * 100)}%` : 'n/a');
const cell = (text: string) => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
const verdictCell = (v: Verdict) => (v === 'met' ? '**met**' : v === 'not met' ? '**not met**' : 'not measured');

/** A case whose answers were not all 2xx measured something other than the read (a refusal is cheaper). */
export function usable(c: HttpCase | undefined): TimedLoadFigures | undefined {
  const f = c?.figures;
  return f && f.non2xx === 0 && f.errors === 0 && f.responses > 0 ? f : undefined;
}

function find(run: EngineRun, key: HttpCaseKey): HttpCase | undefined {
  return run.cases.find((c) => c.key === key);
}

/** The real route is measured first and last; comparisons use the mean of the runs that succeeded. */
export function guardedRps(run: EngineRun): number | undefined {
  const runs = [usable(find(run, 'guarded')), usable(find(run, 'guarded-repeat'))].filter((f): f is TimedLoadFigures => f !== undefined);
  return runs.length === 0 ? undefined : runs.reduce((s, f) => s + f.requestsPerSecond, 0) / runs.length;
}

/** How far apart the real route's first and last runs were (at least 5%): a ratio this close to its goal is a coin toss. */
function noiseOf(run: EngineRun): number | undefined {
  const first = usable(find(run, 'guarded'));
  const last = usable(find(run, 'guarded-repeat'));
  if (!first || !last) return undefined;
  return Math.max(Math.abs(last.requestsPerSecond - first.requestsPerSecond) / first.requestsPerSecond, 0.05);
}

function nearGoal(run: EngineRun, share: number, goal: number): string {
  const noise = noiseOf(run);
  return noise !== undefined && Math.abs(share - goal) < noise ? ` (within this run's noise of ±${pct(noise)}: repeat on a quiet machine)` : '';
}

function ratioOf(run: EngineRun, peer: HttpCaseKey): number | undefined {
  const guarded = guardedRps(run);
  const other = usable(find(run, peer));
  return guarded !== undefined && other ? guarded / other.requestsPerSecond : undefined;
}

/** The worst sealing lag p99 over the real route's runs (a run with an unsealed event at p99 counts as failing). */
function worstSealP99(run: EngineRun): { p99: number | null; runs: number } | undefined {
  const lags = [find(run, 'guarded'), find(run, 'guarded-repeat')].map((c) => c?.sealLag).filter((l): l is SealLag => l !== undefined && l.events > 0);
  if (lags.length === 0) return undefined;
  let worst: number | null = 0;
  for (const l of lags) worst = worst === null || l.p99Ms === null ? null : Math.max(worst, l.p99Ms);
  return { p99: worst, runs: lags.length };
}

interface GoalRow {
  measurement: string;
  goal: string;
  result: string;
  verdict: Verdict;
}

function goalRows(report: AccessReport): GoalRow[] {
  const rows: GoalRow[] = [];
  const d = report.decisions;
  rows.push({
    measurement: 'Policy decision latency, in-process (`decide()`, matrix mix)',
    goal: `p99 < ${GOALS.decisionP99Us} µs`,
    result: d ? `p99 ${fmtUs(d.all.p99Ns)} µs (p50 ${fmtUs(d.all.p50Ns)}, p99.9 ${fmtUs(d.all.p999Ns)}) over ${fmtInt(d.all.samples)} decisions` : `not measured: ${cell(report.decisionsError ?? 'unknown reason')}`,
    verdict: d ? (d.all.p99Ns / 1000 < GOALS.decisionP99Us ? 'met' : 'not met') : 'not measured',
  });
  for (const run of report.engines) {
    const why = run.skipped ?? run.startup?.error ?? run.error;
    const guarded = ratioOf(run, 'unguarded');
    rows.push({
      measurement: `Authorized, masked patient read vs the same read with the policy step skipped, ${run.engine}`,
      goal: `≥ ${pct(GOALS.guardedShareOfUnguarded)} of unguarded`,
      result:
        guarded !== undefined
          ? `${pct(guarded)} (${fmtInt(guardedRps(run)!)} vs ${fmtInt(usable(find(run, 'unguarded'))!.requestsPerSecond)} req/s)${nearGoal(run, guarded, GOALS.guardedShareOfUnguarded)}`
          : `not measured${why ? `: ${cell(why)}` : ''}`,
      verdict: guarded === undefined ? 'not measured' : guarded >= GOALS.guardedShareOfUnguarded ? 'met' : 'not met',
    });
    const audited = ratioOf(run, 'unaudited');
    rows.push({
      measurement: `Audited patient read vs the same read without the audit write, ${run.engine}`,
      goal: `≥ ${pct(GOALS.auditedShareOfUnaudited)} of unaudited`,
      result:
        audited !== undefined
          ? `${pct(audited)} (${fmtInt(guardedRps(run)!)} vs ${fmtInt(usable(find(run, 'unaudited'))!.requestsPerSecond)} req/s)${nearGoal(run, audited, GOALS.auditedShareOfUnaudited)}`
          : `not measured${why ? `: ${cell(why)}` : ''}`,
      verdict: audited === undefined ? 'not measured' : audited >= GOALS.auditedShareOfUnaudited ? 'met' : 'not met',
    });
    const lag = worstSealP99(run);
    rows.push({
      measurement: `Sealing lag under the audited-read load, ${run.engine}`,
      goal: `p99 < ${GOALS.sealLagP99Ms / 1000} s`,
      result: lag ? (lag.p99 === null ? 'p99 falls on events not sealed within the wait' : `worst p99 of ${lag.runs} run(s): ${fmtMs(lag.p99)} ms`) : `not measured${why ? `: ${cell(why)}` : ''}`,
      verdict: !lag ? 'not measured' : lag.p99 !== null && lag.p99 < GOALS.sealLagP99Ms ? 'met' : 'not met',
    });
  }
  return rows;
}

function latencyRow(name: string, f: LatencyFigures, goal: string): string {
  return `| ${name} | ${fmtInt(f.samples)} | ${fmtUs(f.p50Ns)} | ${fmtUs(f.p99Ns)} | ${fmtUs(f.p999Ns)} | ${fmtUs(f.maxNs)} | ${fmtUs(f.rawP50Ns)} / ${fmtUs(f.rawP99Ns)} | ${goal} |`;
}

function decisionSection(report: AccessReport): string[] {
  const out = ['## A. Policy decision latency, in-process', ''];
  const d = report.decisions;
  if (!d) return [...out, `Not measured: ${cell(report.decisionsError ?? 'unknown reason')}`, ''];
  const meets = d.all.p99Ns / 1000 < GOALS.decisionP99Us;
  out.push(
    '| what | calls timed | p50 µs | p99 µs | p99.9 µs | max µs | raw p50 / p99 µs | goal |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
    latencyRow('`decide()`, every cell of the matrix', d.all, `p99 < ${GOALS.decisionP99Us} µs: ${meets ? '**met**' : '**not met**'}`),
    latencyRow('… patient-scoped cells only', d.patientScoped, ''),
    latencyRow('… role-only cells (no patient)', d.roleOnly, ''),
    latencyRow('peer: verify one EdDSA access token (jose `jwtVerify`)', d.tokenVerify, 'the peer'),
    '',
    `The mix is every cell of test/access/authorization-matrix.json: ${d.cells.roleSets} role sets (every role in policy.ts` +
      `${d.cells.combinedRoleSets.length > 0 ? `, plus ${d.cells.combinedRoleSets.join(', ')}` : ''}) × ` +
      `${d.cells.relations} relation shapes × the patient actions (${fmtInt(d.cells.patientScoped)} cells), and each role set × the role-level actions ` +
      `(${fmtInt(d.cells.roleOnly)} cells); ${fmtInt(d.cells.permits)} of the ${fmtInt(d.cells.total)} cells permit. The relations are built in memory as ` +
      'relations.ts loads them for the access fixture, and before timing every cell is checked to decide as the matrix says. The cells are shuffled ' +
      '(fixed seed) and cycled; each call is timed alone with `process.hrtime.bigint()` after a 200,000-call warm-up. The timer itself costs ' +
      `${fmtUs(d.timerOverheadNs)} µs per pair (median, p99 ${fmtUs(d.timerOverheadP99Ns)} µs), measured the same way and subtracted from every figure ` +
      '(raw figures shown for comparison). The token peer is timed the same way, one `await jwtVerify()` at a time with Vigil\'s verification options and an ' +
      `in-memory key, for ${d.tokenVerifySeconds.toFixed(1)} s.`,
    '',
  );
  const ratio = d.tokenVerify.p50Ns / Math.max(d.all.p50Ns, 1);
  out.push(
    '### What this shows',
    '',
    `- A decision costs ${fmtUs(d.all.p50Ns)} µs at the median and ${fmtUs(d.all.p99Ns)} µs at p99: ${fmtInt(GOALS.decisionP99Us / Math.max(d.all.p99Ns / 1000, 0.001))}× inside the goal. ` +
      `The token check every authenticated request already pays costs ${fmtUs(d.tokenVerify.p50Ns)} µs at the median, about ${fmtInt(ratio)}× a decision: ` +
      'the decision point is not what a request waits for. What the policy step costs on a request is the relation it loads from the database (benchmark B).',
    `- p99.9 and max include garbage collection and the scheduler preempting this process; they are what a request might meet once in a thousand, ` +
      'not the cost of the rules.',
    '',
  );
  return out;
}

function httpTable(run: EngineRun, drainLimitSeconds: number): string[] {
  const lines = [
    '| case | route | req/s (mean) | ± sd | p50 ms | p99 ms | errors | non-2xx | audit.pending at end | sealed up after |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of run.cases) {
    if (!c.figures) {
      lines.push(`| ${c.name} | \`GET ${c.route}\` | not measured: ${cell(c.error ?? 'unknown reason')} | | | | | | | |`);
      continue;
    }
    const f = c.figures;
    const non2xx = f.non2xx > 0 ? `${fmtInt(f.non2xx)} (${Object.entries(f.statusCodes).filter(([code]) => !code.startsWith('2')).map(([code, n]) => `${code}×${n}`).join(', ')})` : '0';
    const pending = c.pendingAtEnd === undefined ? '—' : fmtInt(c.pendingAtEnd);
    const drain = c.drainMs === undefined ? '—' : c.drainMs === null ? `not within ${drainLimitSeconds} s` : `${fmtInt(c.drainMs)} ms`;
    lines.push(
      `| ${c.name}${c.error ? ` (${cell(c.error)})` : ''} | \`GET ${c.route}\` | ${fmtInt(f.requestsPerSecond)} | ${fmtInt(f.requestsPerSecondSd)} | ${fmtMs(f.latencyP50Ms)} | ${fmtMs(f.latencyP99Ms)} | ${fmtInt(f.errors)} | ${non2xx} | ${pending} | ${drain} |`,
    );
  }
  return lines;
}

function httpSections(report: AccessReport): string[] {
  const s = report.settings;
  const out: string[] = [
    '## B, C, D. Patient reads through HTTP: the policy step, the audit write, the sealing lag',
    '',
    `One Vigil process per engine (role \`all\`: the worker and the audit sealer run during the load), seeded with test/support/access-fixture.ts for one nurse; ` +
      `the nurse signs in through \`POST /auth/login\` and every request carries the same bearer token, so authentication (token check, session load) ` +
      `costs the same on every route. autocannon, ${s.connections} connections, pipelining ${s.pipelining}. After the server starts, each of the three routes is loaded for ${report.serverWarmupSeconds} s (discarded), ` +
      `so the first case does not pay for the server's own warm-up; then ${s.warmupSeconds} s warm-up and ${s.durationSeconds} s measured per case, ` +
      'always the same own-team patient. Before each case audit.pending is waited empty (at most ' +
      `${report.drainLimitSeconds} s), so no case pays for the sealing of the one before.`,
    '',
    '| case | what it does |',
    '|---|---|',
    '| real route | `GET /fhir/R4/Patient/:id`: the guard\'s decision, loadPatientRelation (one statement), decide(), the patient (two statements), the nurse\'s field mask, the audit event (two inserts), in one transaction |',
    '| unguarded peer | `/bench/unguarded/Patient/:id`: PatientService.read with `authorize` replaced by a fixed permit of every field: no guard decision, no relation load, no decide(); the same transaction, patient load and audit event |',
    '| unaudited peer | `/bench/unaudited/Patient/:id`: the real route\'s guard, relation load and decision, and the patient; no audit event |',
    '',
  ];
  for (const run of report.engines) {
    out.push(`### ${run.engine}`, '');
    if (run.skipped) {
      out.push(`Not measured: ${cell(run.skipped)}.${run.engine === 'PostgreSQL' ? ' Set DATABASE_URL to a server where the user may create databases (see bench/README.md).' : ''}`, '');
      continue;
    }
    if (run.startup?.error) {
      out.push(`Not measured: the server did not start (${cell(run.startup.error)}).`, '');
      continue;
    }
    if (run.error) out.push(`Stopped early: ${cell(run.error)}`, '');
    out.push(...httpTable(run, report.drainLimitSeconds), '');
    const first = usable(find(run, 'guarded'));
    const repeat = usable(find(run, 'guarded-repeat'));
    const unguarded = usable(find(run, 'unguarded'));
    const unaudited = usable(find(run, 'unaudited'));
    const guarded = guardedRps(run);
    const lines: string[] = [];
    if (first && repeat) {
      const drift = Math.abs(repeat.requestsPerSecond - first.requestsPerSecond) / first.requestsPerSecond;
      lines.push(
        `- **How steady.** The real route ran first and last: ${fmtInt(first.requestsPerSecond)} and ${fmtInt(repeat.requestsPerSecond)} req/s (${pct(drift)} apart). ` +
          `Comparisons below use their mean (${fmtInt(guarded!)} req/s); a difference smaller than about ${pct(Math.max(drift, 0.05))} is noise.` +
          (drift > 0.2 ? ' **That gap is large: other work used the CPU during this run, and the ratios below mean little.**' : ''),
      );
    }
    const cost = (peerRps: number) => {
      const us = 1e6 / guarded! - 1e6 / peerRps;
      // A real route faster than its peer can only be noise; a negative "cost" would read as a measurement.
      return us > 0 ? `about ${fmtInt(us)} µs per request (1 s ÷ req/s, meaningful while the server is the bottleneck)` : 'no measurable cost: the real route was the faster of the two in this run, which only noise explains';
    };
    if (guarded !== undefined && unguarded) {
      const share = guarded / unguarded.requestsPerSecond;
      const d = report.decisions;
      lines.push(
        `- **B. The policy step** (the guard's decision, the relation load, the decision for this patient, the field mask) leaves ${pct(share)} of the unguarded throughput ` +
          `(goal ≥ ${pct(GOALS.guardedShareOfUnguarded)}: ${share >= GOALS.guardedShareOfUnguarded ? 'met' : 'not met'}): ${cost(unguarded.requestsPerSecond)}.` +
          (d ? ` The two decide() calls account for about ${fmtUs(2 * d.all.p50Ns)} µs of it (benchmark A); the rest is essentially the relation query (one statement with several subqueries: care team, coverage, encounters, break-glass).` : '') +
          ' The unguarded peer returns every field (payer included), a few bytes more than the masked answer.',
      );
    }
    if (guarded !== undefined && unaudited) {
      const share = guarded / unaudited.requestsPerSecond;
      lines.push(
        `- **C. The audit write** (an audit.events row with four indexes and an audit.pending row, in the read's transaction, plus the sealer's work ` +
          `behind it) leaves ${pct(share)} of the unaudited throughput (goal ≥ ${pct(GOALS.auditedShareOfUnaudited)}: ${share >= GOALS.auditedShareOfUnaudited ? 'met' : 'not met'}): ` +
          `${cost(unaudited.requestsPerSecond)}.` +
          (run.engine === 'embedded (PGlite)'
            ? ' On the embedded engine the sealer shares the single connection and the event loop with the requests, so its work shows in this figure.'
            : ' The sealer runs in the same Node process as the requests; its statements run on the PostgreSQL server, which shares these cores.'),
      );
    }
    const lags = [find(run, 'guarded'), find(run, 'guarded-repeat')].filter((c): c is HttpCase => c?.sealLag !== undefined);
    if (lags.length > 0) {
      const parts = lags.map((c) => {
        const l = c.sealLag!;
        return `${c.name}: ${fmtInt(l.events)} events, ${fmtInt(l.sealed)} sealed, lag p50 ${fmtMs(l.p50Ms)} ms, p99 ${fmtMs(l.p99Ms)} ms, max ${fmtMs(l.maxMs)} ms; ` +
          `${fmtInt(c.pendingAtEnd ?? Number.NaN)} events still unsealed when the load stopped, sealed up ${c.drainMs === null || c.drainMs === undefined ? `not within ${report.drainLimitSeconds} s` : `${fmtInt(c.drainMs)} ms`} later`;
      });
      const worst = worstSealP99(run);
      lines.push(
        `- **D. Sealing lag** (sealed_at − recorded_at of the run's own \`patient.read\` events, from audit.seals joined to audit.events, read after the tail was sealed): ` +
          `${parts.join('; ')}. Goal p99 < ${GOALS.sealLagP99Ms / 1000} s: ${worst && worst.p99 !== null && worst.p99 < GOALS.sealLagP99Ms ? 'met' : 'not met'}. ` +
          'The sealer wakes every 250 ms by default (VIGIL_AUDIT_SEAL_INTERVAL_MS) and seals up to 20 batches of 500 per pass, so a lag of about one ' +
          'interval plus one pass is the design; a tail that takes longer and longer to seal means the sealer is falling behind the load.',
      );
    }
    if (lines.length > 0) out.push(...lines, '');
  }
  return out;
}

export function renderAccessResults(report: AccessReport): string {
  const m = report.machine;
  const lines: string[] = [
    '# Vigil access and audit benchmark results',
    '',
    `Written by \`node --import tsx bench/access.ts\` on ${report.date.toISOString()}; the run took ${Math.round(report.totalSeconds)} s. ` +
      'Do not edit by hand: run the bench again. See bench/README.md ("Access control and audit") for what each case compares against and why.',
    '',
    '## Machine',
    '',
    ...machineTableLines(m, report.postgresServer, report.loadAverages),
    '',
    '## Goals',
    '',
    '| measurement | goal | this run | verdict |',
    '|---|---|---|---|',
    ...goalRows(report).map((r) => `| ${r.measurement} | ${r.goal} | ${r.result} | ${verdictCell(r.verdict)} |`),
    '',
  ];
  if (report.loadAverages.before > 0.5) {
    lines.push(`> The 1-minute load average was ${report.loadAverages.before} when the run began: other work shared the CPU, and the figures are not worth comparing.`, '');
  }
  lines.push(...decisionSection(report), ...httpSections(report));
  lines.push('### Server start-up', '', '| server process | ready after | fixture seeded in | stopped cleanly |', '|---|---:|---:|---|');
  for (const run of report.engines) {
    const t = run.startup;
    if (!t) continue;
    if (t.error) {
      lines.push(`| ${run.engine} | failed: ${cell(t.error)} | | |`);
      continue;
    }
    lines.push(
      `| ${run.engine} | ${t.startMs === undefined ? 'n/a' : `${fmtInt(t.startMs)} ms`} | ${t.seedMs === undefined ? 'n/a' : `${fmtInt(t.seedMs)} ms`} | ` +
        `${t.drained ? 'drained' : 'not drained'}; ${t.exitedOnItsOwn ? 'process exited on its own' : `process still alive ${EXIT_TIMEOUT_MS / 1000} s after stop() returned, killed`} |`,
    );
  }
  lines.push('');
  const probes = report.engines.flatMap((run) => run.cases.filter((c) => c.probe).map((c) => `- ${run.engine}, ${c.name}: ${c.probe}`));
  if (probes.length > 0) lines.push('### Checks before each case', '', ...probes, '');
  return lines.join('\n');
}
