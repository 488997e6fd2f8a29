/**
 * Verification of the audit log, offline from an export file plus the audit public keys (`vigil audit verify FILE
 * --public-key PEMFILE`), or directly against the database (`vigil audit verify --live`). Both recompute every leaf
 * hash from the event itself, follow the hash chain, check that seqs run without gaps or repeats, rebuild the Merkle
 * tree to recompute every checkpoint root, and check every signature against keys whose ids are computed from the
 * keys themselves (a key id in a file or a table proves nothing by itself).
 *
 * A problem is reported by position and kind (line, seq, which check), never by event content: the report may be
 * pasted into a ticket.
 */
import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import type { Store } from '../../store/store.ts';
import { signingKeyId } from '../keys/signing-keys.ts';
import { AuditRecordError, canonicalJson, canonicalRecordJson, checkpointMessage, manifestMessage, parseRecord, recordFromRow, type JsonValue } from './canonical.ts';
import { EXPORT_TYPE, EXPORT_VERSION } from './export.ts';
import { toFhirAuditEvent } from './fhir-audit-event.ts';
import { MerkleAccumulator, leafHash, type MerkleAccumulatorState } from './merkle.ts';
import { chainHash } from './sealer.ts';
import { fastEventLine, VerifierAccumulator } from './verify-fast.ts';
import type { CheckpointView } from './proofs.ts';

export interface VerifyProblem {
  line?: number;
  seq?: number;
  /** Another kind of position: `checkpoint 1000`, `event <id>`, `signing key <id>`. */
  where?: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  /** Events checked. */
  events: number;
  checkpoints: number;
  fromSeq: number;
  toSeq: number;
  /** Ids of the keys that signed what was checked. */
  keyIds: string[];
  /** The first problem of an export; up to {@link MAX_LIVE_PROBLEMS} for a live check. */
  problems: VerifyProblem[];
  warnings: string[];
}

export const MAX_LIVE_PROBLEMS = 20;

export function formatProblem(p: VerifyProblem): string {
  const at = [p.line !== undefined ? `line ${p.line}` : undefined, p.seq !== undefined ? `seq ${p.seq}` : undefined, p.where].filter(Boolean).join(', ');
  return at ? `${at}: ${p.message}` : p.message;
}

/** Public keys by the id computed from each key. Several PEM blocks may be in one text; anything else is ignored. */
export function parsePublicKeys(pemText: string): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const block of pemText.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? []) {
    try {
      const key = createPublicKey(block);
      if (key.asymmetricKeyType === 'ed25519') keys.set(signingKeyId(key), key);
    } catch {
      // A damaged block is not a key; if no usable key remains the caller says so.
    }
  }
  return keys;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const HASH_B64 = /^[A-Za-z0-9+/]{43}=$/;

class Stop extends Error {
  constructor(readonly problem: VerifyProblem) {
    super(problem.message);
  }
}

function fail(problem: VerifyProblem): never {
  throw new Stop(problem);
}

function isInt(v: unknown, min = 0): v is number {
  return Number.isSafeInteger(v) && (v as number) >= min;
}

export interface VerifyFileOptions {
  /**
   * Check event lines written exactly as the exporter writes them with the fast path (verify-fast.ts) first; on by
   * default. Off, every line takes the full check: the reference the tests hold the fast path to.
   */
  fastPath?: boolean;
}

