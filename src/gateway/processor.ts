import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { ArchiveKeys } from '../controls/keys/archive-keys.ts';
import { VigilError, describeError } from '../errors.ts';
import type { MatchEngine } from '../core/identity/match-engine.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store, Tx } from '../store/store.ts';
import type { GatewayTransport } from '../store/schema.ts';
import { applyNormalized, stillWaiting, type ApplyOutcome } from './apply.ts';
import { normalizeRaw, PermanentMessageError, transformOf } from './normalize.ts';
import { retryDelayMs } from './retry.ts';
import type { SourceRegistry } from './sources.ts';

/**
 * Works the inbox. A batch is claimed with FOR UPDATE SKIP LOCKED inside one transaction and each message is applied
 * under its own savepoint, so the row lock is the lease: if the process dies, its transaction aborts, nothing it did
 * is kept and the rows are claimable at once by any other worker. A message's effects and its new state commit
 * together, which is what makes processing exactly-once in effect.
 */
export interface ProcessorOptions {
  batchSize: number;
  pollMs: number;
  maxAttempts: number;
  baseRetryMs: number;
  workerId: string;
}

interface ClaimedMessage {
  id: string;
  source_id: string | null;
  transport: GatewayTransport;
  received_at: Date;
  archive_key_id: string;
  raw: Buffer;
  attempts: number;
}

type Outcome =
  | { state: 'processed'; patientIds: string[]; madeKnown: string[]; profileVersion: number; facts: number }
  | { state: 'parked'; waitFor: string[]; parkMinutes: number; profileVersion: number; what: string; applied: Extract<ApplyOutcome, { kind: 'parked' }>; sourceId: string }
  | { state: 'quarantined'; code: string; reason: string }
  | { state: 'retrying' | 'dead-letter'; code: string };

const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '23505', '55P03', '57014', '08000', '08003', '08006', '53300']);

export class GatewayProcessor {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake = new AbortController();
  private lastExpiry = 0;

  constructor(
    private readonly store: Store,
    private readonly registry: SourceRegistry,
    private readonly archive: ArchiveKeys,
    private readonly engine: MatchEngine | null,
    private readonly log: Logger,
    private readonly metrics: Metrics | null,
    private readonly options: ProcessorOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Lets the batch in hand finish (it is one transaction), then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake.abort();
    await this.loop;
  }

