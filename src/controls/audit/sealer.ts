/**
 * The sealer orders audit events behind the request path and seals them into the log: each event gets the next
 * sequence number, a leaf hash (RFC 6962, over its canonical bytes), a chain hash (SHA-256 of the previous chain hash
 * and the leaf hash) and a place in the Merkle tree; a signed checkpoint (tree size, root, chain head, time, key id)
 * follows at least every N events or T seconds. Requests only insert an event and a pending row, so sealing never
 * serializes them; the unsealed tail is reported as a gauge.
 *
 * Any number of processes may run a sealer: a transaction-scoped advisory lock lets one seal at a time and the others
 * skip their turn, and the state after each batch is in the database, so whoever comes next carries on from it.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { VigilError, describeError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Store, Tx } from '../../store/store.ts';
import { signWith, type ActiveSigningKey } from '../keys/signing-keys.ts';
import { canonicalBytes, checkpointMessage, recordFromRow } from './canonical.ts';
import { HASH_SIZE, MerkleAccumulator, leafHash, type MerkleAccumulatorState } from './merkle.ts';

// Advisory lock ids: 7150912 test templates, 7150913 signing keys; 7150914 is the audit log's (second key: sealer).
const SEAL_LOCK = [7150914, 1] as const;

/** The chain hash before the first event. */
export const GENESIS_CHAIN = Buffer.alloc(HASH_SIZE);

/** Anything that hands out the audit signing key (SigningKeys, or a cache in front of it). */
export interface ActiveKeySource {
  active(store: Store): Promise<ActiveSigningKey>;
}

export interface SealOptions {
  /** Most events sealed in one transaction. */
  batchSize?: number;
  /** Sign a checkpoint once this many events have been sealed since the last one. */
  checkpointEvents: number;
  /** …or once this many seconds have passed since the last one and something was sealed since. */
  checkpointSeconds: number;
  /** The clock (tests move it instead of waiting). */
  now?: () => Date;
  metrics?: Metrics;
  logger?: Logger;
}

export interface SealResult {
  /** False when another sealer held the lock: nothing was done. */
  locked: boolean;
  sealed: number;
  /** Events in the log after this pass; -1 when another sealer held the lock (this one did not look). */
  treeSize: number;
  /** Tree size of the checkpoint signed in this pass, if one was. */
  checkpoint: number | null;
}

/** The log's own tables disagree: something other than the sealer wrote them. Names no event content. */
export class AuditSealStateError extends VigilError {
  constructor(message: string) {
    super('audit-seal-state', 500, message);
  }
}

export const DEFAULT_BATCH_SIZE = 500;

export function chainHash(previous: Uint8Array, leaf: Uint8Array): Buffer {
  return createHash('sha256').update(previous).update(leaf).digest();
}

export interface SealState {
  treeSize: number;
  accumulator: MerkleAccumulator;
  chain: Buffer;
}

/** The sealer's state after its last batch (an empty log when there is none). */
export async function loadSealState(db: Tx | Store['db']): Promise<SealState> {
  const batch = await db.selectFrom('audit.seal_batches').select(['tree_size', 'frontier', 'chain_hash']).orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
  if (!batch) return { treeSize: 0, accumulator: new MerkleAccumulator(), chain: Buffer.from(GENESIS_CHAIN) };
  const treeSize = Number(batch.tree_size);
  let accumulator: MerkleAccumulator;
  try {
    accumulator = MerkleAccumulator.fromJSON(batch.frontier as MerkleAccumulatorState);
  } catch {
    throw new AuditSealStateError(`The saved sealer state at tree size ${treeSize} is malformed; run \`vigil audit verify --live\`.`);
  }
  if (accumulator.size !== treeSize) {
    throw new AuditSealStateError(`The saved sealer state at tree size ${treeSize} holds a tree of ${accumulator.size}; run \`vigil audit verify --live\`.`);
  }
  return { treeSize, accumulator, chain: Buffer.from(batch.chain_hash) };
}

