import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  HASH_SIZE,
  MerkleAccumulator,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';

// Hashing written out here, independently of the module, so the known answers do not share its code.
const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const part of parts) h.update(part);
  return h.digest();
};
const leaf = (data: Uint8Array): Buffer => sha256(Uint8Array.of(0), data);
const node = (left: Uint8Array, right: Uint8Array): Buffer => sha256(Uint8Array.of(1), left, right);

const MAX = 40;
// Distinct, deterministic leaves: event i is the text "event i".
const LEAVES = Array.from({ length: 200 }, (_, i) => leaf(Buffer.from(`event ${i}`)));

// A copy of `bytes` with bit 0 of byte `at` flipped.
function flipped(bytes: Uint8Array, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at % copy.length]! ^= 1;
  return copy;
}

// A copy of `proof` with entry `i` corrupted at byte `at`.
function tamperedProof(proof: readonly Uint8Array[], i: number, at: number): Buffer[] {
  return proof.map((h, j) => (j === i ? flipped(h, at) : Buffer.from(h)));
}

test('the empty tree hashes to SHA-256 of the empty string', () => {
  const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  assert.equal(rootFromLeafHashes([]).toString('hex'), empty);
  assert.equal(new MerkleAccumulator().root().toString('hex'), empty);
});

test('leaf and node hashes use the RFC 6962 0x00 and 0x01 prefixes', () => {
  const data = Buffer.from('hello');
  assert.deepEqual(leafHash(data), leaf(data));
  assert.deepEqual(leafHash(new Uint8Array()), sha256(Uint8Array.of(0)));
  const [a, b] = [leaf(Buffer.from('a')), leaf(Buffer.from('b'))];
  assert.deepEqual(nodeHash(a, b), sha256(Buffer.concat([Buffer.of(1), a, b])));
});

test('roots match the 8-leaf vectors published with Certificate Transparency implementations', () => {
  const data = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
  const roots = [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ];
  const hashes = data.map((hex) => leafHash(Buffer.from(hex, 'hex')));
  roots.forEach((root, i) => assert.equal(rootFromLeafHashes(hashes.slice(0, i + 1)).toString('hex'), root));
});

// The 7-leaf example tree drawn in RFC 6962 section 2.1.3, built by hand:
//            hash
//           /    \
//          k      l
//         / \    / \
//        g   h  i   j
//       / \ / \ / \  |
//       a b c d e f  d6
const [a, b, c, d, e, f, j] = LEAVES.slice(0, 7) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
const g = node(a, b);
const h = node(c, d);
const i = node(e, f);
const k = node(g, h);
const l = node(i, j);
const RFC_TREE = LEAVES.slice(0, 7);

test('small roots equal the trees built by hand', () => {
  assert.deepEqual(rootFromLeafHashes([a]), a);
  assert.deepEqual(rootFromLeafHashes([a, b]), g);
  assert.deepEqual(rootFromLeafHashes([a, b, c]), node(g, c));
  assert.deepEqual(rootFromLeafHashes([a, b, c, d]), k);
  assert.deepEqual(rootFromLeafHashes([a, b, c, d, e]), node(k, e));
  assert.deepEqual(rootFromLeafHashes([a, b, c, d, e, f]), node(k, i));
  assert.deepEqual(rootFromLeafHashes(RFC_TREE), node(k, l));
});

test('audit paths match the RFC 6962 examples', () => {
  assert.deepEqual(inclusionProof(RFC_TREE, 0), [b, h, l]);
  assert.deepEqual(inclusionProof(RFC_TREE, 3), [c, g, l]);
  assert.deepEqual(inclusionProof(RFC_TREE, 4), [f, j, k]);
  assert.deepEqual(inclusionProof(RFC_TREE, 6), [i, k]);
  assert.deepEqual(inclusionProof([a], 0), []);
});