  /** Called by the receive path in this process so a new message does not wait for the next poll. */
  poke(): void {
    this.wake.abort();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = 0;
      try {
        worked = await this.runOnce();
        if (Date.now() - this.lastExpiry > 10_000) {
          this.lastExpiry = Date.now();
          await this.expireParked();
        }
      } catch (err) {
        this.log.warn('gateway.batch.failed', describeError(err));
      }
      if (worked === 0 && this.running) {
        this.wake = new AbortController();
        await sleep(this.options.pollMs, undefined, { signal: this.wake.signal }).catch(() => undefined);
      }
    }
  }

  /** Claims and works one batch; returns how many messages it took. */
  async runOnce(): Promise<number> {
    return this.store.db.transaction().execute(async (trx) => {
      const claimed = await sql<ClaimedMessage>`
        SELECT id, source_id, transport, received_at, archive_key_id, raw, attempts FROM gateway_messages
        WHERE state IN ('received', 'retrying') AND next_attempt_at <= now()
        ORDER BY next_attempt_at, id
        LIMIT ${this.options.batchSize}
        FOR UPDATE SKIP LOCKED`.execute(trx);
      for (const message of claimed.rows) {
        const started = performance.now();
        await sql`SAVEPOINT vigil_message`.execute(trx);
        let outcome: Outcome;
        try {
          outcome = await this.work(trx, message);
          if (outcome.state === 'processed') await sql`RELEASE SAVEPOINT vigil_message`.execute(trx);
          else await sql`ROLLBACK TO SAVEPOINT vigil_message`.execute(trx);
        } catch (err) {
          await sql`ROLLBACK TO SAVEPOINT vigil_message`.execute(trx);
          outcome = this.classify(err, message);
          this.log.warn('gateway.message.failed', { message_id: message.id, state: outcome.state, ...describeError(err) });
        }
        await this.record(trx, message, outcome);
        this.metrics?.gatewayProcessed.inc({ outcome: outcome.state });
        this.metrics?.gatewayProcessSeconds.observe((performance.now() - started) / 1000);
      }
      return claimed.rows.length;
    });
  }

  private async work(trx: Tx, message: ClaimedMessage): Promise<Outcome> {
    if (!message.source_id) return { state: 'quarantined', code: 'unregistered-source', reason: 'The sender is not a registered source.' };
    const source = await this.registry.get(trx, message.source_id);
    if (!source) return { state: 'quarantined', code: 'unregistered-source', reason: 'The sender is not a registered source.' };
    const profile = await this.registry.profile(trx, source.id, source.profileVersion);
    const raw = await this.archive.decrypt(trx, message.archive_key_id, message.id, message.raw);
    const normalized = normalizeRaw(raw, message.transport, profile, source.id, new Date());
    const applied = await applyNormalized(
      trx,
      {
        source: { id: source.id, name: source.name },
        profile,
        profileVersion: source.profileVersion,
        messageId: message.id,
        receivedAt: message.received_at,
        transform: transformOf(raw),
        actor: this.options.workerId,
        engine: this.engine,
      },
      normalized,
    );
    if (applied.kind === 'parked') return { state: 'parked', waitFor: applied.waitFor, parkMinutes: profile.parkMinutes, profileVersion: source.profileVersion, what: applied.what, applied, sourceId: source.id };
    return { state: 'processed', patientIds: applied.patientIds, madeKnown: applied.madeKnown, profileVersion: source.profileVersion, facts: applied.facts };
  }

  private classify(err: unknown, message: ClaimedMessage): Outcome {
    if (err instanceof PermanentMessageError) return { state: 'quarantined', code: err.reasonCode, reason: err.message };
    if (err instanceof VigilError && err.status >= 400 && err.status < 500) return { state: 'quarantined', code: err.code, reason: err.message };
    const sqlState = (err as { code?: unknown }).code;
    const code = typeof sqlState === 'string' && TRANSIENT_SQLSTATES.has(sqlState) ? `db-${sqlState}` : err instanceof VigilError ? err.code : 'internal-error';
    return message.attempts + 1 >= this.options.maxAttempts ? { state: 'dead-letter', code } : { state: 'retrying', code };
  }

  private async record(trx: Tx, message: ClaimedMessage, outcome: Outcome): Promise<void> {
    const actor = this.options.workerId;
    switch (outcome.state) {
      case 'processed': {
        await sql`
          UPDATE gateway_messages SET state = 'processed', attempts = attempts + 1, processed_at = now(), reason_code = NULL,
            reason = NULL, parked_on = '{}', parked_until = NULL, patient_ids = ${outcome.patientIds}::uuid[],
            profile_version = ${outcome.profileVersion}
          WHERE id = ${message.id}`.execute(trx);
        await this.step(trx, message.id, 'processed', actor, { patients: outcome.patientIds.length, facts: outcome.facts, profile_version: outcome.profileVersion });
        if (outcome.madeKnown.length > 0) await this.release(trx, outcome.madeKnown, message.id);
        return;
      }
      case 'parked': {
        if (!(await stillWaiting(trx, outcome.sourceId, outcome.applied))) {
          await trx.updateTable('gateway_messages').set({ attempts: sql`attempts + 1`, next_attempt_at: sql`now()` }).where('id', '=', message.id).execute();
          await this.step(trx, message.id, 'reference-arrived', actor, { waiting_for: outcome.what });
          return;
        }
        // Parking again (a second wait) keeps the first deadline: a message cannot wait forever one reference at a time.
        await sql`
          UPDATE gateway_messages SET state = 'parked', attempts = attempts + 1, parked_on = ${outcome.waitFor}::text[],
            parked_until = COALESCE(parked_until, now() + make_interval(mins => ${outcome.parkMinutes})),
            profile_version = ${outcome.profileVersion}
          WHERE id = ${message.id}`.execute(trx);
        await this.step(trx, message.id, 'parked', actor, { waiting_for: outcome.what, references: outcome.waitFor.length });
        return;
      }
      case 'quarantined': {
        await sql`
          UPDATE gateway_messages SET state = 'quarantined', attempts = attempts + 1, reason_code = ${outcome.code}, reason = ${outcome.reason}
          WHERE id = ${message.id}`.execute(trx);
        await this.step(trx, message.id, 'quarantined', actor, { reason_code: outcome.code });
        return;
      }
      default: {
        const delay = retryDelayMs(message.attempts + 1, this.options.baseRetryMs);
        await sql`
          UPDATE gateway_messages SET state = ${outcome.state}, attempts = attempts + 1, reason_code = ${outcome.code},
            reason = ${outcome.state === 'dead-letter' ? 'Processing kept failing with a temporary error; it was retried up to the limit. Fix the cause, then reprocess.' : null},
            next_attempt_at = now() + make_interval(secs => ${delay / 1000})
          WHERE id = ${message.id}`.execute(trx);
        await this.step(trx, message.id, outcome.state, actor, { reason_code: outcome.code, attempt: message.attempts + 1, ...(outcome.state === 'retrying' ? { delay_ms: Math.round(delay) } : {}) });
      }
    }
  }

  private async step(trx: Tx, id: string, step: string, actor: string, detail: Record<string, unknown>): Promise<void> {
    await trx.insertInto('gateway_message_events').values({ message_id: id, step, actor, detail: JSON.stringify(detail) }).execute();
  }

  /** Parked messages waiting for what this message made known go back to the inbox, first in line. */
  private async release(trx: Tx, keys: string[], by: string): Promise<void> {
    const released = await sql<{ id: string }>`
      UPDATE gateway_messages SET state = 'received', next_attempt_at = now(), parked_on = '{}'
      WHERE state = 'parked' AND parked_on && ${keys}::text[]
      RETURNING id`.execute(trx);
    for (const r of released.rows) await this.step(trx, r.id, 'released', this.options.workerId, { released_by: by });
    if (released.rows.length > 0) this.poke();
  }

  /** A parked message past its deadline goes to the operator: what it waits for never arrived. */
  async expireParked(): Promise<number> {
    return this.store.db.transaction().execute(async (trx) => {
      const expired = await sql<{ id: string }>`
        UPDATE gateway_messages SET state = 'quarantined', reason_code = 'parked-expired',
          reason = 'The patient or record this message refers to never arrived from the source within the profile''s parking time. Register it (or fix the source), then reprocess.'
        WHERE id IN (SELECT id FROM gateway_messages WHERE state = 'parked' AND parked_until < now() LIMIT 500 FOR UPDATE SKIP LOCKED)
        RETURNING id`.execute(trx);
      for (const r of expired.rows) await this.step(trx, r.id, 'quarantined', this.options.workerId, { reason_code: 'parked-expired' });
      return expired.rows.length;
    });
  }
}
