/**
 * Signed checkpoints and the proofs that tie events and checkpoints together (RFC 6962/9162): an inclusion proof shows
 * an event is leaf i of the tree a checkpoint signed; a consistency proof shows a later checkpoint only appended to an
 * earlier one. The answers are plain JSON with base64 hashes, so a third party can check them with any CT verifier and
 * the audit public keys.
 *
 * Proofs are computed from every leaf hash up to the tree size, read in one ordered scan of audit.seals: O(n) in the
 * size of the log. That is fine for the sizes an investigator asks about today; a cache of subtree roots (or storing
 * interior nodes per batch) makes it O(log n) when it matters.
 */
import { VigilError } from '../../errors.ts';
import type { Db } from '../../store/store.ts';
import { consistencyProof, inclusionProof } from './merkle.ts';
import { validate as isUuid } from 'uuid';

export interface CheckpointView {
  tree_size: number;
  root_hash: string;
  chain_hash: string;
  issued_at: string;
  key_id: string;
  signature: string;
}

export interface InclusionProofView {
  event_id: string;
  leaf_index: number;
  leaf_hash: string;
  tree_size: number;
  proof: string[];
  checkpoint: CheckpointView;
}

export interface ConsistencyProofView {
  from: CheckpointView;
  to: CheckpointView;
  proof: string[];
}

/** A proof was asked for something the log cannot prove (yet, or at all). The message names sizes and ids only. */
export class AuditProofError extends VigilError {
  constructor(code: 'audit-not-found' | 'audit-not-yet-checkpointed' | 'audit-bad-range', status: 404 | 409 | 400, message: string) {
    super(code, status, message);
  }
}

type CheckpointRow = { tree_size: string; root_hash: Uint8Array; chain_hash: Uint8Array; issued_at: Date; key_id: string; signature: Uint8Array };

export function checkpointView(row: CheckpointRow): CheckpointView {
  return {
    tree_size: Number(row.tree_size),
    root_hash: Buffer.from(row.root_hash).toString('base64'),
    chain_hash: Buffer.from(row.chain_hash).toString('base64'),
    issued_at: row.issued_at.toISOString(),
    key_id: row.key_id,
    signature: Buffer.from(row.signature).toString('base64'),
  };
}

const CHECKPOINT_COLUMNS = ['tree_size', 'root_hash', 'chain_hash', 'issued_at', 'key_id', 'signature'] as const;

/** Checkpoints, newest first. */
export async function listCheckpoints(db: Db, options: { limit?: number; before?: number } = {}): Promise<CheckpointView[]> {
  let query = db.selectFrom('audit.checkpoints').select(CHECKPOINT_COLUMNS).orderBy('tree_size', 'desc').limit(options.limit ?? 100);
  if (options.before !== undefined) query = query.where('tree_size', '<', String(options.before));
  return (await query.execute()).map(checkpointView);
}

export async function latestCheckpoint(db: Db): Promise<CheckpointView | undefined> {
  return (await listCheckpoints(db, { limit: 1 }))[0];
}

async function checkpointAt(db: Db, treeSize: number): Promise<CheckpointView> {
  const row = await db.selectFrom('audit.checkpoints').select(CHECKPOINT_COLUMNS).where('tree_size', '=', String(treeSize)).executeTakeFirst();
  if (!row) throw new AuditProofError('audit-not-found', 404, `No checkpoint has tree size ${treeSize}; list them at /api/audit/checkpoints.`);
  return checkpointView(row);
}

// O(n): see the note at the top of this file.
async function leafHashes(db: Db, treeSize: number): Promise<Buffer[]> {
  const rows = await db.selectFrom('audit.seals').select(['seq', 'leaf_hash']).where('seq', '<', String(treeSize)).orderBy('seq').execute();
  if (rows.length !== treeSize || (rows.length > 0 && Number(rows.at(-1)!.seq) !== treeSize - 1)) {
    throw new AuditProofError('audit-not-found', 404, `The log does not hold ${treeSize} seals; run \`vigil audit verify --live\`.`);
  }
  return rows.map((r) => Buffer.from(r.leaf_hash));
}

/** Proves that an event is in the checkpoint of `treeSize` (default: the latest checkpoint, which covers it if any does). */
export async function eventInclusionProof(db: Db, eventId: string, treeSize?: number): Promise<InclusionProofView> {
  if (!isUuid(eventId)) throw new AuditProofError('audit-not-found', 404, 'No audit event has this id (ids are UUIDs).');
  const seal = await db.selectFrom('audit.seals').select(['seq', 'leaf_hash']).where('event_id', '=', eventId).executeTakeFirst();
  if (!seal) {
    const pending = await db.selectFrom('audit.pending').select('event_id').where('event_id', '=', eventId).executeTakeFirst();
    if (pending) throw new AuditProofError('audit-not-yet-checkpointed', 409, 'This event is not sealed yet; sealing takes a moment, try again shortly.');
    throw new AuditProofError('audit-not-found', 404, 'No audit event has this id.');
  }
  const index = Number(seal.seq);
  const checkpoint = treeSize === undefined ? await latestCheckpoint(db) : await checkpointAt(db, treeSize);
  if (!checkpoint || checkpoint.tree_size <= index) {
    if (treeSize !== undefined) throw new AuditProofError('audit-bad-range', 400, `The checkpoint of tree size ${treeSize} was signed before this event (leaf ${index}); ask for a larger tree_size.`);
    throw new AuditProofError('audit-not-yet-checkpointed', 409, `This event (leaf ${index}) is sealed but no checkpoint covers it yet; try again after the next checkpoint.`);
  }
  const leaves = await leafHashes(db, checkpoint.tree_size);
  return {
    event_id: eventId,
    leaf_index: index,
    leaf_hash: Buffer.from(seal.leaf_hash).toString('base64'),
    tree_size: checkpoint.tree_size,
    proof: inclusionProof(leaves, index).map((h) => h.toString('base64')),
    checkpoint,
  };
}

/** Proves that the checkpoint of size `to` extends the checkpoint of size `from`. */
export async function checkpointConsistencyProof(db: Db, from: number, to: number): Promise<ConsistencyProofView> {
  if (!(from >= 1 && from <= to)) throw new AuditProofError('audit-bad-range', 400, `from must be at least 1 and at most to (got from=${from}, to=${to}).`);
  const [older, newer] = await Promise.all([checkpointAt(db, from), checkpointAt(db, to)]);
  const leaves = await leafHashes(db, to);
  return { from: older, to: newer, proof: consistencyProof(leaves, from).map((h) => h.toString('base64')) };
}