/** Verifies an export file. Streams it: memory stays O(log n) (the Merkle frontier) whatever the file's size. */
export async function verifyExportFile(file: string, publicKeys: ReadonlyMap<string, KeyObject>, options: VerifyFileOptions = {}): Promise<VerifyReport> {
  const useFastPath = options.fastPath ?? true;
  const report: VerifyReport = { ok: false, events: 0, checkpoints: 0, fromSeq: 0, toSeq: -1, keyIds: [], problems: [], warnings: [] };
  const keyIds = new Set<string>();
  const input = createReadStream(file);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let seqAt: number | undefined;
  try {
    let manifest: ReturnType<typeof checkManifest> | undefined;
    let accumulator = new VerifierAccumulator(new MerkleAccumulator());
    let prevChain: Buffer = Buffer.alloc(0);
    let nextSeq = 0;
    for await (const text of lines) {
      lineNo++;
      seqAt = undefined;
      if (text.trim() === '') fail({ line: lineNo, message: 'empty line: the file was edited' });
      if (useFastPath && manifest && nextSeq <= manifest.to_seq) {
        const fast = fastEventLine(text, nextSeq, prevChain);
        if (fast) {
          accumulator.append(fast.leaf);
          prevChain = fast.chain;
          nextSeq++;
          report.events++;
          continue;
        }
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        fail({ line: lineNo, message: 'not valid JSON: the line was damaged or edited' });
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail({ line: lineNo, message: 'not a JSON object' });
      const obj = value as Record<string, unknown>;

      if (!manifest) {
        manifest = checkManifest(obj, publicKeys, lineNo);
        keyIds.add(manifest.key_id);
        accumulator = new VerifierAccumulator(manifest.accumulator);
        prevChain = Buffer.from(manifest.prev_chain_hash, 'base64');
        nextSeq = manifest.from_seq;
        report.fromSeq = manifest.from_seq;
        report.toSeq = manifest.to_seq;
        continue;
      }

      if (obj.type === 'event') {
        const seq = obj.seq;
        if (!isInt(seq)) fail({ line: lineNo, message: 'the event has no valid seq' });
        seqAt = seq;
        if (seq < nextSeq) fail({ line: lineNo, seq, message: `seq repeats or goes back (expected ${nextSeq}): an event was inserted, repeated or moved` });
        if (nextSeq > manifest.to_seq) fail({ line: lineNo, seq, message: `the manifest ends at seq ${manifest.to_seq}: lines were appended` });
        if (seq > nextSeq) fail({ line: lineNo, seq, message: `seq ${nextSeq} is missing: an event was deleted or moved` });
        let record;
        try {
          record = parseRecord(obj.record);
        } catch (err) {
          fail({ line: lineNo, seq, message: err instanceof AuditRecordError ? `${err.message}: the event was altered` : 'the record cannot be read' });
        }
        const recordJson = canonicalRecordJson(record);
        const leaf = leafHash(Buffer.from(recordJson, 'utf8'));
        const leafB64 = b64(leaf);
        if (obj.leaf_hash !== leafB64) fail({ line: lineNo, seq, message: 'the record does not match its leaf hash: the event was altered' });
        const chain = chainHash(prevChain, leaf);
        const chainB64 = b64(chain);
        if (obj.chain_hash !== chainB64) {
          fail({ line: lineNo, seq, message: 'the chain hash does not follow from the previous event: an event before it was removed, inserted or altered' });
        }
        let expected: string;
        try {
          expected = canonicalJson(toFhirAuditEvent(record));
        } catch {
          fail({ line: lineNo, seq, message: 'the record cannot be mapped to a FHIR AuditEvent' });
        }
        if (!sameJson(obj.auditEvent, expected)) fail({ line: lineNo, seq, message: 'the FHIR AuditEvent does not match the sealed record: the AuditEvent was altered' });
        accumulator.append(leaf);
        prevChain = chain;
        nextSeq++;
        report.events++;
        continue;
      }

      if (obj.type === 'checkpoint') {
        const where = `checkpoint ${isInt(obj.tree_size) ? obj.tree_size : '?'}`;
        checkCheckpoint(obj, publicKeys, accumulator, b64(prevChain), (message) => fail({ line: lineNo, where, message }));
        if ((obj.tree_size as number) > manifest.to_seq + 1) fail({ line: lineNo, where, message: `the manifest ends at seq ${manifest.to_seq}: lines were appended` });
        keyIds.add(obj.key_id as string);
        report.checkpoints++;
        continue;
      }
      if (obj.type === EXPORT_TYPE) fail({ line: lineNo, message: 'a second manifest: two exports were joined or lines were appended' });
      fail({ line: lineNo, message: 'a line of unknown type: the file was edited' });
    }

    if (!manifest) fail({ line: 1, message: 'the file is empty' });
    const end = { line: lineNo + 1, where: 'end of file' };
    if (report.events < manifest.count) fail({ ...end, message: `the file ends after ${report.events} of the manifest's ${manifest.count} events: the tail was cut` });
    if (b64(prevChain) !== manifest.last_chain_hash) fail({ ...end, message: "the last chain hash is not the manifest's: the log was altered" });
    if (b64(accumulator.root()) !== manifest.root_hash) fail({ ...end, message: "the Merkle root of the events is not the manifest's: the log was altered" });
    if (report.checkpoints < manifest.checkpoints) fail({ ...end, message: `the file holds ${report.checkpoints} of the manifest's ${manifest.checkpoints} checkpoints: a checkpoint line was removed` });
    if (report.checkpoints > manifest.checkpoints) fail({ ...end, message: `the file holds ${report.checkpoints} checkpoints where the manifest lists ${manifest.checkpoints}: a checkpoint line was added` });
    report.ok = true;
  } catch (err) {
    if (err instanceof Stop) report.problems.push(err.problem);
    else if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES') throw err;
    else report.problems.push({ line: lineNo, ...(seqAt !== undefined ? { seq: seqAt } : {}), message: 'the line cannot be checked: the file was damaged or edited' });
  } finally {
    lines.close();
    input.destroy();
  }
  report.keyIds = [...keyIds];
  return report;
}

// Exports write canonical JSON, so the common case is one string comparison; a file re-serialized by another tool
// (other key order, escapes) is compared by value instead.
function sameJson(actual: unknown, expectedCanonical: string): boolean {
  try {
    return canonicalJson(actual as JsonValue) === expectedCanonical;
  } catch {
    return false;
  }
}

interface CheckedManifest {
  from_seq: number;
  to_seq: number;
  count: number;
  checkpoints: number;
  prev_chain_hash: string;
  last_chain_hash: string;
  root_hash: string;
  key_id: string;
  accumulator: MerkleAccumulator;
}

function checkManifest(obj: Record<string, unknown>, keys: ReadonlyMap<string, KeyObject>, line: number): CheckedManifest {
  const bad = (message: string): never => fail({ line, where: 'manifest', message });
  if (obj.type !== EXPORT_TYPE) bad('the first line is not a Vigil audit export manifest');
  if (obj.version !== EXPORT_VERSION) bad(`export version ${String(obj.version).slice(0, 10)} is not one this Vigil reads`);
  const { from_seq, to_seq, count, checkpoints, tree_size } = obj;
  if (!isInt(from_seq) || !isInt(to_seq, -1) || !isInt(count) || !isInt(checkpoints) || !isInt(tree_size)) return bad('a count or seq is missing or not a whole number');
  if (count !== to_seq - from_seq + 1 || tree_size !== to_seq + 1) bad('its counts do not add up: the manifest was edited');
  for (const name of ['prev_chain_hash', 'last_chain_hash', 'root_hash'] as const) if (typeof obj[name] !== 'string' || !HASH_B64.test(obj[name] as string)) bad(`${name} is not a base64 SHA-256 hash`);
  if (typeof obj.key_id !== 'string' || typeof obj.signature !== 'string') bad('it is not signed');
  const keyId = obj.key_id as string;
  const key = keys.get(keyId);
  if (!key) bad(`signed by key ${printable(keyId)}, which is not among the public keys given: the manifest was forged, or pass the right key file`);
  const { signature, ...unsigned } = obj;
  let message: Buffer;
  try {
    message = manifestMessage(unsigned as Record<string, JsonValue>);
  } catch {
    bad('it holds values that are not plain JSON');
  }
  if (!verifySignature(null, message!, key!, Buffer.from(signature as string, 'base64'))) bad(`its signature does not verify with key ${keyId}: the manifest was altered or forged`);
  let accumulator: MerkleAccumulator;
  try {
    accumulator = MerkleAccumulator.fromJSON(obj.frontier as MerkleAccumulatorState);
  } catch {
    bad('its Merkle frontier is malformed');
  }
  if (accumulator!.size !== from_seq) bad('its Merkle frontier does not end where the export starts');
  return {
    from_seq: from_seq as number,
    to_seq: to_seq as number,
    count: count as number,
    checkpoints: checkpoints as number,
    prev_chain_hash: obj.prev_chain_hash as string,
    last_chain_hash: obj.last_chain_hash as string,
    root_hash: obj.root_hash as string,
    key_id: keyId,
    accumulator: accumulator!,
  };
}

// Shared by the file and live checks: the checkpoint must sit where the tree has its size, carry the root and chain
// head recomputed from the leaves, and be signed by a known key over exactly those values.
function checkCheckpoint(
  c: Record<string, unknown>,
  keys: ReadonlyMap<string, KeyObject>,
  accumulator: { readonly size: number; root(): Buffer },
  chainB64: string,
  bad: (message: string) => void,
): void {
  const { tree_size, root_hash, chain_hash, issued_at, key_id, signature } = c;
  if (!isInt(tree_size, 1) || typeof root_hash !== 'string' || typeof chain_hash !== 'string' || typeof issued_at !== 'string' || typeof key_id !== 'string' || typeof signature !== 'string') {
    return bad('the checkpoint is missing a field');
  }
  if (tree_size !== accumulator.size) return bad(`the checkpoint is out of place (the tree has ${accumulator.size} events here): checkpoints or events were moved, inserted or removed`);
  const key = keys.get(key_id);
  if (!key) return bad(`signed by key ${printable(key_id)}, which is not among the public keys: the checkpoint was forged, or the key file is not this log's`);
  if (root_hash !== b64(accumulator.root())) return bad('the root hash does not match the events before it: the log was altered');
  if (chain_hash !== chainB64) return bad('the chain hash does not match the events before it: the log was altered');
  const issued = new Date(issued_at);
  if (Number.isNaN(issued.getTime()) || issued.toISOString() !== issued_at) return bad('issued_at is not a timestamp Vigil writes');
  const message = checkpointMessage({ treeSize: tree_size, rootHash: Buffer.from(root_hash, 'base64'), chainHash: Buffer.from(chain_hash, 'base64'), issuedAt: issued, keyId: key_id });
  if (!verifySignature(null, message, key, Buffer.from(signature, 'base64'))) return bad(`the signature does not verify with key ${key_id}: the checkpoint was altered or forged`);
}

function printable(text: string): string {
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(text) ? text : '(unprintable id)';
}

/** A checkpoint saved earlier from the API (GET /api/audit/checkpoints), in the shape the API lists it. */
export type WitnessCheckpoint = CheckpointView;

/** Reads witnessed checkpoints from JSON: one checkpoint, a list, or {checkpoints: [...]} as the API answers. */
export function parseWitnesses(text: string): WitnessCheckpoint[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AuditRecordError('the witness file is not JSON; save the answer of GET /api/audit/checkpoints/latest');
  }
  const list = Array.isArray(value) ? value : typeof value === 'object' && value !== null && Array.isArray((value as { checkpoints?: unknown }).checkpoints) ? (value as { checkpoints: unknown[] }).checkpoints : [value];
  return list.map((c) => {
    const w = c as Record<string, unknown>;
    if (!isInt(w.tree_size, 1) || typeof w.root_hash !== 'string' || typeof w.chain_hash !== 'string' || typeof w.issued_at !== 'string' || typeof w.key_id !== 'string' || typeof w.signature !== 'string') {
      throw new AuditRecordError('a witness checkpoint lacks tree_size, root_hash, chain_hash, issued_at, key_id or signature');
    }
    return w as unknown as WitnessCheckpoint;
  });
}