/**
 * Seals one batch of pending events in one transaction, and signs a checkpoint when one is due. Returns at once
 * (locked: false) when another sealer is at work.
 */
export async function sealPending(store: Store, keys: ActiveKeySource, options: SealOptions): Promise<SealResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const now = options.now ?? (() => new Date());
  // An idle log costs one cheap read per pass: no transaction, no lock, no key.
  const idle = await sql<{ pending: boolean; sealed: string | null; signed: string | null }>`
    select exists (select 1 from audit.pending) as pending,
           (select max(tree_size) from audit.seal_batches) as sealed,
           (select max(tree_size) from audit.checkpoints) as signed`.execute(store.db);
  const probe = idle.rows[0];
  if (probe && !probe.pending && probe.sealed === probe.signed) {
    return { locked: true, sealed: 0, treeSize: Number(probe.sealed ?? 0), checkpoint: null };
  }
  // Fetched before the transaction: on the embedded engine a second transaction inside this one would wait for itself.
  const key = await keys.active(store);
  const result = await store.tx(async (trx) => {
    const lock = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${SEAL_LOCK[0]}, ${SEAL_LOCK[1]}) as ok`.execute(trx);
    if (!lock.rows[0]?.ok) return { locked: false, sealed: 0, treeSize: -1, checkpoint: null, recordedAt: [] as Date[] };

    const state = await loadSealState(trx);
    const top = await trx.selectFrom('audit.seals').select((eb) => eb.fn.max('seq').as('max')).executeTakeFirst();
    const sealedCount = top?.max === null || top?.max === undefined ? 0 : Number(top.max) + 1;
    if (sealedCount !== state.treeSize) {
      throw new AuditSealStateError(`The log holds ${sealedCount} seals but the sealer's last state is at ${state.treeSize}; sealing stopped. Run \`vigil audit verify --live\`.`);
    }

    const rows = await trx
      .selectFrom('audit.pending as p')
      .innerJoin('audit.events as e', 'e.id', 'p.event_id')
      .selectAll('e')
      .orderBy('p.recorded_at')
      .orderBy('p.event_id')
      .limit(batchSize)
      .execute();

    let treeSize = state.treeSize;
    let chain = state.chain;
    const sealedAt = now();
    if (rows.length > 0) {
      const seals = rows.map((row) => {
        const leaf = leafHash(canonicalBytes(recordFromRow(row)));
        chain = chainHash(chain, leaf);
        state.accumulator.append(leaf);
        return { seq: treeSize++, event_id: row.id, leaf_hash: leaf, chain_hash: chain, sealed_at: sealedAt };
      });
      await trx.insertInto('audit.seals').values(seals).execute();
      await trx.insertInto('audit.seal_batches').values({ tree_size: treeSize, frontier: JSON.stringify(state.accumulator.toJSON()), chain_hash: chain, sealed_at: sealedAt }).execute();
      await trx.deleteFrom('audit.pending').where('event_id', 'in', rows.map((r) => r.id)).execute();
    }

    let checkpoint: number | null = null;
    const last = await trx.selectFrom('audit.checkpoints').select(['tree_size', 'issued_at']).orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
    const lastSize = last ? Number(last.tree_size) : 0;
    const issuedAt = sealedAt;
    const dueByCount = treeSize - lastSize >= options.checkpointEvents;
    // Before the first checkpoint the clock runs from the first seal.
    let since = last?.issued_at;
    if (!since && treeSize > 0) {
      const first = await trx.selectFrom('audit.seal_batches').select('sealed_at').orderBy('tree_size').limit(1).executeTakeFirst();
      since = first?.sealed_at;
    }
    const dueByTime = since !== undefined && issuedAt.getTime() - since.getTime() >= options.checkpointSeconds * 1000;
    if (treeSize > lastSize && (dueByCount || dueByTime)) {
      const rootHash = state.accumulator.root();
      const signature = signWith(key, checkpointMessage({ treeSize, rootHash, chainHash: chain, issuedAt, keyId: key.keyId }));
      await trx.insertInto('audit.checkpoints').values({ tree_size: treeSize, root_hash: rootHash, chain_hash: chain, issued_at: issuedAt, key_id: key.keyId, signature }).execute();
      checkpoint = treeSize;
    }
    return { locked: true, sealed: rows.length, treeSize, checkpoint, recordedAt: rows.map((r) => r.recorded_at) };
  });

  if (result.sealed > 0 && options.metrics) {
    const sealedAt = Date.now();
    for (const at of result.recordedAt) options.metrics.auditSealLag.observe(Math.max(0, (sealedAt - at.getTime()) / 1000));
  }
  // The tree size in the log is a witness kept outside the database: a tail cut by someone with database rights
  // shows against the last size a log collector saw.
  if (result.checkpoint !== null) options.logger?.info('audit.checkpoint', { count: result.checkpoint });
  return { locked: result.locked, sealed: result.sealed, treeSize: result.treeSize, checkpoint: result.checkpoint };
}

