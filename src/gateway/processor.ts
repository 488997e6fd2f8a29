import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { ArchiveKeys } from '../controls/keys/archive-keys.ts';
import { VigilError, describeError } from '../errors.ts';
import type { MatchEngine } from '../core/identity/match-engine.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store, Tx } from '../store/store.ts';
import type { GatewayTransport } from '../store/schema.ts';
import type { SourceProfile } from '../adapters/source-profile.ts';
import { recordAuditMany, SYSTEM_FACTS, type AuditEventInput } from '../controls/audit/audit-event.ts';
import type { NormalizedMessage } from '../model/clinical.ts';
import { refreshGoldenRecords } from '../core/identity/golden-record.ts';
import { linkStrandedFacts } from '../core/clinical/fact-writer.ts';
import { PendingFacts } from '../core/clinical/pending-facts.ts';
import { BatchRecords } from '../core/identity/batch-records.ts';
import { applyNormalized, knownIdentifiers, writeBatchPending, laneKeysOf, recordsOf, referencedIdentifiers, stillWaiting, type ApplyOutcome } from './apply.ts';
import { normalizeRaw, PermanentMessageError, transformOf } from './normalize.ts';
import { retryDelayMs } from './retry.ts';
import type { SourceRegistry } from './sources.ts';
import { enqueueApplicationAcks } from './application-acks.ts';

/**
 * Works the inbox. A batch is claimed with FOR UPDATE SKIP LOCKED inside one transaction, so the row lock is the
 * lease: if the process dies, its transaction aborts, nothing it did is kept and the rows are claimable at once by any
 * other worker. A message's effects and its new state commit together, which is what makes processing exactly-once in
 * effect.
 *
 * A batch is first worked optimistically, without a savepoint per message (one round trip of about eight a message
 * costs): a message that fails then fails the whole batch, which is rolled back and worked again at once with a
 * savepoint around each message, so the failing one is set aside and the others go through. A message that may park
 * after writing (a merge whose records are not both known yet) always has its savepoint.
 */
export interface ProcessorOptions {
  batchSize: number;
  /**
   * Whether a batch's commit waits for its WAL flush (PostgreSQL's synchronous_commit). Off by default: the batch
   * only works messages already durable in the inbox, and working them again changes nothing, so a database crash that
   * undoes the last batches' commits loses nothing; they are claimed and worked again. Anything that observed such a
   * commit and then committed itself (a read's audit event, an acknowledgment's lease) flushed it first, since WAL is
   * flushed in order. Everything else in Vigil commits synchronously.
   */
  synchronousCommit?: boolean;
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
  | { state: 'processed'; patientIds: string[]; madeKnown: string[]; profileVersion: number; facts: number; moved: string[] }
  | { state: 'parked'; waitFor: string[]; parkMinutes: number; profileVersion: number; what: string; applied: Extract<ApplyOutcome, { kind: 'parked' }>; sourceId: string }
  | { state: 'quarantined'; code: string; reason: string }
  | { state: 'retrying' | 'dead-letter'; code: string };

type ProcessedMessage = Extract<Outcome, { state: 'processed' }> & { id: string };

interface BatchSource {
  id: string;
  name: string;
  profileVersion: number;
}

interface Ready {
  message: ClaimedMessage;
  started: number;
  source: BatchSource;
  profile: SourceProfile;
  normalized: NormalizedMessage;
  transform: string;
  /** Identifier lock keys the message may take (see laneKeysOf). */
  lanes: string[];
}

/** What a message's work shares with its batch: its audit events, the identifiers known before, patients to refresh. */
interface BatchShared {
  audit: AuditEventInput[];
  known: ReadonlySet<string>;
  refreshLater: Set<string>;
  /** The batch's facts not written yet; only when the batch is worked without savepoints (pending-facts.ts). */
  pendingFacts: PendingFacts | undefined;
  /** The batch's records, locked when it started; likewise only without savepoints (batch-records.ts). */
  records: BatchRecords | undefined;
}

type Prepared = Ready | { message: ClaimedMessage; started: number; early: Outcome };

/** An optimistic batch met a failing message: roll it all back and work the batch again with savepoints. */
class RedoWithSavepoints extends Error {
  constructor(cause: unknown) {
    super('A message failed in a batch worked without savepoints.', { cause });
  }
}

const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '23505', '55P03', '57014', '08000', '08003', '08006', '53300']);

