import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Merkle trees as RFC 6962 §2.1 / RFC 9162 §2.1 define them: the log of a node's sealed ledger blocks
 * (docs/FEDERATION.md, "Ledger witnessing"). Every function is pure; hashes are 32-byte SHA-256.
 *
 * Domain separation is what makes the tree safe: a leaf hashes `0x00 || data`, an inner node
 * `0x01 || left || right`, so no leaf can pass for an inner node (second-preimage attacks).
 *
 * Sizes and indexes are plain numbers up to 2^53 − 1. The verification algorithms shift sizes right;
 * JavaScript's bit operators work on 32 bits, so they are written with division, never `>>`.
 */

export const HASH_BYTES = 32;

/** The root of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Uint8Array = sha256();

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, data);
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** Constant-time comparison of two hashes (false when the lengths differ). */
export function hashesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The largest power of two strictly smaller than n (n ≥ 2): where RFC 6962 splits a tree. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function checkSize(name: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer in 0..${max}, got ${value}`);
  }
}

/**
 * MTH(D[n]): the root hash of the tree made of the first `size` leaves, given their leaf hashes
 * (`leafHash` of each leaf's data). `size` defaults to every leaf given.
 */
export function treeHash(leafHashes: readonly Uint8Array[], size: number = leafHashes.length): Uint8Array {
  checkSize('size', size, leafHashes.length);
  if (size === 0) return EMPTY_ROOT;
  return subtreeHash(leafHashes, 0, size);
}

/** MTH of leaves [start, end), end > start. Recursion depth is log2 of the size. */
function subtreeHash(leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) return leaves[start]!;
  const k = splitPoint(n);
  return nodeHash(subtreeHash(leaves, start, start + k), subtreeHash(leaves, start + k, end));
}

/**
 * PATH(m, D[n]) (RFC 9162 §2.1.3.1): the audit path proving that leaf `index` is in the tree of the
 * first `size` leaves, from the leaf up.
 */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number, size: number): Uint8Array[] {
  checkSize('size', size, leafHashes.length);
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`index must be in 0..${size - 1}, got ${index}`);
  }
  return path(leafHashes, index, 0, size);
}

function path(leaves: readonly Uint8Array[], m: number, start: number, end: number): Uint8Array[] {
  const n = end - start;
  if (n === 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...path(leaves, m, start, start + k), subtreeHash(leaves, start + k, end)];
  return [...path(leaves, m - k, start + k, end), subtreeHash(leaves, start, start + k)];
}

/**
 * PROOF(m, D[n]) (RFC 9162 §2.1.4.1): the consistency proof that the tree of the first `oldSize`
 * leaves is a prefix of the tree of the first `newSize`. Empty when oldSize is 0 or equals newSize
 * (what C2SP tlog-witness sends in those cases).
 */
export function consistencyProof(leafHashes: readonly Uint8Array[], oldSize: number, newSize: number): Uint8Array[] {
  checkSize('newSize', newSize, leafHashes.length);
  checkSize('oldSize', oldSize, newSize);
  if (oldSize === 0 || oldSize === newSize) return [];
  return subproof(leafHashes, oldSize, 0, newSize, true);
}

function subproof(leaves: readonly Uint8Array[], m: number, start: number, end: number, whole: boolean): Uint8Array[] {
  const n = end - start;
  if (m === n) return whole ? [] : [subtreeHash(leaves, start, end)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(leaves, m, start, start + k, whole), subtreeHash(leaves, start + k, end)];
  return [...subproof(leaves, m - k, start + k, end, false), subtreeHash(leaves, start, start + k)];
}

const isOdd = (x: number) => x % 2 === 1;
const half = (x: number) => Math.floor(x / 2);

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2, steps 1–4), or null when the proof has
 * the wrong shape for (index, size): too short, too long, index out of range.
 */
export function rootFromInclusionProof(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
): Uint8Array | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== HASH_BYTES || sn === 0) return null;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

/** RFC 9162 §2.1.3.2: does `proof` show that `leaf` (a leaf hash) is at `index` in the tree `root` of `size`? */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const reached = rootFromInclusionProof(leaf, index, size, proof);
  return reached !== null && hashesEqual(reached, root);
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree (oldSize, oldRoot) is a prefix of the tree
 * (newSize, newRoot)? Edge cases as C2SP tlog-witness uses them: from size 0 any tree extends the
 * empty one and the proof must be empty; for equal sizes the proof must be empty and the roots equal.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize < 0 || oldSize > newSize) {
    return false;
  }
  if (proof.some((p) => p.length !== HASH_BYTES)) return false;
  if (oldSize === 0) return proof.length === 0;
  if (oldSize === newSize) return proof.length === 0 && hashesEqual(oldRoot, newRoot);
  if (proof.length === 0) return false;
  // Step 2: when the old tree is a complete subtree, its root is the proof's implicit first node.
  const roots = rootsFromConsistencyPath(oldSize, newSize, isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof);
  return roots !== null && hashesEqual(roots.oldRoot, oldRoot) && hashesEqual(roots.newRoot, newRoot);
}

/**
 * RFC 9162 §2.1.4.2 steps 3–7 without the final comparison: the two roots a consistency path
 * (0 < oldSize < newSize) leads to, or null when its shape is wrong. `path` is the proof with its
 * first node explicit — for an old size that is a power of two, the old tree's own root first.
 *
 * Separated from verifyConsistency for equivocation evidence: a path whose new root is the log's
 * signed root makes its old root the true root of the first oldSize leaves of that signed tree; if
 * that differs from the log's signed checkpoint of oldSize, the log signed two inconsistent trees.
 */
export function rootsFromConsistencyPath(
  oldSize: number,
  newSize: number,
  path: readonly Uint8Array[],
): { oldRoot: Uint8Array; newRoot: Uint8Array } | null {
  if (!Number.isSafeInteger(oldSize) || !Number.isSafeInteger(newSize) || oldSize <= 0 || oldSize >= newSize) {
    return null;
  }
  if (path.length === 0 || path.some((p) => p.length !== HASH_BYTES)) return null;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return null;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? { oldRoot: fr, newRoot: sr } : null;
}

/**
 * The consistency path from oldSize to newSize (0 < oldSize < newSize) with its first node explicit:
 * PROOF(m, D[n]), preceded by MTH(D[0:m]) when m is a power of two.
 */
export function consistencyPath(leafHashes: readonly Uint8Array[], oldSize: number, newSize: number): Uint8Array[] {
  const proof = consistencyProof(leafHashes, oldSize, newSize);
  if (oldSize === 0 || oldSize === newSize) throw new RangeError('a consistency path needs 0 < oldSize < newSize');
  return isPowerOfTwo(oldSize) ? [treeHash(leafHashes, oldSize), ...proof] : proof;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}