/**
 * Keeps the active key for a while so a sealer polling every few hundred milliseconds does not unwrap it each time.
 * After `vigil keys rotate --signing` a running sealer may sign with the retired key for up to `ttlMs`; that
 * checkpoint still verifies, because retired public keys are kept.
 */
export function cachedKeySource(keys: ActiveKeySource, ttlMs = 60_000): ActiveKeySource {
  let cached: { key: ActiveSigningKey; at: number } | undefined;
  return {
    async active(store: Store) {
      if (!cached || Date.now() - cached.at >= ttlMs) cached = { key: await keys.active(store), at: Date.now() };
      return cached.key;
    },
  };
}

export interface AuditSealerOptions extends SealOptions {
  intervalMs: number;
  /** Most batches in one pass before the loop sleeps (keeps one pass bounded under a flood). */
  maxBatchesPerPass?: number;
}

/** Runs {@link sealPending} in a loop in a worker process; stop() lets the batch in hand finish. */
export class AuditSealer {
  private stopping = false;
  private readonly wake = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly keys: ActiveKeySource;
  private readonly log: Logger | undefined;

  constructor(
    private readonly store: Store,
    keys: ActiveKeySource,
    private readonly options: AuditSealerOptions,
  ) {
    this.keys = cachedKeySource(keys);
    this.log = options.logger?.child({ component: 'audit-sealer' });
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Seals until nothing is pending (or the pass limit), then updates the unsealed gauge. Returns events sealed. */
  async pass(): Promise<number> {
    const batchSize = this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    const maxBatches = this.options.maxBatchesPerPass ?? 20;
    let total = 0;
    for (let i = 0; i < maxBatches && !this.stopping; i++) {
      const result = await sealPending(this.store, this.keys, { ...this.options, logger: this.log });
      total += result.sealed;
      if (!result.locked || result.sealed < batchSize) break;
    }
    if (this.options.metrics) {
      const row = await this.store.db.selectFrom('audit.pending').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirst();
      this.options.metrics.auditUnsealed.set(Number(row?.n ?? 0));
    }
    return total;
  }

  /** Waits for the current batch (at most `timeoutMs`) and stops the loop. */
  async stop(timeoutMs = 10_000): Promise<{ drained: boolean }> {
    this.stopping = true;
    this.wake.abort();
    if (!this.loop) return { drained: true };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return { drained: await Promise.race([this.loop.then(() => true), timeout]) };
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        await this.pass();
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        failures += 1;
        this.log?.error('audit.seal-failed', { ...describeError(err), attempt: failures });
      }
      if (this.stopping) break;
      // A database that is down or a log that needs an operator will not mend in 250 ms: back off, up to 30 s.
      const delay = Math.min(this.options.intervalMs * 2 ** Math.min(failures, 10), Math.max(this.options.intervalMs, 30_000));
      await sleep(delay, undefined, { signal: this.wake.signal }).catch(() => undefined);
    }
  }
}
