import type { HealthObservation } from './use-readiness.ts';
import type { Readiness } from './types.ts';

/** Colour is a second channel only: every tone comes with a label that says the state in words. */
export type Tone = 'ok' | 'warn' | 'bad' | 'unknown';

export interface Verdict {
  /** Stable machine state for tests and styling, e.g. "ready", "up", "current". */
  state: string;
  tone: Tone;
  label: string;
  detail: string;
}

export const ENGINE_NAMES: Record<Readiness['engine'], string> = {
  pglite: 'embedded PostgreSQL (PGlite)',
  postgres: 'PostgreSQL server',
};

function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function notReadyReason(r: Readiness): string {
  const { database, migrations } = r.checks;
  if (database.status === 'down') return 'The database is not answering. Vigil keeps retrying; no data can be read or received until it answers.';
  if (migrations.status === 'pending') return `The database schema is behind this version: run “vigil migrate” to apply ${plural(migrations.pending, 'migration')}.`;
  if (migrations.status === 'ahead') return 'The database was migrated by a newer Vigil than this one. Run the newer version, or restore a matching database.';
  return 'The server cannot confirm its database is ready yet.';
}

export function overallVerdict(o: HealthObservation, pollEvery: string): Verdict {
  if (o.kind === 'waiting') return { state: 'checking', tone: 'unknown', label: 'Checking', detail: 'Asking the server for its health…' };
  if (o.kind === 'unreachable') {
    return {
      state: 'unreachable',
      tone: 'bad',
      label: 'Unreachable',
      detail: `The Vigil server did not answer (${o.reason}). Check that it is running; this page tries again every ${pollEvery}.`,
    };
  }
  const r = o.readiness;
  if (r.status === 'ready') return { state: 'ready', tone: 'ok', label: 'Ready', detail: 'Vigil is ready: the database answers and its schema is up to date.' };
  if (r.status === 'stopping') return { state: 'stopping', tone: 'warn', label: 'Stopping', detail: 'This Vigil process is shutting down and finishing the work in hand.' };
  return { state: 'not-ready', tone: 'warn', label: 'Not ready', detail: notReadyReason(r) };
}

const NO_REPORT: Verdict = { state: 'unknown', tone: 'unknown', label: 'Unknown', detail: 'No current report from the server.' };

export function databaseVerdict(r: Readiness | undefined): Verdict {
  if (!r) return NO_REPORT;
  const engine = ENGINE_NAMES[r.engine] ?? r.engine;
  const db = r.checks.database;
  if (db.status === 'up') {
    const latency = db.latencyMs === undefined ? '' : `, answered in ${db.latencyMs < 10 ? db.latencyMs.toFixed(1) : Math.round(db.latencyMs)}\u00a0ms`;
    return { state: 'up', tone: 'ok', label: 'Up', detail: sentence(`${engine}${latency}`) };
  }
  return { state: 'down', tone: 'bad', label: 'Down', detail: sentence(`${engine} is not answering`) };
}

export function migrationsVerdict(r: Readiness | undefined): Verdict {
  if (!r) return NO_REPORT;
  const m = r.checks.migrations;
  const counts = `${m.applied} of ${m.latest} applied`;
  switch (m.status) {
    case 'current':
      return { state: 'current', tone: 'ok', label: 'Current', detail: `Schema up to date: ${counts}` };
    case 'pending':
      return { state: 'pending', tone: 'warn', label: 'Pending', detail: `${plural(m.pending, 'migration')} to apply (${counts}); run “vigil migrate”` };
    case 'ahead':
      return { state: 'ahead', tone: 'bad', label: 'Ahead', detail: `The database has migrations this version does not know (${counts})` };
    default:
      return { state: 'unknown', tone: 'unknown', label: 'Unknown', detail: 'Cannot be read while the database is down' };
  }
}

export function workersVerdict(r: Readiness | undefined): Verdict {
  if (!r) return NO_REPORT;
  const w = r.checks.workers;
  if (w.status === 'ok') {
    return { state: 'ok', tone: 'ok', label: `${w.active} active`, detail: `${plural(w.active, 'worker')} processing background jobs` };
  }
  if (w.status === 'none') {
    return { state: 'none', tone: 'warn', label: 'None active', detail: 'No worker is running: background work such as feed processing and retries waits until one starts' };
  }
  return { state: 'unknown', tone: 'unknown', label: 'Unknown', detail: 'Cannot be read while the database is down' };
}