export interface LiveVerifyOptions {
  /** Pin the keys (PEM from `vigil audit public-key`, kept elsewhere); otherwise the keys in the database are used. */
  publicKeys?: ReadonlyMap<string, KeyObject>;
  /**
   * Checkpoints saved earlier outside the database (from /api/audit/checkpoints or an export): the log must still hold
   * each with the same root. Only such a witness shows a tail cut by someone who also removed its checkpoints.
   */
  witnesses?: readonly WitnessCheckpoint[];
  /** Pending events older than this are reported as a warning (the sealer is behind or not running). */
  pendingWarnAfterMs?: number;
  now?: () => Date;
}

const PAGE = 1000;

/**
 * The same checks against the database: every seal from 0 with its event re-hashed, every sealer state and checkpoint
 * recomputed, every signature; then events that are neither sealed nor waiting to be. Reports up to
 * {@link MAX_LIVE_PROBLEMS} problems, in seq order, so an investigator sees the extent of damage at once.
 */
export async function verifyLive(store: Store, options: LiveVerifyOptions = {}): Promise<VerifyReport> {
  const report: VerifyReport = { ok: false, events: 0, checkpoints: 0, fromSeq: 0, toSeq: -1, keyIds: [], problems: [], warnings: [] };
  const problem = (p: VerifyProblem) => {
    if (report.problems.length < MAX_LIVE_PROBLEMS) report.problems.push(p);
  };
  const keyIds = new Set<string>();

  let keys: ReadonlyMap<string, KeyObject>;
  if (options.publicKeys) {
    keys = options.publicKeys;
  } else {
    const found = new Map<string, KeyObject>();
    const rows = await store.db.selectFrom('signing_keys').select(['key_id', 'public_key_spki']).where('purpose', '=', 'audit').orderBy('created_at').execute();
    for (const row of rows) {
      let computed: string | undefined;
      try {
        const key = createPublicKey({ key: Buffer.from(row.public_key_spki), format: 'der', type: 'spki' });
        computed = signingKeyId(key);
        found.set(computed, key);
      } catch {
        computed = undefined;
      }
      if (computed !== row.key_id) problem({ where: `signing key ${printable(row.key_id)}`, message: 'its stored public key does not match its key id: the key was replaced' });
    }
    keys = found;
  }

  const witnesses = [...(options.witnesses ?? [])].sort((x, y) => x.tree_size - y.tree_size);
  const accumulator = new MerkleAccumulator();
  let chain = Buffer.alloc(32);
  let expectedSeq = 0;
  // A sealer may keep sealing while this runs: check the log as far as the sealer's state reached when we began.
  const startState = await store.db.selectFrom('audit.seal_batches').select((eb) => eb.fn.max('tree_size').as('size')).executeTakeFirst();
  const bound = Number(startState?.size ?? 0);
  const batches = pager(store, 'audit.seal_batches', bound);
  const checkpoints = pager(store, 'audit.checkpoints', bound);
  let batch = await batches.next();
  let checkpoint = await checkpoints.next();

  // States and checkpoints are checked when the walk reaches their tree size (including size 0 for malformed rows).
  const atSize = async () => {
    while (batch && Number(batch.tree_size) <= accumulator.size) {
      const size = Number(batch.tree_size);
      if (size === accumulator.size) {
        const saved = JSON.stringify(batch.frontier);
        if (saved !== JSON.stringify(accumulator.toJSON()) || !chain.equals(Buffer.from(batch.chain_hash))) {
          problem({ where: `sealer state ${size}`, message: 'it does not match the seals before it: the sealer state was altered' });
        }
      }
      batch = await batches.next();
    }
    while (witnesses[0] && witnesses[0].tree_size <= accumulator.size) {
      const w = witnesses.shift()!;
      if (w.tree_size === accumulator.size) {
        checkCheckpoint({ ...w }, keys, accumulator, b64(chain), (message) => problem({ where: `witnessed checkpoint ${w.tree_size}`, message: `${message} (the log no longer matches what was witnessed)` }));
      }
    }
    while (checkpoint && Number(checkpoint.tree_size) <= accumulator.size) {
      const c = checkpoint;
      const size = Number(c.tree_size);
      checkCheckpoint(
        { tree_size: size, root_hash: b64(c.root_hash), chain_hash: b64(c.chain_hash), issued_at: c.issued_at.toISOString(), key_id: c.key_id, signature: b64(c.signature) },
        keys,
        accumulator,
        b64(chain),
        (message) => problem({ where: `checkpoint ${size}`, message }),
      );
      keyIds.add(c.key_id);
      report.checkpoints++;
      checkpoint = await checkpoints.next();
    }
  };

  for (let cursor = 0; ; ) {
    const rows = await store.db
      .selectFrom('audit.seals as s')
      .leftJoin('audit.events as e', 'e.id', 's.event_id')
      .selectAll('e')
      .select(['s.seq', 's.event_id', 's.leaf_hash', 's.chain_hash', sql<string | null>`(extract(microseconds from e.recorded_at)::bigint % 1000)::text`.as('sub_ms')])
      .where('s.seq', '>=', String(cursor))
      .where('s.seq', '<', String(bound))
      .orderBy('s.seq')
      .limit(PAGE)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) {
        const gap = seq - expectedSeq === 1 ? `seal ${expectedSeq} is missing` : `seals ${expectedSeq} to ${seq - 1} are missing`;
        problem({ seq: expectedSeq, message: seq > expectedSeq ? `${gap}: events were deleted` : 'the seq repeats' });
      }
      const storedLeaf = Buffer.from(row.leaf_hash);
      if (row.id === null) {
        problem({ seq, message: 'the sealed event row is missing: it was deleted' });
      } else {
        const record = recordFromRow({ ...row, id: row.id } as Parameters<typeof recordFromRow>[0]);
        if (!leafHash(Buffer.from(canonicalRecordJson(record), 'utf8')).equals(storedLeaf)) problem({ seq, message: 'the event does not match its leaf hash: the event row was altered' });
        else if (row.sub_ms !== null && row.sub_ms !== '0') problem({ seq, message: 'recorded_at has sub-millisecond digits Vigil never writes: the event row was altered' });
      }
      // The tree and chain follow the stored leaf hashes, so one altered event is reported once, not at every
      // checkpoint after it; an altered seal breaks the chain at the next seq or the next signed root.
      const expectedChain = chainHash(chain, storedLeaf);
      if (!expectedChain.equals(Buffer.from(row.chain_hash))) problem({ seq, message: 'the chain hash does not follow from the previous seal: seals were altered, inserted or removed' });
      chain = Buffer.from(row.chain_hash);
      accumulator.append(storedLeaf);
      expectedSeq = seq + 1;
      report.events++;
      await atSize();
    }
    cursor = Number(rows.at(-1)!.seq) + 1;
  }
  report.toSeq = accumulator.size - 1;

  const claimed = Math.max(bound, Number(checkpoint?.tree_size ?? 0), witnesses.at(-1)?.tree_size ?? 0);
  if (claimed > expectedSeq) {
    problem({ where: 'end of log', message: `the sealer state or a checkpoint covers ${claimed} events but the log ends at ${expectedSeq}: the tail was cut` });
  }
  // One statement, one snapshot: the sealer writes seals, its state and checkpoints in one transaction, so seals or
  // checkpoints beyond its latest state were written by something else.
  const tops = await sql<{ seals: string | null; state: string | null; signed: string | null }>`
    select (select max(seq) + 1 from audit.seals) as seals,
           (select max(tree_size) from audit.seal_batches) as state,
           (select max(tree_size) from audit.checkpoints) as signed`.execute(store.db);
  const top = tops.rows[0];
  const state = Number(top?.state ?? 0);
  if (Number(top?.seals ?? 0) > state) problem({ seq: state, message: `seals from ${state} on are beyond the sealer's last saved state: they were inserted outside the sealer` });
  if (Number(top?.signed ?? 0) > state) problem({ where: `checkpoint ${top?.signed}`, message: "it is beyond the sealer's last saved state: it was inserted outside the sealer, or the state was removed" });

  const orphans = await store.db
    .selectFrom('audit.events as e')
    .select('e.id')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('audit.seals as s').select('s.seq').whereRef('s.event_id', '=', 'e.id'))))
    .where((eb) => eb.not(eb.exists(eb.selectFrom('audit.pending as p').select('p.event_id').whereRef('p.event_id', '=', 'e.id'))))
    .orderBy('e.recorded_at')
    .limit(MAX_LIVE_PROBLEMS)
    .execute();
  for (const o of orphans) problem({ where: `event ${o.id}`, message: 'it has neither a seal nor a pending row: it was inserted outside Vigil, or its seal was removed' });

  const doubled = await store.db
    .selectFrom('audit.pending as p')
    .innerJoin('audit.seals as s', 's.event_id', 'p.event_id')
    .select('p.event_id')
    .limit(MAX_LIVE_PROBLEMS)
    .execute();
  for (const d of doubled) problem({ where: `event ${d.event_id}`, message: 'it is sealed and still pending: the pending row was re-inserted' });

  const warnAfter = options.pendingWarnAfterMs ?? 60_000;
  const threshold = new Date((options.now ?? (() => new Date()))().getTime() - warnAfter);
  const late = await store.db
    .selectFrom('audit.pending')
    .select([(eb) => eb.fn.countAll<string>().as('n'), (eb) => eb.fn.min('recorded_at').as('oldest')])
    .where('recorded_at', '<', threshold)
    .executeTakeFirst();
  if (late && Number(late.n) > 0) {
    report.warnings.push(`${late.n} event(s) have waited more than ${Math.round(warnAfter / 1000)} s to be sealed (oldest recorded ${new Date(late.oldest as unknown as Date).toISOString()}): is a worker process running?`);
  }

  report.keyIds = [...keyIds];
  report.ok = report.problems.length === 0;
  return report;
}

