import { randomBytes } from 'node:crypto';
import { ArchiveKeys } from '../../src/controls/keys/archive-keys.ts';
import { LocalKeyring } from '../../src/controls/keys/keyring.ts';
import { storeArrival } from '../../src/gateway/inbox.ts';
import { GatewayProcessor } from '../../src/gateway/processor.ts';
import type { MatchEngine } from '../../src/core/identity/match-engine.ts';
import { SourceRegistry } from '../../src/gateway/sources.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { Store } from '../../src/store/store.ts';
import { LAB, NORTH, PHARMACY, type Sender } from './hl7-builder.ts';
import { createTestDatabase } from './test-db.ts';

/**
 * A database of its own with the hospital's ADT source (and the lab's, when asked) registered, and a processor the
 * test drives itself, batch by batch: the setting of the gateway tests that need to say which messages share a batch.
 */
export interface ProcessorHarness {
  store: Store;
  processor: GatewayProcessor;
  /** Stores a message as received from `sender` (default: the ADT source), ready to be claimed. */
  arrive(text: string, control: string, sender?: Sender): Promise<void>;
  /** Works batches until the inbox has nothing claimable (at most `rounds`). */
  drain(rounds?: number): Promise<void>;
  registry: SourceRegistry;
  sourceId(sender: Sender): string;
  /** Batches worked again with savepoints after a message failed in them (the operator's vigil_gateway_batch_redone_total). */
  redone(): Promise<number>;
}

const NAMES = new Map<Sender, string>([[NORTH, 'north-adt'], [LAB, 'north-lab'], [PHARMACY, 'north-pharmacy']]);

export async function withProcessor(
  options: { workerId: string; batchSize?: number; maxAttempts?: number; senders?: Sender[]; profiles?: ReadonlyMap<Sender, unknown>; engine?: MatchEngine },
  fn: (h: ProcessorHarness) => Promise<void>,
): Promise<void> {
  const db = await createTestDatabase();
  const store = await db.open();
  try {
    const registry = new SourceRegistry();
    const archive = new ArchiveKeys(LocalKeyring.single(randomBytes(32)));
    const ids = new Map<Sender, string>();
    await store.tx(async (trx) => {
      for (const s of options.senders ?? [NORTH]) ids.set(s, (await registry.add(trx, { name: NAMES.get(s)!, kind: 'hl7v2', msh3: s.app, msh4: s.facility, profile: options.profiles?.get(s) }, { actorName: 'test' })).id);
    });
    const metrics = createMetrics();
    const processor = new GatewayProcessor(store, registry, archive, options.engine ?? null, createLogger({ level: 'silent' }), metrics, {
      batchSize: options.batchSize ?? 8,
      pollMs: 10,
      maxAttempts: options.maxAttempts ?? 5,
      baseRetryMs: 10,
      workerId: options.workerId,
    });
    await fn({
      store,
      processor,
      arrive: async (text, control, sender = NORTH) => {
        await storeArrival(store.db, archive, { sourceId: ids.get(sender)!, transport: 'mllp', peer: null, raw: Buffer.from(text), messageType: null, controlId: control, profileVersion: 1, ackCode: 'AA', actor: 'test' });
      },
      drain: async (rounds = 200) => {
        for (let i = 0; i < rounds && (await processor.runOnce()) > 0; i++);
      },
      registry,
      sourceId: (sender) => ids.get(sender)!,
      redone: async () => (await metrics.gatewayBatchRedone.get()).values.reduce((n, v) => n + v.value, 0),
    });
  } finally {
    await store.close();
    await db.dispose();
  }
}

/** A message as a test sends it: from which source, under which control id. */
export interface Sent {
  sender: Sender;
  control: string;
  text: string;
}

/**
 * Works `before` to the end, then `batch`: with `batchSize` 1 each message as it arrives (a batch of its own), else
 * all of them arrived first, so they share batches; then to the end. Returns the most messages one batch of `batch`
 * claimed, for a test to check which case it ran. `afterBatch` looks at the database before the rest is worked.
 */
export async function workInBatches(h: ProcessorHarness, before: readonly Sent[], batch: readonly Sent[], batchSize: number, afterBatch?: () => Promise<void>): Promise<number> {
  for (const m of before) await h.arrive(m.text, m.control, m.sender);
  await h.drain();
  let claimed = 0;
  for (const m of batch) {
    await h.arrive(m.text, m.control, m.sender);
    if (batchSize === 1) claimed = Math.max(claimed, await h.processor.runOnce());
  }
  if (batchSize > 1) claimed = await h.processor.runOnce();
  await afterBatch?.();
  await h.drain();
  return claimed;
}
