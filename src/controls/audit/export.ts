/**
 * `vigil audit export`: the sealed log, or a slice of it, as NDJSON that anyone holding the audit public keys can
 * verify offline (verify.ts). The file is:
 *
 *   line 1   the manifest: which seqs it holds, the chain hash and Merkle frontier just before the first one, the
 *            chain head and tree root after the last one, how many events and checkpoints follow; signed by the
 *            active audit key, so a verifier can trust where the slice starts and notice a cut or extended tail;
 *   then     one line per event in seq order (seal fields, the canonical record, the FHIR AuditEvent), with each
 *            checkpoint line placed right after the event that completes its tree (seq = tree_size − 1), so a
 *            streaming verifier checks every checkpoint the moment it has the leaves for it.
 *
 * --from/--to select events by recorded_at, but a slice of a hash chain must be contiguous in seq: the file holds
 * every seq from the first event recorded at or after --from to the last recorded at or before --to, which may
 * include a few events recorded just outside the window (the sealer orders events as they commit).
 */
import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { sql } from 'kysely';
import type { Store } from '../../store/store.ts';
import { signWith } from '../keys/signing-keys.ts';
import { canonicalJson, canonicalRecordJson, manifestMessage, recordFromRow, type JsonValue } from './canonical.ts';
import { toFhirAuditEvent } from './fhir-audit-event.ts';
import { MerkleAccumulator, type MerkleAccumulatorState } from './merkle.ts';
import { GENESIS_CHAIN, loadSealState, sealPending, type ActiveKeySource, type SealOptions } from './sealer.ts';

export const EXPORT_TYPE = 'vigil-audit-export' as const;
export const EXPORT_VERSION = 1 as const;
const PAGE = 1000;

export interface ExportManifest {
  type: typeof EXPORT_TYPE;
  version: typeof EXPORT_VERSION;
  from_seq: number;
  to_seq: number;
  count: number;
  checkpoints: number;
  from_time: string | null;
  to_time: string | null;
  prev_chain_hash: string;
  frontier: MerkleAccumulatorState;
  tree_size: number;
  root_hash: string;
  last_chain_hash: string;
  exported_at: string;
  key_id: string;
  signature: string;
}

export interface ExportOptions {
  from?: Date | undefined;
  to?: Date | undefined;
  /** How the seal pass before the export checkpoints (the process's settings). */
  seal: Omit<SealOptions, 'batchSize'>;
  now?: () => Date;
}

