import { openCheckpoint, type Checkpoint } from './checkpoint.ts';
import { consistencyPath, hashesEqual, rootsFromConsistencyPath, treeHash } from './merkle.ts';
import { decodeBase64Strict, type NoteVerifier } from './signedNote.ts';
import { TlogError } from './tlogError.ts';

/**
 * Proof that a log (a node's ledger, one currency) signed two trees that cannot both be true — what
 * a witness keeps, shows on its transparency page and sends to its peers (docs/FEDERATION.md,
 * "Equivocation"). Both kinds are self-contained: anyone holding the log's public key re-checks
 * them with `checkEquivocation`, without trusting whoever found them.
 *
 * - `fork`: two checkpoints of the same size with different root hashes.
 * - `inconsistent`: checkpoints of sizes m < n and a consistency path (at most ~2·log2 n hashes)
 *   that leads to the signed root of size n but not to the signed root of size m. By collision
 *   resistance the path's nodes are then the true subtrees of the size-n tree, so the first m leaves
 *   of the tree the log signed at size n are not the tree it signed at size m: a rewritten history.
 *   Found by whoever has the leaves (a mirror of the blocks, or the node's own `ledger verify`).
 */
export type Equivocation =
  | { kind: 'fork'; origin: string; checkpoints: [string, string] }
  | { kind: 'inconsistent'; origin: string; checkpoints: [string, string]; path: string[] };

/** Two signed checkpoints of one log: a fork when they have the same size and different roots. */
export function findFork(a: string, b: string, verifiers: readonly NoteVerifier[]): Equivocation | null {
  const [ca, cb] = [openCheckpoint(a, verifiers).checkpoint, openCheckpoint(b, verifiers).checkpoint];
  if (ca.origin !== cb.origin || ca.size !== cb.size || hashesEqual(ca.rootHash, cb.rootHash)) return null;
  return { kind: 'fork', origin: ca.origin, checkpoints: [a, b] };
}

/**
 * Given the leaf hashes of the larger tree (they must reproduce its signed root, else they prove
 * nothing and null is returned), shows that the smaller signed checkpoint is not their prefix.
 */
export function proveInconsistency(
  smaller: string,
  larger: string,
  leafHashes: readonly Uint8Array[],
  verifiers: readonly NoteVerifier[],
): Equivocation | null {
  const [cs, cl] = [openCheckpoint(smaller, verifiers).checkpoint, openCheckpoint(larger, verifiers).checkpoint];
  if (cs.origin !== cl.origin || cs.size === 0 || cs.size >= cl.size || leafHashes.length !== cl.size) return null;
  if (!hashesEqual(treeHash(leafHashes), cl.rootHash)) return null;
  if (hashesEqual(treeHash(leafHashes, cs.size), cs.rootHash)) return null; // consistent after all
  const path = consistencyPath(leafHashes, cs.size, cl.size).map((h) => Buffer.from(h).toString('base64'));
  return { kind: 'inconsistent', origin: cs.origin, checkpoints: [smaller, larger], path };
}

/** Re-checks evidence from anyone, with the log's keys: true only if it proves an equivocation. */
export function checkEquivocation(e: Equivocation, verifiers: readonly NoteVerifier[]): boolean {
  let a: Checkpoint;
  let b: Checkpoint;
  try {
    a = openCheckpoint(e.checkpoints[0], verifiers).checkpoint;
    b = openCheckpoint(e.checkpoints[1], verifiers).checkpoint;
  } catch (error) {
    if (error instanceof TlogError) return false;
    throw error;
  }
  if (a.origin !== e.origin || b.origin !== e.origin) return false;
  if (e.kind === 'fork') return a.size === b.size && !hashesEqual(a.rootHash, b.rootHash);
  if (e.path.length > 128) return false;
  let path: Uint8Array[];
  try {
    path = e.path.map((p) => decodeBase64Strict(p, 'invalid-proof'));
  } catch {
    return false;
  }
  const roots = rootsFromConsistencyPath(a.size, b.size, path);
  return roots !== null && hashesEqual(roots.newRoot, b.rootHash) && !hashesEqual(roots.oldRoot, a.rootHash);
}
