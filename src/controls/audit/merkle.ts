/**
 * Merkle trees as Certificate Transparency defines them (RFC 6962 section 2.1, restated in RFC 9162 section 2.1).
 *
 * The audit log seals events in sequence into one of these trees and signs checkpoints of (tree size, root hash).
 * Inclusion proofs show an event is in a checkpoint; consistency proofs show a later checkpoint only appended to an
 * earlier one. Following the RFCs exactly means anyone can check our proofs with an off-the-shelf CT verifier.
 *
 * Proof generation works on the full list of leaf hashes and throws on misuse (it is our own code asking). Proof
 * verification takes whatever a stranger hands it, so it never throws: anything malformed simply does not verify.
 */
import { createHash } from 'node:crypto';
import { InvariantError } from '../../errors.ts';

/** Size in bytes of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

// Distinct prefixes stop an interior node from being presented as a leaf (a second-preimage attack on the tree).
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

const EMPTY_ROOT = createHash('sha256').digest();

// A proof needs at most about one hash per level and sizes stay below 2^53, so anything longer is garbage. Rejecting it
// before looking at the entries keeps hostile input from costing more than a length check.
const MAX_PROOF_LENGTH = 64;

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** RFC 6962 interior node hash: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The Merkle Tree Hash (MTH) of a list of leaf hashes; the empty list gives SHA-256 of the empty string. */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Buffer {
  assertLeafHashes(leafHashes);
  if (leafHashes.length === 0) return Buffer.from(EMPTY_ROOT);
  return subtreeRoot(leafHashes, 0, leafHashes.length);
}

/** The audit path (RFC 6962 2.1.1) proving leaf `index` is in the tree of all of `leafHashes`, leaf side first. */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Buffer[] {
  assertLeafHashes(leafHashes);
  if (!isSize(index) || index >= leafHashes.length) {
    throw new RangeError(`Leaf index ${index} is outside a tree of ${leafHashes.length} leaves.`);
  }
  const proof: Buffer[] = [];
  collectPath(leafHashes, index, 0, leafHashes.length, proof);
  return proof;
}

/**
 * Checks that `leafHash` is leaf `index` of the tree of `treeSize` leaves whose root is `root` (RFC 9162 2.1.3.2).
 * Returns false, never throws, on any malformed input.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isHash(leafHash) || !isHash(root) || !isProof(proof)) return false;
  if (!isSize(index) || !isSize(treeSize) || index >= treeSize) return false;

  // fn walks up from the leaf and sn from the last leaf; where they meet is the root of the smallest subtree holding
  // both, which tells whether the next proof hash sits to our left or right.
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // On the right edge an unbalanced tree has no sibling at some levels: skip them.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameBytes(r, root);
}

/**
 * The consistency proof (RFC 6962 2.1.2) that the tree of the first `oldSize` leaves is a prefix of the tree of all
 * of `leafHashes`. Empty when the sizes are equal. A proof from the empty tree is not defined, so `oldSize` must be ≥ 1.
 */
export function consistencyProof(leafHashes: readonly Uint8Array[], oldSize: number): Buffer[] {
  assertLeafHashes(leafHashes);
  if (!isSize(oldSize) || oldSize < 1 || oldSize > leafHashes.length) {
    throw new RangeError(`Old tree size ${oldSize} must be from 1 to the new size ${leafHashes.length}.`);
  }
  const proof: Buffer[] = [];
  collectSubproof(leafHashes, oldSize, 0, leafHashes.length, true, proof);
  return proof;
}

/**
 * Checks that the tree of `newSize` leaves with root `newRoot` extends the tree of `oldSize` leaves with root
 * `oldRoot` (RFC 9162 2.1.4.2). Equal sizes need an empty proof and equal roots. `oldSize` 0 is not defined by the
 * RFC and returns false. Returns false, never throws, on any malformed input.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isHash(oldRoot) || !isHash(newRoot) || !isProof(proof)) return false;
  if (!isSize(oldSize) || !isSize(newSize) || oldSize < 1 || oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && sameBytes(oldRoot, newRoot);

  // When the old tree is a perfect subtree of the new one the prover leaves out its root, since we already hold it.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof;
  const [seed, ...rest] = path;
  if (seed === undefined) return false;

  let fn = oldSize - 1;
  let sn = newSize - 1;
  // Levels where the old tree's last leaf is a right child are inside the seed subtree: the proof starts above them.
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // Rebuild both roots at once: hashes to our left belong to both trees, hashes to our right only to the new one.
  let fr: Uint8Array = seed;
  let sr: Uint8Array = seed;
  for (const c of rest) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameBytes(fr, oldRoot) && sameBytes(sr, newRoot);
}

/** The saved form of a {@link MerkleAccumulator}: its leaf count and right frontier, largest subtree first, in hex. */
export interface MerkleAccumulatorState {
  size: number;
  frontier: string[];
}

/**
 * An append-only Merkle tree that remembers only the roots of its perfect subtrees (the "right frontier"), which is
 * all the sealer needs for the next root. O(log n) memory and O(log n) per append; `root()` always equals
 * {@link rootFromLeafHashes} over every leaf appended so far.
 */
export class MerkleAccumulator {
  #size = 0;
  // The RFC's split at the largest power of two cuts the tree into perfect subtrees whose sizes are the set bits of
  // the leaf count, largest (leftmost) first, so appending behaves like binary increment at the small end.
  readonly #frontier: Buffer[] = [];

  /** Number of leaves appended. */
  get size(): number {
    return this.#size;
  }