test('consistency proofs match the RFC 6962 examples', () => {
  assert.deepEqual(consistencyProof(RFC_TREE, 3), [c, d, g, l]);
  assert.deepEqual(consistencyProof(RFC_TREE, 4), [l]);
  assert.deepEqual(consistencyProof(RFC_TREE, 6), [i, j, k]);
  assert.deepEqual(consistencyProof(RFC_TREE, 7), []);
  const root = node(k, l);
  assert.ok(verifyConsistency(3, 7, node(g, c), root, [c, d, g, l]));
  assert.ok(verifyConsistency(4, 7, k, root, [l]));
  assert.ok(verifyConsistency(6, 7, node(k, i), root, [i, j, k]));
});

test('every inclusion proof in trees of 1 to 40 leaves verifies, and fails once anything is altered', () => {
  for (let n = 1; n <= MAX; n++) {
    const tree = LEAVES.slice(0, n);
    const root = rootFromLeafHashes(tree);
    const otherRoot = rootFromLeafHashes(LEAVES.slice(0, n + 1));
    for (let m = 0; m < n; m++) {
      const proof = inclusionProof(tree, m);
      const target = tree[m]!;
      assert.ok(verifyInclusion(target, m, n, proof, root), `leaf ${m} of ${n}`);

      // One byte per entry, the position varying across the run; every position is covered exhaustively below.
      proof.forEach((_, p) => assert.equal(verifyInclusion(target, m, n, tamperedProof(proof, p, m + p * 7), root), false));
      assert.equal(verifyInclusion(flipped(target, m), m, n, proof, root), false);
      assert.equal(verifyInclusion(LEAVES[n]!, m, n, proof, root), false);
      assert.equal(verifyInclusion(target, m, n, proof, flipped(root, n)), false);
      assert.equal(verifyInclusion(target, m, n, proof, otherRoot), false);
      for (let other = 0; other < n; other++) {
        if (other !== m) assert.equal(verifyInclusion(target, other, n, proof, root), false, `leaf ${m} as ${other} of ${n}`);
      }
      assert.equal(verifyInclusion(target, n, n, proof, root), false);
      if (proof.length > 0) assert.equal(verifyInclusion(target, m, n, proof.slice(0, -1), root), false);
      assert.equal(verifyInclusion(target, m, n, [...proof, root], root), false);
      assert.equal(verifyInclusion(target, m, n, [root, ...proof], root), false);
    }
  }
});

test('changing any single byte of an inclusion proof, leaf or root makes it fail', () => {
  const n = 37;
  const tree = LEAVES.slice(0, n);
  const root = rootFromLeafHashes(tree);
  for (const m of [0, 18, 31, 32, 36]) {
    const proof = inclusionProof(tree, m);
    for (let at = 0; at < HASH_SIZE; at++) {
      proof.forEach((_, p) => assert.equal(verifyInclusion(tree[m]!, m, n, tamperedProof(proof, p, at), root), false));
      assert.equal(verifyInclusion(flipped(tree[m]!, at), m, n, proof, root), false);
      assert.equal(verifyInclusion(tree[m]!, m, n, proof, flipped(root, at)), false);
    }
  }
});

test('every consistency proof between trees of 1 to 40 leaves verifies, and fails once anything is altered', () => {
  const roots = Array.from({ length: MAX + 1 }, (_, n) => rootFromLeafHashes(LEAVES.slice(0, n)));
  for (let n = 1; n <= MAX; n++) {
    const tree = LEAVES.slice(0, n);
    const newRoot = roots[n]!;
    for (let m = 1; m <= n; m++) {
      const oldRoot = roots[m]!;
      const proof = consistencyProof(tree, m);
      assert.ok(verifyConsistency(m, n, oldRoot, newRoot, proof), `${m} to ${n}`);

      proof.forEach((_, p) => assert.equal(verifyConsistency(m, n, oldRoot, newRoot, tamperedProof(proof, p, m + n + p)), false));
      assert.equal(verifyConsistency(m, n, flipped(oldRoot, n), newRoot, proof), false);
      assert.equal(verifyConsistency(m, n, oldRoot, flipped(newRoot, m), proof), false);
      if (proof.length > 0) {
        assert.equal(verifyConsistency(m, n, oldRoot, newRoot, proof.slice(0, -1)), false);
        assert.equal(verifyConsistency(m, n, oldRoot, newRoot, proof.slice(1)), false);
      }
      assert.equal(verifyConsistency(m, n, oldRoot, newRoot, [...proof, newRoot]), false);
      if (m > 1) assert.equal(verifyConsistency(m - 1, n, oldRoot, newRoot, proof), false);
      if (m < n) {
        assert.equal(verifyConsistency(m, n, roots[m + 1]!, newRoot, proof), false);
        assert.equal(verifyConsistency(m, n, oldRoot, roots[n - 1]!, proof), false);
        assert.equal(verifyConsistency(m, n, oldRoot, newRoot, []), false);
      }
    }
  }
});

