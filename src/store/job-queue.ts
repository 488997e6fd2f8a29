import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from './store.ts';

/**
 * A durable job queue in the same database and migration set as everything else, so that enqueueing can share a
 * transaction with the write that causes it. Claims use FOR UPDATE SKIP LOCKED and a lease: a job whose worker died
 * is claimable again once its lease runs out, so no job is lost when a process is killed.
 */
export interface ClaimedJob {
  id: string;
  queue: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

export interface EnqueueOptions {
  runAt?: Date;
  maxAttempts?: number;
}

export async function enqueueJob(db: Db | Tx, queue: string, payload: unknown, options: EnqueueOptions = {}): Promise<string> {
  const id = uuidv7();
  await db
    .insertInto('jobs')
    .values({
      id,
      queue,
      payload: JSON.stringify(payload ?? {}),
      ...(options.runAt ? { run_at: options.runAt } : {}),
      ...(options.maxAttempts ? { max_attempts: options.maxAttempts } : {}),
      locked_by: null,
      locked_until: null,
      last_error_code: null,
      finished_at: null,
    })
    .execute();
  return id;
}

export async function claimJobs(db: Db, workerId: string, queues: string[], limit: number, leaseMs: number): Promise<ClaimedJob[]> {
  if (queues.length === 0 || limit <= 0) return [];
  const result = await sql<ClaimedJob>`
    UPDATE jobs SET status = 'running', locked_by = ${workerId},
      locked_until = now() + make_interval(secs => ${leaseMs / 1000}), attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM jobs
      WHERE queue = ANY(${queues}::text[])
        AND ((status = 'queued' AND run_at <= now()) OR (status = 'running' AND locked_until < now()))
      ORDER BY run_at, id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING id, queue, payload, attempts, max_attempts`.execute(db);
  return result.rows;
}

/** Marks a job done, but only while this worker still holds it (a lease that ran out was handed to another). */
export async function completeJob(db: Db, id: string, workerId: string): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ status: 'done', finished_at: sql`now()`, locked_by: null, locked_until: null })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

export type FailOutcome = 'retry' | 'dead';

/** Records a failure by code only and schedules a retry with exponential backoff, or gives up after max_attempts. */
export async function failJob(db: Db, job: ClaimedJob, workerId: string, errorCode: string, baseDelayMs = 1000): Promise<FailOutcome> {
  const dead = job.attempts >= job.max_attempts;
  const delayMs = Math.min(baseDelayMs * 2 ** (job.attempts - 1), 3_600_000);
  await db
    .updateTable('jobs')
    .set({
      status: dead ? 'dead' : 'queued',
      last_error_code: errorCode.slice(0, 60),
      locked_by: null,
      locked_until: null,
      run_at: sql`now() + make_interval(secs => ${delayMs / 1000})`,
      ...(dead ? { finished_at: sql`now()` } : {}),
    })
    .where('id', '=', job.id)
    .where('locked_by', '=', workerId)
    .execute();
  return dead ? 'dead' : 'retry';
}

/** Gives a job back at once (the worker is stopping and will not finish it). */
export async function releaseJob(db: Db, id: string, workerId: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'queued', locked_by: null, locked_until: null, attempts: sql`greatest(attempts - 1, 0)` })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .execute();
}