type PagedRow<T extends 'audit.seal_batches' | 'audit.checkpoints'> = T extends 'audit.seal_batches'
  ? { tree_size: string; frontier: unknown; chain_hash: Uint8Array }
  : { tree_size: string; root_hash: Uint8Array; chain_hash: Uint8Array; issued_at: Date; key_id: string; signature: Uint8Array };

// Reads a table ordered by tree_size a page at a time: a years-old log has a sealer state row per batch.
function pager<T extends 'audit.seal_batches' | 'audit.checkpoints'>(store: Store, table: T, upTo: number): { next(): Promise<PagedRow<T> | undefined> } {
  let buffer: PagedRow<T>[] = [];
  let after = -1;
  let done = false;
  return {
    async next() {
      if (buffer.length === 0 && !done) {
        const rows = (await store.db
          .selectFrom(table as 'audit.checkpoints')
          .selectAll()
          .where('tree_size', '>', String(after))
          .where('tree_size', '<=', String(upTo))
          .orderBy('tree_size')
          .limit(PAGE)
          .execute()) as unknown as PagedRow<T>[];
        if (rows.length < PAGE) done = true;
        if (rows.length > 0) after = Number(rows.at(-1)!.tree_size);
        buffer = rows;
      }
      return buffer.shift();
    },
  };
}
