import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { describeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { claimJobs, completeJob, failJob, releaseJob, type ClaimedJob } from '../store/job-queue.ts';
import type { Store } from '../store/store.ts';
import { settlesWithin } from './within.ts';

export interface JobContext {
  jobId: string;
  attempt: number;
  /** Aborted when the worker must stop before the job ends; a handler that can stop early should. */
  signal: AbortSignal;
}

/**
 * A kind of job and what it does, declared like a route: the action and resource it performs (from the access
 * policy, or a `system.*` action for housekeeping that touches no patient data). A worker refuses to start with a
 * handler that declares nothing.
 */
export interface JobHandler {
  policy: { action: string; resource: string };
  run(payload: unknown, ctx: JobContext): Promise<void>;
}

export class UndeclaredJobError extends Error {
  constructor(queue: string) {
    super(`Job handler "${queue}" declares no policy: give it { policy: { action, resource }, run }.`);
    this.name = 'UndeclaredJobError';
  }
}

export interface WorkerOptions {
  role: 'all' | 'worker';
  heartbeatMs: number;
  pollMs: number;
  concurrency?: number;
  leaseMs?: number;
  handlers: ReadonlyMap<string, JobHandler>;
}

/**
 * Claims jobs from the shared queue and runs them. Any number of workers may run against one PostgreSQL server; each
 * announces itself with a heartbeat row so operators (and /health/ready) can see who is alive.
 */
export class Worker {
  readonly id = uuidv7();
  private running = false;
  private wake: AbortController = new AbortController();
  private readonly abort = new AbortController();
  private readonly inFlight = new Map<string, Promise<void>>();
  private loops: Promise<void>[] = [];
  private readonly log: Logger;

  constructor(
    private readonly store: Store,
    logger: Logger,
    private readonly metrics: Metrics,
    private readonly options: WorkerOptions,
  ) {
    for (const [queue, handler] of options.handlers) {
      const policy = (handler as Partial<JobHandler> | undefined)?.policy;
      if (!policy?.action || !policy.resource || typeof handler.run !== 'function') throw new UndeclaredJobError(queue);
    }
    this.log = logger.child({ component: 'worker', worker_id: this.id });
  }

  async start(): Promise<void> {
    this.running = true;
    await this.beat(true);
    this.loops = [this.heartbeatLoop(), this.claimLoop()];
    this.log.info('worker.started', { role: this.options.role, count: this.options.handlers.size });
  }

  get busy(): number {
    return this.inFlight.size;
  }

  /** Stops claiming, lets running jobs finish within graceMs, then gives back what is left. */
  async stop(graceMs: number): Promise<{ drained: boolean }> {
    if (!this.running) return { drained: true };
    this.running = false;
    this.wake.abort();
    await Promise.allSettled(this.loops);
    const all = Promise.allSettled([...this.inFlight.values()]);
    const drained = await settlesWithin(all, graceMs);
    if (!drained) {
      this.abort.abort();
      for (const id of this.inFlight.keys()) await releaseJob(this.store.db, id, this.id).catch(() => undefined);
      this.log.warn('worker.stop-timeout', { count: this.inFlight.size });
    }
    await this.store.db.deleteFrom('worker_heartbeats').where('worker_id', '=', this.id).execute().catch(() => undefined);
    this.log.info('worker.stopped', { role: this.options.role });
    return { drained };
  }

  private async beat(first = false): Promise<void> {
    try {
      await sql`
        INSERT INTO worker_heartbeats (worker_id, role, hostname, pid, started_at, last_seen_at)
        VALUES (${this.id}, ${this.options.role}, ${hostname()}, ${process.pid}, now(), now())
        ON CONFLICT (worker_id) DO UPDATE SET last_seen_at = now()`.execute(this.store.db);
    } catch (err) {
      this.log.warn('worker.heartbeat-failed', describeError(err));
      if (first) throw err;
    }
  }

  private async heartbeatLoop(): Promise<void> {
    while (this.running) {
      await sleep(this.options.heartbeatMs, undefined, { signal: this.wake.signal }).catch(() => undefined);
      if (this.running) await this.beat();
    }
  }

  private async claimLoop(): Promise<void> {
    const concurrency = this.options.concurrency ?? 4;
    const queues = [...this.options.handlers.keys()];
    while (this.running) {
      let claimed: ClaimedJob[] = [];
      const room = concurrency - this.inFlight.size;
      if (room > 0) {
        try {
          claimed = await claimJobs(this.store.db, this.id, queues, room, this.options.leaseMs ?? 60_000);
        } catch (err) {
          this.log.warn('worker.claim-failed', describeError(err));
        }
      }
      for (const job of claimed) this.run(job);
      if (claimed.length === 0 || this.inFlight.size >= concurrency) {
        await sleep(this.options.pollMs, undefined, { signal: this.wake.signal }).catch(() => undefined);
      }
    }
  }

  private run(job: ClaimedJob): void {
    const handler = this.options.handlers.get(job.queue)!;
    const started = performance.now();
    const task = (async () => {
      try {
        await handler.run(job.payload, { jobId: job.id, attempt: job.attempts, signal: this.abort.signal });
        await completeJob(this.store.db, job.id, this.id);
        this.metrics.jobsProcessed.inc({ queue: job.queue, outcome: 'done' });
        this.log.debug('job.done', { job_id: job.id, queue: job.queue, duration_ms: Math.round(performance.now() - started) });
      } catch (err) {
        if (this.abort.signal.aborted) return;
        const { error_code, err_name } = describeError(err);
        const outcome = await failJob(this.store.db, job, this.id, error_code).catch(() => 'retry' as const);
        this.metrics.jobsProcessed.inc({ queue: job.queue, outcome });
        this.log.warn('job.failed', { job_id: job.id, queue: job.queue, error_code, err_name, attempt: job.attempts });
      }
    })().finally(() => this.inFlight.delete(job.id));
    this.inFlight.set(job.id, task);
  }
}
