import type { MachineDescription } from '../machine.ts';
import type { ChartSeed } from './seed.ts';

/** The "Chart read" section of bench/RESULTS.md, with its verdicts computed from the figures. */
export const GOAL_P99_MS = 50;

export interface SideFigures {
  requests: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  bytesPerAnswer: number;
  non200: number;
  /** CPU milliseconds per request of the Vigil process and of the whole PostgreSQL server. */
  vigilCpuMs: number;
  postgresCpuMs: number;
  /** Floor only: median milliseconds per request of each step (Server-Timing). */
  steps: Record<string, number>;
  /** Walk only: total milliseconds of each full walk, and the median latency of the first and the last page. */
  walkMs?: number[];
  firstPageMs?: number;
  secondPageMs?: number;
  lastPageMs?: number;
}

export interface ReadCase {
  key: 'chart' | 'section' | 'everything' | 'walk';
  title: string;
  route: string;
  floorRoute: string;
  /** What one answer held, from the probe (counts only). */
  answer?: string;
  pages?: number;
  real?: SideFigures;
  floor?: SideFigures;
  error?: string;
}

export interface ChartReport {
  date: Date;
  command: string;
  totalSeconds: number;
  machine: MachineDescription;
  load: { before: number; after: number };
  postgres?: { version: string; settings: string };
  seed?: ChartSeed;
  startMs?: number;
  stoppedCleanly?: boolean;
  warnings: Record<string, number>;
  settings: { requests: number; warmup: number; pageSize: number; block: number };
  cases: ReadCase[];
  skipped?: string;
  error?: string;
}

const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
const n = (v: number) => v.toLocaleString('en-US');
const kib = (bytes: number) => `${n(Math.round(bytes / 1024))}`;
const pct = (part: number, whole: number) => `${Math.round((100 * part) / whole)}%`;
const middle = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const STEP_NAMES: Record<string, string> = {
  patient: 'patient row + identifiers, projected',
  identifiers: 'identifiers with their sources',
  encounters: 'encounters',
  pages: 'section pages (one statement: a LIMITed index scan per kind, a window per section; rows with provenance)',
  counts: 'section totals (one statement, grouped by kind)',
  observations: "the page's reports' observations (one statement)",
  view: 'chart view (`chartFact`, `chartResult`)',
  count: 'entry total (one statement)',
  page: 'entry ids (one keyset page: a LIMITed index scan per part)',
  facts: 'facts (`loadFacts`: rows with the version count, last update and provenance kept on the fact row)',
  links: 'links (`loadLinks`: report results, orders)',
  fhir: 'FHIR resources (`toFhir`, `toEncounter`)',
  stale: 'stale feeds',
  tx: 'connection, BEGIN, COMMIT',
  json: 'JSON.stringify of the answer',
};

function verdict(c: ReadCase): string {
  if (!c.real) return 'not measured';
  if (c.real.non200 > 0) return 'not measured (errors)';
  return c.real.p99 < GOAL_P99_MS ? 'met' : '**not met**';
}

function machineLine(r: ChartReport): string {
  const m = r.machine;
  return `${m.cpuModel}, ${m.cores} cores, ${m.totalMemoryGiB} GiB, Node ${m.node}, ${m.os}, commit ${m.commit}; 1-min load ${r.load.before} → ${r.load.after}; the run took ${Math.round(r.totalSeconds)} s`;
}