export interface ExportSummary {
  fromSeq: number;
  toSeq: number;
  count: number;
  checkpoints: number;
  keyId: string;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Writes the export to `file` (through a temporary file, so an interrupted export leaves nothing that looks whole). */
export async function exportAudit(store: Store, keys: ActiveKeySource, file: string, options: ExportOptions): Promise<ExportSummary> {
  // Fresh events first, so an export taken right after an access includes it. A sealer elsewhere may hold the lock;
  // then what it seals now lands in the next export.
  for (let i = 0; i < 1000; i++) {
    const r = await sealPending(store, keys, { ...options.seal, batchSize: PAGE });
    if (!r.locked || r.sealed < PAGE) break;
  }

  const { fromSeq, toSeq } = await seqRange(store, options.from, options.to);
  const start = await stateBefore(store, fromSeq);
  const accumulator = MerkleAccumulator.fromJSON(start.frontier);

  // First pass over the seals alone (32-byte hashes): the end state the manifest signs.
  let lastChain = start.prevChain;
  for (let cursor = fromSeq; cursor <= toSeq; cursor += PAGE) {
    const rows = await store.db
      .selectFrom('audit.seals')
      .select(['leaf_hash', 'chain_hash'])
      .where('seq', '>=', String(cursor))
      .where('seq', '<=', String(Math.min(toSeq, cursor + PAGE - 1)))
      .orderBy('seq')
      .execute();
    for (const r of rows) {
      accumulator.append(r.leaf_hash);
      lastChain = Buffer.from(r.chain_hash);
    }
  }
  const checkpointRows = await store.db
    .selectFrom('audit.checkpoints')
    .selectAll()
    .where('tree_size', '>', String(fromSeq))
    .where('tree_size', '<=', String(toSeq + 1))
    .orderBy('tree_size')
    .execute();

  const key = await keys.active(store);
  const unsigned = {
    type: EXPORT_TYPE,
    version: EXPORT_VERSION,
    from_seq: fromSeq,
    to_seq: toSeq,
    count: toSeq - fromSeq + 1,
    checkpoints: checkpointRows.length,
    from_time: options.from ? options.from.toISOString() : null,
    to_time: options.to ? options.to.toISOString() : null,
    prev_chain_hash: b64(start.prevChain),
    frontier: start.frontier,
    tree_size: toSeq + 1,
    root_hash: b64(accumulator.root()),
    last_chain_hash: b64(lastChain),
    exported_at: (options.now ?? (() => new Date()))().toISOString(),
    key_id: key.keyId,
  };
  const signature = b64(signWith(key, manifestMessage(unsigned as unknown as Record<string, JsonValue>)));
  const manifest: ExportManifest = { ...unsigned, signature };

  const partial = `${file}.partial-${process.pid}`;
  const out = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  try {
    await write(canonicalJson(manifest as unknown as JsonValue) + '\n');
    let nextCheckpoint = 0;
    for (let cursor = fromSeq; cursor <= toSeq; cursor += PAGE) {
      const rows = await store.db
        .selectFrom('audit.seals as s')
        .innerJoin('audit.events as e', 'e.id', 's.event_id')
        .selectAll('e')
        .select(['s.seq', 's.leaf_hash', 's.chain_hash'])
        .where('s.seq', '>=', String(cursor))
        .where('s.seq', '<=', String(Math.min(toSeq, cursor + PAGE - 1)))
        .orderBy('s.seq')
        .execute();
      let chunk = '';
      for (const row of rows) {
        const record = recordFromRow(row);
        chunk += eventLine(Number(row.seq), row.leaf_hash, row.chain_hash, canonicalRecordJson(record), canonicalJson(toFhirAuditEvent(record))) + '\n';
        while (nextCheckpoint < checkpointRows.length && Number(checkpointRows[nextCheckpoint]!.tree_size) === Number(row.seq) + 1) {
          chunk += checkpointLine(checkpointRows[nextCheckpoint]!) + '\n';
          nextCheckpoint++;
        }
      }
      await write(chunk);
    }
    out.end();
    await once(out, 'finish');
    renameSync(partial, file);
  } catch (err) {
    out.destroy();
    rmSync(partial, { force: true });
    throw err;
  }
  return { fromSeq, toSeq, count: manifest.count, checkpoints: manifest.checkpoints, keyId: key.keyId };
}

/** One event line, keys in a fixed order (the verifier accepts any order; a fixed one makes exports diffable). */
export function eventLine(seq: number, leaf: Uint8Array, chain: Uint8Array, recordJson: string, auditEventJson: string): string {
  return `{"type":"event","seq":${seq},"leaf_hash":"${b64(leaf)}","chain_hash":"${b64(chain)}","record":${recordJson},"auditEvent":${auditEventJson}}`;
}

type CheckpointRow = { tree_size: string; root_hash: Uint8Array; chain_hash: Uint8Array; issued_at: Date; key_id: string; signature: Uint8Array };

export function checkpointLine(c: CheckpointRow): string {
  return JSON.stringify({
    type: 'checkpoint',
    tree_size: Number(c.tree_size),
    root_hash: b64(c.root_hash),
    chain_hash: b64(c.chain_hash),
    issued_at: c.issued_at.toISOString(),
    key_id: c.key_id,
    signature: b64(c.signature),
  });
}

// The seqs of the events recorded inside the window, as one contiguous run; an empty run starts after the last seal.
async function seqRange(store: Store, from: Date | undefined, to: Date | undefined): Promise<{ fromSeq: number; toSeq: number }> {
  const state = await loadSealState(store.db);
  if (!from && !to) return { fromSeq: 0, toSeq: state.treeSize - 1 };
  let query = store.db
    .selectFrom('audit.seals as s')
    .innerJoin('audit.events as e', 'e.id', 's.event_id')
    .select([sql<string | null>`min(s.seq)`.as('lo'), sql<string | null>`max(s.seq)`.as('hi')]);
  if (from) query = query.where('e.recorded_at', '>=', from);
  if (to) query = query.where('e.recorded_at', '<=', to);
  const row = await query.executeTakeFirst();
  if (!row || row.lo === null || row.hi === null) return { fromSeq: state.treeSize, toSeq: state.treeSize - 1 };
  return { fromSeq: Number(row.lo), toSeq: Number(row.hi) };
}

// The chain hash and Merkle frontier just before `seq`: the nearest saved batch state at or before it, advanced over
// the few leaves between (a batch holds at most one sealer batch of events).
async function stateBefore(store: Store, seq: number): Promise<{ prevChain: Buffer; frontier: MerkleAccumulatorState }> {
  if (seq === 0) return { prevChain: Buffer.from(GENESIS_CHAIN), frontier: new MerkleAccumulator().toJSON() };
  const batch = await store.db
    .selectFrom('audit.seal_batches')
    .select(['tree_size', 'frontier'])
    .where('tree_size', '<=', String(seq))
    .orderBy('tree_size', 'desc')
    .limit(1)
    .executeTakeFirst();
  const accumulator = batch ? MerkleAccumulator.fromJSON(batch.frontier as MerkleAccumulatorState) : new MerkleAccumulator();
  const leaves = await store.db
    .selectFrom('audit.seals')
    .select(['leaf_hash'])
    .where('seq', '>=', String(accumulator.size))
    .where('seq', '<', String(seq))
    .orderBy('seq')
    .execute();
  for (const l of leaves) accumulator.append(l.leaf_hash);
  const prev = await store.db.selectFrom('audit.seals').select('chain_hash').where('seq', '=', String(seq - 1)).executeTakeFirstOrThrow();
  return { prevChain: Buffer.from(prev.chain_hash), frontier: accumulator.toJSON() };
}