  /** Adds the next leaf, given as its leaf hash (see {@link leafHash}). */
  append(leafHash: Uint8Array): void {
    if (!isHash(leafHash)) throw new RangeError(`A leaf hash must be ${HASH_SIZE} bytes.`);
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new RangeError('The tree is full.');
    let carry: Buffer = Buffer.from(leafHash);
    // Each trailing 1 bit of the size is a perfect subtree as tall as the carry, so the two merge into one.
    for (let s = this.#size; isOdd(s); s = half(s)) {
      const left = this.#frontier.pop();
      if (left === undefined) throw new InvariantError('MerkleAccumulator frontier does not match its size.');
      carry = nodeHash(left, carry);
    }
    this.#frontier.push(carry);
    this.#size += 1;
  }

  /** The root hash of the tree of every leaf appended so far. */
  root(): Buffer {
    if (this.#frontier.length === 0) return Buffer.from(EMPTY_ROOT);
    // MTH(D[n]) = node(largest perfect subtree, MTH(rest)), so the frontier folds up from the right.
    return Buffer.from(this.#frontier.reduceRight((right, left) => nodeHash(left, right)));
  }

  /** The state to persist so the sealer can resume with {@link MerkleAccumulator.fromJSON}. */
  toJSON(): MerkleAccumulatorState {
    return { size: this.#size, frontier: this.#frontier.map((h) => h.toString('hex')) };
  }

  /** Restores a saved accumulator; throws if the state is malformed or its frontier does not fit its size. */
  static fromJSON(state: MerkleAccumulatorState): MerkleAccumulator {
    // The state comes back from disk, so check its shape rather than trust the type.
    const { size, frontier } = (state ?? {}) as Partial<MerkleAccumulatorState>;
    if (typeof size !== 'number' || !isSize(size)) {
      throw new RangeError('Saved Merkle accumulator has no valid size.');
    }
    if (!Array.isArray(frontier) || frontier.length !== bitCount(size)) {
      throw new RangeError(`Saved Merkle accumulator of size ${size} must have ${bitCount(size)} frontier hashes.`);
    }
    const accumulator = new MerkleAccumulator();
    for (const hex of frontier) {
      if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/i.test(hex)) {
        throw new RangeError('Saved Merkle accumulator frontier hashes must be 64 hex digits.');
      }
      accumulator.#frontier.push(Buffer.from(hex, 'hex'));
    }
    accumulator.#size = size;
    return accumulator;
  }
}

// MTH of leaves [lo, hi), hi > lo, split as the RFC says: the left part is the largest power of two below the count.
function subtreeRoot(leafHashes: readonly Uint8Array[], lo: number, hi: number): Buffer {
  if (hi - lo === 1) return Buffer.from(hashAt(leafHashes, lo));
  const mid = lo + splitPoint(hi - lo);
  return nodeHash(subtreeRoot(leafHashes, lo, mid), subtreeRoot(leafHashes, mid, hi));
}

// PATH(m, D[lo:hi]) with `index` counted from 0 of the whole list.
function collectPath(leafHashes: readonly Uint8Array[], index: number, lo: number, hi: number, out: Buffer[]): void {
  if (hi - lo === 1) return;
  const mid = lo + splitPoint(hi - lo);
  if (index < mid) {
    collectPath(leafHashes, index, lo, mid, out);
    out.push(subtreeRoot(leafHashes, mid, hi));
  } else {
    collectPath(leafHashes, index, mid, hi, out);
    out.push(subtreeRoot(leafHashes, lo, mid));
  }
}

// SUBPROOF(m, D[lo:hi], b) with `oldCount` = m leaves counted from lo. `onLeftEdge` is the RFC's b: while it holds,
// the subtree that is entirely old is the whole old tree, whose root the verifier already has, so it is left out.
function collectSubproof(
  leafHashes: readonly Uint8Array[],
  oldCount: number,
  lo: number,
  hi: number,
  onLeftEdge: boolean,
  out: Buffer[],
): void {
  if (oldCount === hi - lo) {
    if (!onLeftEdge) out.push(subtreeRoot(leafHashes, lo, hi));
    return;
  }
  const k = splitPoint(hi - lo);
  if (oldCount <= k) {
    collectSubproof(leafHashes, oldCount, lo, lo + k, onLeftEdge, out);
    out.push(subtreeRoot(leafHashes, lo + k, hi));
  } else {
    collectSubproof(leafHashes, oldCount - k, lo + k, hi, false, out);
    out.push(subtreeRoot(leafHashes, lo, lo + k));
  }
}

// The largest power of two strictly smaller than n (n ≥ 2).
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// Tree sizes may pass 2^32, beyond JavaScript's 32-bit bitwise operators, so bits are handled with arithmetic.
function isOdd(n: number): boolean {
  return n % 2 === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

function isPowerOfTwo(n: number): boolean {
  let m = n;
  while (m > 1 && !isOdd(m)) m = half(m);
  return m === 1;
}

function bitCount(n: number): number {
  let count = 0;
  for (let m = n; m > 0; m = half(m)) count += m % 2;
  return count;
}

function isSize(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

function isProof(proof: unknown): proof is readonly Uint8Array[] {
  return Array.isArray(proof) && proof.length <= MAX_PROOF_LENGTH && proof.every(isHash);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function hashAt(leafHashes: readonly Uint8Array[], i: number): Uint8Array {
  const hash = leafHashes[i];
  if (hash === undefined) throw new RangeError(`No leaf hash at index ${i}.`);
  return hash;
}

function assertLeafHashes(leafHashes: readonly Uint8Array[]): void {
  if (!leafHashes.every(isHash)) throw new RangeError(`Every leaf hash must be ${HASH_SIZE} bytes.`);
}
