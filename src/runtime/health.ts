import { sql } from 'kysely';
import { loadMigrations, migrationStatus, type Migration } from '../store/migrate.ts';
import type { Store } from '../store/store.ts';
import type { Metrics } from '../observability/metrics.ts';

/** What /health/ready and the start page report. Nothing here is patient data. */
export interface Readiness {
  status: 'ready' | 'not-ready' | 'stopping';
  version: string;
  engine: Store['engine'];
  role: string;
  checks: {
    database: { status: 'up' | 'down'; latencyMs?: number };
    migrations: { status: 'current' | 'pending' | 'ahead' | 'unknown'; applied: number; pending: number; latest: number };
    workers: { status: 'ok' | 'none' | 'unknown'; active: number; workers: WorkerSummary[] };
  };
}

export interface WorkerSummary {
  role: string;
  hostname: string;
  pid: number;
  lastSeenSecondsAgo: number;
  stopping: boolean;
}

export interface HealthDeps {
  store: Store;
  metrics: Metrics;
  version: string;
  role: string;
  heartbeatMs: number;
  isStopping: () => boolean;
  /** False until start-up has finished with the database (instance, demo data): data routes answer 503 until then. */
  isStarted: () => boolean;
}

const PING_TIMEOUT_MS = 2_000;

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export class HealthService {
  private readonly migrations: Migration[] = loadMigrations();
  constructor(private readonly deps: HealthDeps) {}

  async readiness(): Promise<Readiness> {
    const { store, metrics } = this.deps;
    const latest = this.migrations.at(-1)?.version ?? 0;
    const result: Readiness = {
      status: 'not-ready',
      version: this.deps.version,
      engine: store.engine,
      role: this.deps.role,
      checks: {
        database: { status: 'down' },
        migrations: { status: 'unknown', applied: 0, pending: 0, latest },
        workers: { status: 'unknown', active: 0, workers: [] },
      },
    };
    try {
      const started = performance.now();
      await withTimeout(store.ping(), PING_TIMEOUT_MS);
      result.checks.database = { status: 'up', latencyMs: Math.round((performance.now() - started) * 100) / 100 };
      const m = await withTimeout(migrationStatus(store, this.migrations), PING_TIMEOUT_MS);
      result.checks.migrations = {
        status: m.unknown.length > 0 ? 'ahead' : m.pending.length > 0 ? 'pending' : 'current',
        applied: m.applied.length,
        pending: m.pending.length,
        latest,
      };
      metrics.migrationsPending.set(m.pending.length);
      if (m.applied.length > 0) result.checks.workers = await withTimeout(this.workers(), PING_TIMEOUT_MS);
    } catch {
      // The check's outcome is the answer; the cause is logged by whoever owns the connection.
    }
    metrics.dbUp.set({ engine: store.engine }, result.checks.database.status === 'up' ? 1 : 0);
    metrics.workersActive.set(result.checks.workers.active);
    // Migrations can be current a moment before start-up hands the store to the routes; ready means routes answer.
    const ok = result.checks.database.status === 'up' && result.checks.migrations.status === 'current' && this.deps.isStarted();
    result.status = this.deps.isStopping() ? 'stopping' : ok ? 'ready' : 'not-ready';
    return result;
  }

  private async workers(): Promise<Readiness['checks']['workers']> {
    // A worker is alive if it beat within three heartbeat periods.
    const rows = await sql<{ role: string; hostname: string; pid: number; age: number; stopping: boolean }>`
      SELECT role, hostname, pid, stopping, extract(epoch FROM now() - last_seen_at)::float8 AS age
      FROM worker_heartbeats
      WHERE last_seen_at > now() - make_interval(secs => ${(this.deps.heartbeatMs * 3) / 1000})
      ORDER BY started_at`.execute(this.deps.store.db);
    const workers = rows.rows.map((r) => ({
      role: r.role,
      hostname: r.hostname,
      pid: r.pid,
      lastSeenSecondsAgo: Math.max(0, Math.round(Number(r.age))),
      stopping: r.stopping,
    }));
    return { status: workers.length > 0 ? 'ok' : 'none', active: workers.length, workers };
  }
}