export function renderChart(r: ChartReport): string {
  const lines: string[] = [
    '## Chart read: the chart, its section pages and Patient/$everything of a patient with 5,000 facts',
    '',
    `Written by \`${r.command}\` on ${r.date.toISOString()} (${machineLine(r)}). See bench/README.md ("Chart read") for the method and the peer.`,
    '',
  ];
  if (r.skipped) return [...lines, `Not measured: ${r.skipped}.`].join('\n');
  if (r.postgres) {
    lines.push(
      `PostgreSQL: ${r.postgres.version}, a throwaway cluster started by the bench on a free loopback port with the server's default settings (${r.postgres.settings}). ` +
        'Vigil: one process as `vigil start --role all` runs it (HTTP, worker, audit sealer), VIGIL_ENV=production, LOG_LEVEL=info, the default pool of 10. ' +
        'Client, Vigil and PostgreSQL share the same cores.',
      '',
    );
  }
  if (r.seed) {
    const s = r.seed;
    const kinds = Object.entries(s.factsByKind).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${n(v)}`).join(', ');
    lines.push(
      `The chart: one patient of the physician's care team, ${n(s.facts)} facts (${kinds}) in ${n(s.versions)} versions (${n(s.factsWithMoreThanOneVersion)} facts with 2–3), ` +
        `each version with its provenance, and ${n(s.encounters)} encounters; written by the core writers in the bench process (${n(s.writes)} writes, ${(s.seedMs / 1000).toFixed(1)} s with the access fixture), then VACUUM ANALYZE.` +
        (r.startMs !== undefined ? ` Vigil was ready ${(r.startMs / 1000).toFixed(1)} s after its fork.` : ''),
      '',
    );
  }
  if (r.load.before > 0.5) {
    lines.push(`> The 1-minute load average was ${r.load.before} when the run began: other work shared the two cores, so every latency here is inflated by waiting for a CPU. The CPU-per-request columns move much less with other load.`, '');
  }
  if (r.error) lines.push(`**The run failed:** ${r.error}`, '');

  lines.push(
    `### Goal (issue 6): p99 < ${GOAL_P99_MS} ms on PostgreSQL`,
    '',
    '| read | p50 | p99 | goal | verdict |',
    '|---|---:|---:|---|---|',
    ...r.cases.map((c) => `| ${c.title} | ${ms(c.real?.p50)} ms | ${ms(c.real?.p99)} ms | p99 < ${GOAL_P99_MS} ms | ${c.error ? `failed: ${c.error}` : verdict(c)} |`),
    '',
    `### Latency and CPU per request`,
    '',
    `${r.settings.warmup} requests of each route first as a warm-up (discarded; a whole walk for the paged read), then ${r.settings.requests} sequential requests per route on one keep-alive connection, ` +
      `the real route and its floor alternating in blocks (${r.settings.block} requests, or one walk) in the order AB BA AB …, so drift hits both. Latency is timed by the client to the last byte of the answer.`,
    '',
    '| read | route | requests | p50 ms | p95 ms | p99 ms | max ms | mean ms | KiB per answer | Vigil CPU ms/req | PostgreSQL CPU ms/req |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const c of r.cases) {
    for (const [label, route, side] of [['real', c.route, c.real], ['floor (peer)', c.floorRoute, c.floor]] as const) {
      if (!side) continue;
      lines.push(`| ${c.title}, ${label} | \`${route}\` | ${n(side.requests)}${side.non200 ? ` (${side.non200} not 200)` : ''} | ${ms(side.p50)} | ${ms(side.p95)} | ${ms(side.p99)} | ${ms(side.max)} | ${ms(side.mean)} | ${kib(side.bytesPerAnswer)} | ${ms(side.vigilCpuMs)} | ${ms(side.postgresCpuMs)} |`);
    }
    if (c.real && c.floor) {
      lines.push(`| ${c.title}: **guard + audit** (real − floor) | | | ${ms(c.real.p50 - c.floor.p50)} | ${ms(c.real.p95 - c.floor.p95)} | ${ms(c.real.p99 - c.floor.p99)} | | ${ms(c.real.mean - c.floor.mean)} | | ${ms(c.real.vigilCpuMs - c.floor.vigilCpuMs)} | ${ms(c.real.postgresCpuMs - c.floor.postgresCpuMs)} |`);
    }
  }
  lines.push('');

  const withSteps = r.cases.filter((c) => c.floor && Object.keys(c.floor.steps).length > 0);
  if (withSteps.length > 0) {
    const names = [...new Set(withSteps.flatMap((c) => Object.keys(c.floor!.steps)))];
    lines.push(
      '### Where the floor spends its time',
      '',
      "Mean milliseconds per request of each step of the floor routes (their Server-Timing header: wall clock in the Vigil process, so a statement's step includes its round trip, PostgreSQL's work and parsing the rows; a step only some requests run, such as the patient on a walk's first page, is spread over all). The real route runs the same steps plus the relation load, the decisions and the audit insert with its durable commit.",
      '',
      `| step | ${withSteps.map((c) => c.title).join(' | ')} |`,
      `|---|${withSteps.map(() => '---:').join('|')}|`,
      ...names.map((name) => `| ${STEP_NAMES[name] ?? name} | ${withSteps.map((c) => ms(c.floor!.steps[name])).join(' | ')} |`),
      `| sum (the handler's mean) | ${withSteps.map((c) => ms(Object.values(c.floor!.steps).reduce((a, b) => a + b, 0))).join(' | ')} |`,
      '',
    );
  }

  lines.push('### What this shows', '');
  for (const c of r.cases) {
    if (!c.real || !c.floor) continue;
    const cost = c.real.p50 - c.floor.p50;
    const bits = [`**${c.title}**${c.answer ? ` (${c.answer})` : ''}: p99 ${ms(c.real.p99)} ms against the goal of ${GOAL_P99_MS} ms (${verdict(c).replace(/\*/g, '')}).`];
    const cpu = c.real.vigilCpuMs + c.real.postgresCpuMs;
    bits.push(
      `Each request cost ${ms(c.real.vigilCpuMs)} ms of CPU in Vigil and ${ms(c.real.postgresCpuMs)} ms in PostgreSQL (${ms(cpu)} ms, mostly one after the other)` +
        (cpu >= GOAL_P99_MS ? ': more than the goal before any waiting, so an idle machine would not meet it either.' : ', so on an idle machine the latency would be near that; what is above it here is waiting for a CPU.'),
    );
    const cpuCost = cpu - (c.floor.vigilCpuMs + c.floor.postgresCpuMs);
    bits.push(
      (cost > 0
        ? `The guard and the audit add ${ms(cost)} ms at the median (${pct(cost, c.real.p50)} of the real route's ${ms(c.real.p50)} ms) and ${ms(cpuCost)} ms of CPU per request; `
        : `The guard and the audit are below this run's noise at the median (real − floor ${ms(cost)} ms), and so is their CPU (real − floor ${ms(cpuCost)} ms per request, ${pct(cpuCost, cpu)}); `) +
        `the floor, the same reads with neither, is at p50 ${ms(c.floor.p50)} / p99 ${ms(c.floor.p99)} ms` +
        (c.floor.vigilCpuMs + c.floor.postgresCpuMs >= GOAL_P99_MS ? `, and its CPU alone (${ms(c.floor.vigilCpuMs + c.floor.postgresCpuMs)} ms) is more than the goal: the reads and the JSON are what is slow, not the guard.` : '.'),
    );
    const steps = Object.entries(c.floor.steps).sort((a, b) => b[1] - a[1]);
    const total = steps.reduce((a, [, v]) => a + v, 0);
    if (steps.length > 0 && total > 0) bits.push(`Largest steps of the floor: ${steps.slice(0, 3).map(([name, v]) => `${name} ${ms(v)} ms (${pct(v, total)})`).join(', ')}.`);
    if (c.real.walkMs && c.floor.walkMs && c.pages) {
      bits.push(`A client that follows every page needs ${c.pages} requests; one whole walk took ${(middle(c.real.walkMs) / 1000).toFixed(2)} s at the median (floor ${(middle(c.floor.walkMs) / 1000).toFixed(2)} s); the first page's median was ${ms(c.real.firstPageMs)} ms and the last page's ${ms(c.real.lastPageMs)} ms.`);
    }
    lines.push(`- ${bits.join(' ')}`);
  }
  lines.push(
    '- Before the chart was paged (the run of 2026-11-26 02:40 UTC, same seed, load 7.0): the chart answered the newest 2,000 facts in full, 2,117 KiB, at p50 160 / p99 325 ms, ' +
      'costing 86.0 ms of CPU in Vigil and 43.9 ms in PostgreSQL per request; $everything paged by offset (first page p99 36.0 ms, every page p99 44.4 ms).',
  );
  const warnings = Object.entries(r.warnings);
  lines.push(`- Vigil logged ${warnings.length === 0 ? 'no warnings or errors' : `these warnings and errors (event names): ${warnings.map(([k, v]) => `${k} ×${v}`).join(', ')}`} during the run, and ${r.stoppedCleanly === false ? 'did **not** stop cleanly' : 'stopped cleanly'}.`);
  return lines.join('\n');
}