test('a log that rewrote an old event cannot prove its new tree consistent with the old checkpoint', () => {
  for (let n = 2; n <= MAX; n++) {
    for (let m = 1; m < n; m++) {
      const oldRoot = rootFromLeafHashes(LEAVES.slice(0, m));
      const honestProof = consistencyProof(LEAVES.slice(0, n), m);
      // Rewrite the first, a middle and the last event the old checkpoint covered.
      for (const victim of new Set([0, Math.floor(m / 2), m - 1])) {
        const forged = LEAVES.slice(0, n);
        forged[victim] = leaf(Buffer.from(`forged ${victim}`));
        const forgedRoot = rootFromLeafHashes(forged);
        assert.equal(verifyConsistency(m, n, oldRoot, forgedRoot, consistencyProof(forged, m)), false, `${victim} < ${m} < ${n}`);
        assert.equal(verifyConsistency(m, n, oldRoot, forgedRoot, honestProof), false);
      }
    }
  }
});

test('equal sizes are consistent only with an empty proof and equal roots', () => {
  const root = rootFromLeafHashes(LEAVES.slice(0, 5));
  assert.ok(verifyConsistency(5, 5, root, Buffer.from(root), []));
  assert.equal(verifyConsistency(5, 5, root, flipped(root, 0), []), false);
  assert.equal(verifyConsistency(5, 5, root, root, [root]), false);
  assert.ok(verifyConsistency(1, 1, LEAVES[0]!, LEAVES[0]!, []));
});

test('a consistency proof from the empty tree is undefined: never verifies and cannot be requested', () => {
  const empty = rootFromLeafHashes([]);
  assert.equal(verifyConsistency(0, 0, empty, empty, []), false);
  assert.equal(verifyConsistency(0, 3, empty, rootFromLeafHashes(LEAVES.slice(0, 3)), []), false);
  assert.throws(() => consistencyProof(LEAVES.slice(0, 3), 0), RangeError);
});

test('malformed input makes verification return false, never throw', () => {
  const tree = LEAVES.slice(0, 6);
  const root = rootFromLeafHashes(tree);
  const proof = inclusionProof(tree, 2);
  const target = tree[2]!;
  const garbage = (value: unknown) => value as Uint8Array[];
  const short = target.subarray(0, HASH_SIZE - 1);
  const long = Buffer.concat([target, Buffer.of(0)]);

  for (const bad of [-1, 1.5, NaN, Infinity, 6, 7, 2 ** 53]) assert.equal(verifyInclusion(target, bad, 6, proof, root), false);
  for (const bad of [0, 2, -6, NaN, 2 ** 60]) assert.equal(verifyInclusion(target, 2, bad, proof, root), false);
  assert.equal(verifyInclusion(short, 2, 6, proof, root), false);
  assert.equal(verifyInclusion(target, 2, 6, proof, long), false);
  assert.equal(verifyInclusion(target, 2, 6, [...proof.slice(1), short], root), false);
  assert.equal(verifyInclusion(target, 2, 6, garbage([proof[0], null, proof[2]]), root), false);
  assert.equal(verifyInclusion(target, 2, 6, garbage(null), root), false);
  assert.equal(verifyInclusion(target, 2, 6, garbage('proof'), root), false);
  assert.equal(verifyInclusion(target, 2, 6, Array.from({ length: 100_000 }, () => target), root), false);
  assert.equal(verifyInclusion(garbage(undefined) as unknown as Uint8Array, 2, 6, proof, root), false);

  const oldRoot = rootFromLeafHashes(tree.slice(0, 3));
  const cproof = consistencyProof(tree, 3);
  assert.ok(verifyConsistency(3, 6, oldRoot, root, cproof));
  assert.equal(verifyConsistency(6, 3, root, oldRoot, cproof), false);
  for (const bad of [-3, 3.5, NaN, Infinity]) {
    assert.equal(verifyConsistency(bad, 6, oldRoot, root, cproof), false);
    assert.equal(verifyConsistency(3, bad, oldRoot, root, cproof), false);
  }
  assert.equal(verifyConsistency(3, 6, short, root, cproof), false);
  assert.equal(verifyConsistency(3, 6, oldRoot, long, cproof), false);
  assert.equal(verifyConsistency(3, 6, oldRoot, root, garbage([cproof[0], 42])), false);
  assert.equal(verifyConsistency(3, 6, oldRoot, root, garbage(undefined)), false);
  assert.equal(verifyConsistency(3, 6, oldRoot, root, Array.from({ length: 100_000 }, () => root)), false);
  assert.equal(verifyConsistency(3, 2 ** 60, oldRoot, root, cproof), false);
});

