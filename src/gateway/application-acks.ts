import { sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { ackContextOf, ackModeOf, applicationAckWanted, buildAck } from '../adapters/hl7v2/index.ts';
import type { ArchiveKeys } from '../controls/keys/archive-keys.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Db, Store, Tx } from '../store/store.ts';
import { timeline } from './inbox.ts';
import { MllpExchangeError, MllpLane } from '../transport/mllp-client.ts';
import { Periodic } from './periodic.ts';
import { retryDelayMs } from './retry.ts';
import type { SourceRegistry } from './sources.ts';

/**
 * Application acknowledgments of HL7 enhanced mode. A sender that asks for them (MSH-15/16 valued) gets the accept
 * acknowledgment (CA/CE/CR) on its connection when the message is stored; once the message is worked, it is owed an
 * application acknowledgment (AA processed, AE quarantined or dead-lettered) as a message of its own, sent to the address
 * its profile names (`applicationAcks`) and only when MSH-16 wants one for that outcome (AL, SU, ER; never NE).
 *
 * The processor enqueues one row per message that reached a final state in the same transaction as that state
 * (`enqueueApplicationAcks`), so none is lost or doubled; this sender delivers them with the outbox pattern: claim
 * a few due rows by pushing their next attempt out (a lease, so a crash mid-send only delays), send outside any
 * transaction, then record the outcome, retrying with backoff and jitter until the limit, then `failed`. A receiver
 * that gets an acknowledgment twice (a crash between send and record) ignores the repeat, as HL7 receivers must.
 * Each sent or failed acknowledgment is a step on the message's timeline.
 */
const LEASE_SECONDS = 60;
const CLAIM = 50;

/**
 * Queues application acknowledgments for the messages just worked, where the sender asked for them. One statement.
 * A message worked again (an operator's reprocess or replay) that now ends otherwise than its acknowledgment said, AE
 * then processed say, owes its sender the new answer: the row is queued afresh with the new code, and the timeline
 * keeps both sendings. One that ends as it did before owes nothing more, so a replay repeats no acknowledgment.
 */
export async function enqueueApplicationAcks(db: Db | Tx, messageIds: readonly string[]): Promise<void> {
  if (messageIds.length === 0) return;
  // Each message is a probe by its key (a lateral LIMIT 1, which the planner cannot turn into a join). Written as a
  // filter over the inbox, once the table had statistics (almost no message asks for an application ACK) PostgreSQL
  // kept a generic plan that scanned the whole inbox for the rare `CA` rows: 4.5 ms a batch with 16,000 messages,
  // growing with the inbox (bench drain, pg_stat_statements).
  await sql`
    INSERT INTO gateway_app_acks (message_id, source_id, ack_code, state)
    SELECT m.id, m.source_id, CASE m.state WHEN 'processed' THEN 'AA' ELSE 'AE' END, 'pending'
      FROM unnest(${[...messageIds]}::uuid[]) AS x(id)
      CROSS JOIN LATERAL (SELECT g.id, g.source_id, g.state, g.transport, g.ack_code FROM gateway_messages g WHERE g.id = x.id LIMIT 1) m
      JOIN gateway_sources s ON s.id = m.source_id
      JOIN gateway_source_profiles p ON p.source_id = s.id AND p.version = s.profile_version
     WHERE m.transport = 'mllp' AND m.ack_code = 'CA'
       AND m.state IN ('processed', 'quarantined', 'dead-letter') AND p.profile ? 'applicationAcks'
    ON CONFLICT (message_id) DO UPDATE SET ack_code = excluded.ack_code, ack_text = NULL, state = 'pending', attempts = 0,
      next_attempt_at = now(), last_error = NULL, sent_at = NULL, generation = gateway_app_acks.generation + 1
      WHERE gateway_app_acks.ack_code <> excluded.ack_code`.execute(db);
}

interface Claimed {
  message_id: string;
  source_id: string;
  ack_code: 'AA' | 'AE' | 'AR';
  ack_text: string | null;
  attempts: number;
  generation: number;
}

export interface ApplicationAckOptions {
  intervalMs: number;
  /** How long to wait for the receiver's own acknowledgment of ours. */
  timeoutMs: number;
  maxAttempts: number;
  baseRetryMs: number;
}

export class ApplicationAckSender {
  private readonly job: Periodic;

  constructor(
    private readonly store: Store,
    private readonly registry: SourceRegistry,
    private readonly archive: ArchiveKeys,
    private readonly log: Logger,
    private readonly options: ApplicationAckOptions,
  ) {
    this.job = new Periodic(options.intervalMs, async () => (await this.tick()) > 0, (err) => this.log.warn('gateway.app-ack.tick-failed', describeError(err)));
  }

  start(): void {
    this.job.start();
  }

  stop(): Promise<void> {
    return this.job.stop();
  }

  /** One round: claims due acknowledgments, sends them, records each outcome. Returns how many were claimed. */
  async tick(): Promise<number> {
    const claimed = await sql<Claimed>`
      UPDATE gateway_app_acks a SET next_attempt_at = now() + make_interval(secs => ${LEASE_SECONDS}), attempts = a.attempts + 1
       WHERE a.message_id IN (SELECT message_id FROM gateway_app_acks WHERE state = 'pending' AND next_attempt_at <= now()
                              ORDER BY next_attempt_at LIMIT ${CLAIM} FOR UPDATE SKIP LOCKED)
      RETURNING a.message_id, a.source_id, a.ack_code, a.ack_text, a.attempts, a.generation`.execute(this.store.db);
    const bySource = new Map<string, Claimed[]>();
    for (const row of claimed.rows) bySource.set(row.source_id, [...(bySource.get(row.source_id) ?? []), row]);
    for (const [sourceId, rows] of bySource) await this.sendFor(sourceId, rows);
    return claimed.rows.length;
  }

  private async sendFor(sourceId: string, rows: Claimed[]): Promise<void> {
    const source = await this.registry.get(this.store.db, sourceId);
    const profile = source ? await this.registry.profile(this.store.db, source.id, source.profileVersion) : undefined;
    const destination = profile?.applicationAcks;
    let lane: MllpLane | undefined;
    try {
      for (const row of rows) {
        const text = row.ack_text ?? (await this.compose(row));
        if (text === null) continue;
        if (!destination) {
          await this.finish(row, 'failed', 'the source profile no longer names where application acknowledgments go');
          continue;
        }
        lane ??= new MllpLane(destination.host, destination.port, this.options.timeoutMs);
        try {
          const answer = msaCode(await lane.exchange(text));
          if (answer === 'CA' || answer === 'AA') await this.finish(row, 'sent', null);
          else await this.retry(row, `the receiver answered ${answer ?? 'without an MSA segment'}`);
        } catch (err) {
          // The client's messages name the destination and what went wrong, never message content.
          await this.retry(row, err instanceof MllpExchangeError ? err.message : `sending failed (${describeError(err).error_code})`);
        }
      }
    } finally {
      lane?.close();
    }
  }

  /** Builds the acknowledgment from the stored message's header (decrypted in memory only); null when MSH-16 wants none. */
  private async compose(row: Claimed): Promise<string | null> {
    const message = await this.store.db.selectFrom('gateway_messages').select(['archive_key_id', 'raw', 'reason', 'reason_code']).where('id', '=', row.message_id).executeTakeFirstOrThrow();
    const raw = await this.archive.decrypt(this.store.db, message.archive_key_id, row.message_id, message.raw);
    const context = ackContextOf(raw);
    if (!context || !applicationAckWanted(ackModeOf(context.header), row.ack_code === 'AA' ? 'success' : 'error')) {
      await this.store.db.updateTable('gateway_app_acks').set({ state: 'not-wanted' }).where('message_id', '=', row.message_id).where('generation', '=', row.generation).execute();
      return null;
    }
    const text = buildAck(
      context.header,
      row.ack_code === 'AA'
        ? { code: 'AA' }
        : { code: row.ack_code, error: { hl7ErrorCode: 207, severity: 'E', diagnostic: message.reason ?? message.reason_code ?? 'The message could not be processed.' } },
      { now: new Date(), controlId: uuidv7().replaceAll('-', '').slice(0, 20), sendingApplication: 'VIGIL', sendingFacility: 'VIGIL', ...(context.delimiters ? { delimiters: context.delimiters } : {}) },
    );
    await this.store.db.updateTable('gateway_app_acks').set({ ack_text: text }).where('message_id', '=', row.message_id).where('generation', '=', row.generation).execute();
    return text;
  }

  private async retry(row: Claimed, error: string): Promise<void> {
    if (row.attempts >= this.options.maxAttempts) return this.finish(row, 'failed', error);
    const delay = retryDelayMs(row.attempts, this.options.baseRetryMs);
    await sql`UPDATE gateway_app_acks SET next_attempt_at = now() + make_interval(secs => ${delay / 1000}), last_error = ${error}
      WHERE message_id = ${row.message_id}::uuid AND state = 'pending' AND attempts = ${row.attempts} AND generation = ${row.generation}`.execute(this.store.db);
  }

  private async finish(row: Claimed, state: 'sent' | 'failed', error: string | null): Promise<void> {
    await this.store.tx(async (trx) => {
      const updated = await trx
        .updateTable('gateway_app_acks')
        .set({ state, last_error: error, ...(state === 'sent' ? { sent_at: new Date() } : {}) })
        .where('message_id', '=', row.message_id)
        // Only the claim this sender holds: a row claimed again after the lease ran out is the other claimant's to record,
        // and a row queued afresh with another code (see enqueueApplicationAcks) is the new answer's.
        .where('state', '=', 'pending')
        .where('attempts', '=', row.attempts)
        .where('generation', '=', row.generation)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return;
      await timeline(trx, row.message_id, state === 'sent' ? 'application-ack-sent' : 'application-ack-failed', 'system:gateway', { code: row.ack_code, attempts: row.attempts, ...(error ? { error } : {}) });
    });
    if (state === 'failed') this.log.warn('gateway.app-ack.failed', { message_id: row.message_id, attempt: row.attempts });
  }
}

/** MSA-1 of an acknowledgment frame, read without trusting the rest of it. */
function msaCode(frame: Buffer): string | undefined {
  const text = frame.toString('utf8');
  const msa = text.split(/\r\n|\r|\n/).find((s) => s.startsWith('MSA'));
  if (!msa) return undefined;
  const sep = msa[3] ?? '|';
  return msa.split(sep)[1]?.trim().toUpperCase() || undefined;
}