export class GatewayProcessor {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake = new AbortController();
  private lastExpiry = 0;
  /** The messages the batch in hand claimed: known even when its transaction fails, for isolateFailure. */
  private claimedIds: string[] = [];
  /** After a batch failed as a whole, this many batches take one message each, to find the one that fails. */
  private isolating = 0;

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
        // A batch whose every message waited on another worker's patients did nothing: wait as when idle, not spin.
        worked = (await this.runBatchSafely()).worked;
        if (Date.now() - this.lastExpiry > 10_000) {
          this.lastExpiry = Date.now();
          await this.housekeeping();
        }
      } catch (err) {
        this.log.warn('gateway.batch.failed', { ...describeError(err), count: this.claimedIds.length });
        await this.isolateFailure(err).catch((again) => this.log.warn('gateway.batch.isolate-failed', describeError(again)));
      }
      if (worked === 0 && this.running) {
        this.wake = new AbortController();
        await sleep(this.options.pollMs, undefined, { signal: this.wake.signal }).catch(() => undefined);
      }
    }
  }

  /** Claims and works one batch; returns how many messages it took. */
  async runOnce(): Promise<number> {
    return (await this.runBatchSafely()).claimed;
  }

  private async runBatchSafely(): Promise<{ claimed: number; worked: number }> {
    try {
      return await this.runBatch(false);
    } catch (err) {
      if (!(err instanceof RedoWithSavepoints)) throw err;
      this.metrics?.gatewayBatchRedone.inc();
      return this.runBatch(true);
    }
  }

  /**
   * One batch in one transaction. Round trips are what a message costs (each is a write to the socket on this side and
   * a parse, plan and execute on the server), so the batch shares what it can: one query for its sources, one for its
   * identifier locks, and at the end one statement each for the audit events, the processed states with their
   * timeline steps, and the release of parked messages.
   */
  private async runBatch(savepoints: boolean): Promise<{ claimed: number; worked: number }> {
    this.claimedIds = [];
    const limit = this.isolating > 0 ? 1 : this.options.batchSize;
    if (this.isolating > 0) this.isolating--;
    const counted: { state: Outcome['state']; started: number }[] = [];
    const result = await this.store.db.transaction().execute(async (trx) => {
      const claimed = await sql<ClaimedMessage>`
        SELECT id, source_id, transport, received_at, archive_key_id, raw, attempts FROM gateway_messages
        WHERE state IN ('received', 'retrying') AND next_attempt_at <= now()
        ORDER BY next_attempt_at, id
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED`.execute(trx);
      this.claimedIds = claimed.rows.map((m) => m.id);
      if (claimed.rows.length === 0) return { claimed: 0, worked: 0 };
      if (!this.options.synchronousCommit) await sql`SET LOCAL synchronous_commit = off`.execute(trx);
      const sources = await this.sourcesOf(trx, claimed.rows);
      const prepared: Prepared[] = [];
      for (const message of claimed.rows) prepared.push(await this.prepare(trx, message, sources));
      const denied = await this.takeLanes(trx, prepared);
      // Another worker holds one of the message's identifiers: it is left untouched for a later batch rather than
      // wait for that worker's commit (its patient's messages stay in one lane at a time).
      const blocked = (p: Prepared) => 'lanes' in p && p.lanes.some((k) => denied.has(k));
      const ready = prepared.filter((p): p is Ready => 'lanes' in p && !blocked(p));
      const known = await knownIdentifiers(trx, ready.flatMap((p) => referencedIdentifiers(p.profile, p.normalized)));
      // Looked up after the lanes are held: their locks are what keep another worker from filing a missing record.
      const records = savepoints ? undefined : await BatchRecords.load(trx, ready.flatMap((p) => recordsOf(p.source.id, p.profile, p.normalized)), this.engine);
      const processed: ProcessedMessage[] = [];
      const audit: AuditEventInput[] = [];
      // A message rolled back to its savepoint may have added a patient here: recomputing it anyway changes nothing.
      const refreshLater = new Set<string>();
      const pendingFacts = savepoints ? undefined : new PendingFacts();
      let worked = 0;
      for (const item of prepared) {
        if (blocked(item)) continue;
        const own: AuditEventInput[] = [];
        const outcome = 'early' in item ? item.early : await this.attempt(trx, item, { audit: own, known, refreshLater, pendingFacts, records }, savepoints);
        if (outcome.state === 'processed') {
          processed.push({ id: item.message.id, ...outcome });
          audit.push(...own);
        } else {
          await this.record(trx, item.message, outcome);
        }
        worked++;
        counted.push({ state: outcome.state, started: item.started });
      }
      await this.writePending({ pendingFacts, records }, trx);
      await refreshGoldenRecords(trx, [...refreshLater]);
      await this.finish(trx, processed, audit);
      return { claimed: claimed.rows.length, worked };
    });
    // Counted once committed: a batch rolled back and worked again is not counted twice.
    const now = performance.now();
    for (const c of counted) {
      this.metrics?.gatewayProcessed.inc({ outcome: c.state });
      this.metrics?.gatewayProcessSeconds.observe((now - c.started) / 1000);
    }
    return result;
  }

  /**
   * Writes the batch's pending records, their later source times, and facts; a failure there is some message's, found by
   * working the batch with savepoints.
   */
  private async writePending(pending: Pick<BatchShared, 'pendingFacts' | 'records'>, trx: Tx): Promise<void> {
    try {
      await writeBatchPending(trx, pending);
    } catch (err) {
      throw new RedoWithSavepoints(err);
    }
  }

  /** The batch's sources at their current profile versions, in one query (a profile change applies from the next batch). */
  private async sourcesOf(trx: Tx, messages: readonly ClaimedMessage[]): Promise<Map<string, BatchSource>> {
    const ids = [...new Set(messages.map((m) => m.source_id).filter((id): id is string => id !== null))];
    if (ids.length === 0) return new Map();
    const rows = await trx.selectFrom('gateway_sources').select(['id', 'name', 'profile_version']).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, { id: r.id, name: r.name, profileVersion: r.profile_version }]));
  }

  /** Decrypts and normalizes a message (no writes); what cannot be worked gets its outcome here. */
  private async prepare(trx: Tx, message: ClaimedMessage, sources: Map<string, BatchSource>): Promise<Prepared> {
    const started = performance.now();
    const source = message.source_id ? sources.get(message.source_id) : undefined;
    if (!source) return { message, started, early: { state: 'quarantined', code: 'unregistered-source', reason: 'The sender is not a registered source.' } };
    try {
      const profile = await this.registry.profile(trx, source.id, source.profileVersion);
      const raw = await this.archive.decrypt(trx, message.archive_key_id, message.id, message.raw);
      const normalized = normalizeRaw(raw, message.transport, profile, source.id, new Date());
      return { message, started, source, profile, normalized, transform: transformOf(raw), lanes: laneKeysOf(normalized) };
    } catch (err) {
      const early = this.classify(err, message);
      this.log.warn('gateway.message.failed', { message_id: message.id, state: early.state, ...describeError(err) });
      return { message, started, early };
    }
  }

  /**
   * Tries every identifier lock the batch's messages need, in one statement, without waiting: returns the keys another
   * worker holds. A message whose locks are all held here never waits for a lock while it works, so two workers
   * cannot deadlock on identifiers, and do not queue behind each other's batches for a busy patient.
   */
  private async takeLanes(trx: Tx, prepared: readonly Prepared[]): Promise<Set<string>> {
    const keys = [...new Set(prepared.flatMap((p) => ('lanes' in p ? p.lanes : [])))].sort();
    if (keys.length === 0) return new Set();
    const denied = await sql<{ k: string }>`
      SELECT k FROM unnest(${keys}::text[]) AS k WHERE NOT pg_try_advisory_xact_lock(hashtextextended(k, 7))`.execute(trx);
    return new Set(denied.rows.map((r) => r.k));
  }

  /**
   * Works one message. Under a savepoint a failure becomes this message's outcome; without one it may leave part of
   * the message written, or the transaction aborted, so it fails the batch (see RedoWithSavepoints).
   */
  private async attempt(trx: Tx, item: Ready, shared: BatchShared, savepoints: boolean): Promise<Outcome> {
    if (!savepoints && item.normalized.merges.length === 0) {
      try {
        return await this.work(trx, item, shared);
      } catch (err) {
        throw new RedoWithSavepoints(err);
      }
    }
    // Earlier messages' writes are made before the savepoint: rolling this message back must not take them along.
    await this.writePending(shared, trx);
    const { records } = shared;
    shared = { ...shared, pendingFacts: undefined, records: undefined };
    // Savepoints nest (none is released): the same number of subtransactions as releasing each, one round trip less.
    await sql`SAVEPOINT vigil_message`.execute(trx);
    try {
      const outcome = await this.work(trx, item, shared);
      if (outcome.state !== 'processed') await sql`ROLLBACK TO SAVEPOINT vigil_message`.execute(trx);
      // Worked without the batch's records, it may have changed its own and moved others between patients (a merge);
      // rolled back, it changed nothing the batch knows.
      else records?.forget(recordsOf(item.source.id, item.profile, item.normalized), outcome.moved);
      return outcome;
    } catch (err) {
      await sql`ROLLBACK TO SAVEPOINT vigil_message`.execute(trx);
      const outcome = this.classify(err, item.message);
      this.log.warn('gateway.message.failed', { message_id: item.message.id, state: outcome.state, ...describeError(err) });
      return outcome;
    }
  }

  private async work(trx: Tx, item: Ready, shared: BatchShared): Promise<Outcome> {
    const { message, source, profile, normalized } = item;
    const applied = await applyNormalized(
      trx,
      {
        source: { id: source.id, name: source.name },
        profile,
        profileVersion: source.profileVersion,
        messageId: message.id,
        receivedAt: message.received_at,
        transform: item.transform,
        actor: this.options.workerId,
        engine: this.engine,
        documentKeys: this.archive.kek,
        audit: shared.audit,
        lanesHeld: true,
        known: shared.known,
        refreshLater: shared.refreshLater,
        ...(shared.pendingFacts ? { pendingFacts: shared.pendingFacts } : {}),
        ...(shared.records ? { records: shared.records } : {}),
      },
      normalized,
    );
    if (applied.kind === 'parked') return { state: 'parked', waitFor: applied.waitFor, parkMinutes: profile.parkMinutes, profileVersion: source.profileVersion, what: applied.what, applied, sourceId: source.id };
    return { state: 'processed', patientIds: applied.patientIds, madeKnown: applied.madeKnown, profileVersion: source.profileVersion, facts: applied.facts, moved: applied.moved };
  }

  /**
   * The batch's processed messages: their audit events, their new state with its timeline step, and the parked
   * messages they release, one statement each. Parkings earlier in the batch were written already, so a message
   * parked on what a later message of the same batch made known is released here.
   */
  private async finish(trx: Tx, processed: readonly ProcessedMessage[], audit: readonly AuditEventInput[]): Promise<void> {
    if (processed.length === 0) return;
    await recordAuditMany(trx, null, SYSTEM_FACTS, audit);
    const rows = processed.map((p) => ({
      id: p.id,
      patients: p.patientIds,
      version: p.profileVersion,
      detail: { patients: p.patientIds.length, facts: p.facts, profile_version: p.profileVersion },
    }));
    await sql`
      WITH v AS (SELECT * FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS v(id uuid, patients jsonb, version integer, detail jsonb)),
      u AS (
        UPDATE gateway_messages m SET state = 'processed', attempts = attempts + 1, processed_at = now(), reason_code = NULL,
          reason = NULL, parked_on = '{}', parked_until = NULL, patient_ids = ARRAY(SELECT jsonb_array_elements_text(v.patients))::uuid[],
          profile_version = v.version
        FROM v WHERE m.id = v.id
        RETURNING m.id)
      INSERT INTO gateway_message_events (message_id, step, actor, detail)
      SELECT v.id, 'processed', ${this.options.workerId}, v.detail FROM v`.execute(trx);
    await enqueueApplicationAcks(trx, processed.map((p) => p.id));
    const keys: string[] = [];
    const by: string[] = [];
    for (const p of processed) {
      for (const key of p.madeKnown) {
        keys.push(key);
        by.push(p.id);
      }
    }
    if (keys.length > 0) await this.release(trx, keys, by);
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
        if (outcome.madeKnown.length > 0) await this.release(trx, outcome.madeKnown, outcome.madeKnown.map(() => message.id));
        await enqueueApplicationAcks(trx, [message.id]);
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
        await enqueueApplicationAcks(trx, [message.id]);
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
        if (outcome.state === 'dead-letter') await enqueueApplicationAcks(trx, [message.id]);
      }
    }
  }

  private async step(trx: Tx, id: string, step: string, actor: string, detail: Record<string, unknown>): Promise<void> {
    await trx.insertInto('gateway_message_events').values({ message_id: id, step, actor, detail: JSON.stringify(detail) }).execute();
  }

  /** Parked messages waiting for what was made known go back to the inbox, first in line; `by[i]` made `keys[i]` known. */
  private async release(trx: Tx, keys: readonly string[], by: readonly string[]): Promise<void> {
    const released = await sql<{ id: string }>`
      WITH made AS (SELECT * FROM unnest(${keys}::text[], ${by}::uuid[]) AS made(key, message_id)),
      r AS (
        UPDATE gateway_messages m SET state = 'received', next_attempt_at = now(), parked_on = '{}'
        FROM (SELECT id, parked_on FROM gateway_messages WHERE state = 'parked' AND parked_on && ${keys}::text[]) old
        WHERE m.id = old.id AND m.state = 'parked' AND m.parked_on && ${keys}::text[]
        RETURNING m.id, old.parked_on)
      INSERT INTO gateway_message_events (message_id, step, actor, detail)
      SELECT r.id, 'released', ${this.options.workerId},
        jsonb_build_object('released_by', (SELECT made.message_id FROM made WHERE made.key = ANY(r.parked_on) LIMIT 1))
      FROM r
      RETURNING message_id AS id`.execute(trx);
    if (released.rows.length > 0) this.poke();
  }

  /**
   * A batch that failed as a whole (a statement shared by all its messages, such as the end-of-batch writes) has
   * rolled back with no attempt counted; retried as it was, one bad message would stop the inbox for good. So the
   * next batches take one message each; a message that fails alone has its attempt counted in a transaction of its
   * own, and goes to dead letter at the limit like any message that keeps failing.
   */
  private async isolateFailure(err: unknown): Promise<void> {
    const ids = this.claimedIds;
    if (ids.length > 1) {
      this.isolating = Math.max(this.isolating, ids.length);
      return;
    }
    if (ids.length === 0) return;
    const code = `batch-${describeError(err).error_code}`;
    await this.store.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('gateway_messages').select(['attempts', 'state']).where('id', '=', ids[0]!).forUpdate().executeTakeFirst();
      if (!row || (row.state !== 'received' && row.state !== 'retrying')) return;
      const attempt = row.attempts + 1;
      const dead = attempt >= this.options.maxAttempts;
      const delay = retryDelayMs(attempt, this.options.baseRetryMs);
      await sql`
        UPDATE gateway_messages SET attempts = ${attempt}, state = ${dead ? 'dead-letter' : 'retrying'}, reason_code = ${code},
          reason = ${dead ? 'Recording the outcome of this message kept failing; it was retried up to the limit. Fix the cause, then reprocess.' : null},
          next_attempt_at = now() + make_interval(secs => ${delay / 1000})
        WHERE id = ${ids[0]!}::uuid`.execute(trx);
      await this.step(trx, ids[0]!, dead ? 'dead-letter' : 'retrying', this.options.workerId, { reason_code: code, attempt, ...(dead ? {} : { delay_ms: Math.round(delay) }) });
      if (dead) await enqueueApplicationAcks(trx, ids);
    });
  }

  /**
   * The periodic steps. A failure here is not a batch's: it is logged and tried again next time, and each step runs on
   * its own, so one that keeps failing does not stop the others.
   */
  private async housekeeping(): Promise<void> {
    for (const [step, run] of [['expire-parked', () => this.expireParked()], ['link-stranded', () => this.linkStranded()]] as const) {
      try {
        await run();
      } catch (err) {
        this.log.warn('gateway.housekeeping.failed', { ...describeError(err), component: step });
      }
    }
  }

  /** See linkStrandedFacts: five minutes of registrations, looked at every ten seconds, leaves ample overlap. */
  async linkStranded(): Promise<number> {
    const linked = await this.store.tx((trx) => linkStrandedFacts(trx, 300));
    if (linked > 0) this.log.info('gateway.facts.linked-late', { count: linked });
    return linked;
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
      await enqueueApplicationAcks(trx, expired.rows.map((r) => r.id));
      return expired.rows.length;
    });
  }
}
