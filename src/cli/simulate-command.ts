import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { VigilError } from '../errors.ts';
import { planTraffic, PLAN_LIMITS } from '../simulator/plan.ts';
import { sendTraffic } from '../simulator/send.ts';
import { SIMULATOR_SOURCES, sourcesInUse } from '../simulator/sources.ts';
import { summarizePlan, type PlanSummary } from '../simulator/summary.ts';
import { CommandUsageError, runCommand } from './command-support.ts';

/**
 * `vigil simulate`: a simulated hospital sending a seed's worth of messy HL7 v2 traffic to a running Vigil, checking
 * every acknowledgment. It prints counts only: the traffic is synthetic but looks like patient data, and a terminal
 * or CI log is no place for it. Exit codes: 0 every ACK as expected, 1 a mismatch, a lost message or Vigil not ready,
 * 2 a usage error.
 */
export const SIMULATE_USAGE = `  vigil simulate --patients N --seed S [--url http://localhost:8080] [--mllp localhost:2575] [--sources 3]
                 [--rate MSGS_PER_SEC] [--silent-feed SOURCE_NAME --silent-seconds 60]
                 [--malformed-rate 0.02] [--duplicate-rate 0.05] [--json]
      Send a simulated hospital's HL7 v2 traffic (admissions, updates, discharges, lab results, pharmacy orders and
      doses, with duplicates, replays, out-of-order delivery, late merges and broken messages) over MLLP, the same
      for the same seed, once GET /health/ready on --url answers. Checks each ACK; prints counts, never content.
  vigil simulate --print-sources [--profiles-dir ./.vigil/simulator-profiles] [--json]
      Write the simulator's source profiles and print the \`vigil sources add\` commands that register its sources.`;

const READY_TIMEOUT_MS = 60_000;

function wholeNumber(value: string | undefined, name: string, fallback: number | undefined, min: number, max: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new CommandUsageError(`${name} is required.`);
    return fallback;
  }
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new CommandUsageError(`${name} must be a whole number from ${min} to ${max}.`);
  return Number(value);
}

function share(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || n > PLAN_LIMITS.maxRate) throw new CommandUsageError(`${name} must be a number from 0 to ${PLAN_LIMITS.maxRate}.`);
  return n;
}

function mllpAddress(value: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65_535) throw new CommandUsageError('--mllp must be HOST:PORT, e.g. localhost:2575.');
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function httpUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CommandUsageError('--url must be an http:// or https:// URL, e.g. http://localhost:8080.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CommandUsageError('--url must be an http:// or https:// URL, e.g. http://localhost:8080.');
  return url;
}

async function waitUntilReady(url: URL): Promise<void> {
  const probe = new URL('/health/ready', url);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'unreachable';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(probe, { signal: AbortSignal.timeout(5_000) });
      await res.body?.cancel();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch {
      last = 'unreachable';
    }
    await sleep(500);
  }
  throw new VigilError('simulate-not-ready', 503, `Vigil at ${probe.origin} was not ready within ${READY_TIMEOUT_MS / 1000} s (last answer: ${last}).`);
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

function printSources(dir: string, json: boolean): number {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const sources = SIMULATOR_SOURCES.map((s) => {
    const file = join(folder, `${s.name}.json`);
    writeFileSync(file, `${JSON.stringify(s.profile, null, 2)}\n`);
    return { name: s.name, msh3: s.msh3, msh4: s.msh4, profile: file, command: `vigil sources add --name ${s.name} --msh3 ${s.msh3} --msh4 ${s.msh4} --profile ${shellQuote(file)}` };
  });
  if (json) console.log(JSON.stringify({ sources }, null, 2));
  else console.log(sources.map((s) => s.command).join('\n'));
  return 0;
}

function describePlan(seed: string, patients: number, sources: number, s: PlanSummary): string {
  const kinds = Object.entries(s.byKind).map(([k, n]) => `${k} ${n}`).join(', ');
  return `vigil simulate: seed ${seed}, ${patients} patients, ${sources} source(s): ${s.messages} messages (${kinds}); ${s.persons} distinct persons expected.`;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string', default: 'http://localhost:8080' },
      mllp: { type: 'string', default: 'localhost:2575' },
      patients: { type: 'string' },
      seed: { type: 'string' },
      sources: { type: 'string' },
      rate: { type: 'string' },
      'silent-feed': { type: 'string' },
      'silent-seconds': { type: 'string' },
      'malformed-rate': { type: 'string' },
      'duplicate-rate': { type: 'string' },
      'print-sources': { type: 'boolean', default: false },
      'profiles-dir': { type: 'string', default: './.vigil/simulator-profiles' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(`Usage:\n${SIMULATE_USAGE}`);
    return 0;
  }
  if (positionals.length > 0) throw new CommandUsageError(`unexpected argument "${positionals[0]!.slice(0, 20)}".`);
  if (values['print-sources']) return printSources(values['profiles-dir'], values.json);

  const patients = wholeNumber(values.patients, '--patients', undefined, 1, PLAN_LIMITS.maxPatients);
  const seed = values.seed;
  if (!seed) throw new CommandUsageError('--seed is required (any word or number; the same seed sends the same traffic).');
  const sources = wholeNumber(values.sources, '--sources', 3, 1, SIMULATOR_SOURCES.length);
  const rate = values.rate === undefined ? undefined : Number(values.rate);
  if (rate !== undefined && !(rate > 0 && rate <= 10_000)) throw new CommandUsageError('--rate must be a number of messages per second above 0 and up to 10000.');
  const silentFeed = values['silent-feed'];
  const names = sourcesInUse(sources).map((s) => s.name as string);
  if (silentFeed !== undefined && !names.includes(silentFeed)) throw new CommandUsageError(`--silent-feed must name a source in use: ${names.join(', ')}.`);
  if (silentFeed === undefined && values['silent-seconds'] !== undefined) throw new CommandUsageError('--silent-seconds needs --silent-feed.');
  const silentSeconds = wholeNumber(values['silent-seconds'], '--silent-seconds', 60, 1, 3600);
  const duplicateRate = share(values['duplicate-rate'], '--duplicate-rate', 0.05);
  const malformedRate = share(values['malformed-rate'], '--malformed-rate', 0.02);
  const target = mllpAddress(values.mllp);
  const url = httpUrl(values.url);

  const plan = planTraffic({ patients, seed, sources, duplicateRate, malformedRate });
  const summary = summarizePlan(plan);
  if (!values.json) console.log(describePlan(seed, patients, sources, summary));
  await waitUntilReady(url);

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  const started = performance.now();
  try {
    const result = await sendTraffic(plan, { ...target, ...(rate ? { rate } : {}), ...(silentFeed ? { silentFeed, silentSeconds } : {}), signal: abort.signal });
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    const clean = result.mismatches === 0 && result.lost === 0 && result.sent === plan.length;
    if (values.json) {
      console.log(JSON.stringify({ seed, patients, sources, plan: summary, result, interrupted: abort.signal.aborted, seconds }, null, 2));
    } else {
      const acks = Object.entries(result.acked).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
      console.log(`vigil simulate: sent ${result.sent} of ${plan.length}; ACKs ${acks}; ${result.mismatches} not as expected, ${result.lost} lost (${seconds} s)${abort.signal.aborted ? '; interrupted' : ''}.`);
    }
    return clean ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

export function simulateCommand(argv: string[]): Promise<number> {
  return runCommand('simulate', SIMULATE_USAGE, () => run(argv));
}