test('proof generation rejects requests outside the tree', () => {
  const tree = LEAVES.slice(0, 4);
  assert.throws(() => inclusionProof(tree, 4), RangeError);
  assert.throws(() => inclusionProof(tree, -1), RangeError);
  assert.throws(() => inclusionProof([], 0), RangeError);
  assert.throws(() => consistencyProof(tree, 5), RangeError);
  assert.throws(() => rootFromLeafHashes([Buffer.alloc(31)]), RangeError);
});

test('the accumulator root equals the batch root at every size from 0 to 200, also after a save and restore', () => {
  const live = new MerkleAccumulator();
  let resumed = new MerkleAccumulator();
  for (let n = 0; n <= LEAVES.length; n++) {
    const expected = rootFromLeafHashes(LEAVES.slice(0, n));
    assert.equal(live.size, n);
    assert.deepEqual(live.root(), expected, `size ${n}`);

    // Restart from disk before every append, as a sealer that crashes after each event would.
    resumed = MerkleAccumulator.fromJSON(JSON.parse(JSON.stringify(resumed)));
    assert.equal(resumed.size, n);
    assert.deepEqual(resumed.root(), expected, `restored size ${n}`);
    assert.deepEqual(resumed.toJSON(), live.toJSON());

    const next = LEAVES[n];
    if (next) {
      live.append(next);
      resumed.append(next);
    }
  }
  // Only the frontier is kept: one hash per set bit of the size (200 = 0b11001000).
  assert.equal(live.toJSON().frontier.length, 3);
});

test('the accumulator does not share buffers with its callers', () => {
  const acc = new MerkleAccumulator();
  const input = Buffer.from(LEAVES[0]!);
  acc.append(input);
  input.fill(0);
  acc.root().fill(0);
  assert.deepEqual(acc.root(), LEAVES[0]);
});

test('the accumulator rejects bad leaves and inconsistent saved state', () => {
  assert.throws(() => new MerkleAccumulator().append(Buffer.alloc(31)), RangeError);
  const hex = LEAVES[0]!.toString('hex');
  const bad: unknown[] = [
    null,
    {},
    { size: -1, frontier: [] },
    { size: 1.5, frontier: [hex] },
    { size: 3, frontier: [hex] },
    { size: 2, frontier: [hex, hex] },
    { size: 1, frontier: ['zz'.repeat(32)] },
    { size: 1, frontier: [hex.slice(2)] },
    { size: 1, frontier: [7] },
    { size: '1', frontier: [hex] },
  ];
  for (const state of bad) {
    assert.throws(() => MerkleAccumulator.fromJSON(state as never), RangeError, JSON.stringify(state));
  }
  assert.deepEqual(MerkleAccumulator.fromJSON({ size: 1, frontier: [hex.toUpperCase()] }).root(), LEAVES[0]);
});
