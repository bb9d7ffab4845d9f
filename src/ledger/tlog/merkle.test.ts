import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  EMPTY_ROOT,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';
import { seededRandom } from './testRandom.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

// The eight leaves of the RFC 6962 reference test corpus (Certificate Transparency's merkle tree
// tests, reused by transparency-dev/merkle), and the published values below: roots of each prefix,
// audit paths and consistency proofs.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(
  unhex,
);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const INCLUSION: { index: number; size: number; proof: string[] }[] = [
  { index: 0, size: 1, proof: [] },
  { index: 0, size: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] }, // prettier-ignore
  { index: 5, size: 8, proof: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] }, // prettier-ignore
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, proof: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] }, // prettier-ignore
];
const CONSISTENCY: { from: number; to: number; proof: string[] }[] = [
  { from: 1, to: 1, proof: [] },
  { from: 1, to: 8, proof: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] }, // prettier-ignore
  { from: 6, to: 8, proof: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] }, // prettier-ignore
  { from: 2, to: 5, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] }, // prettier-ignore
  { from: 2, to: 8, proof: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] }, // prettier-ignore
];

const leaves = LEAVES.map(leafHash);

/** RFC 6962 §2.1's definition, written as literally as possible, to compare against on random trees. */
function referenceRoot(data: Uint8Array[]): Uint8Array {
  const sha = (...parts: Uint8Array[]) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest());
  if (data.length === 0) return sha();
  if (data.length === 1) return sha(Uint8Array.of(0), data[0]!);
  let k = 1;
  while (k * 2 < data.length) k *= 2;
  return sha(Uint8Array.of(1), referenceRoot(data.slice(0, k)), referenceRoot(data.slice(k)));
}

describe('RFC 6962 Merkle tree: published test vectors', () => {
  test('the empty tree and the leaf and node prefixes', () => {
    assert.equal(hex(EMPTY_ROOT), ROOTS[0]);
    assert.equal(hex(treeHash([])), ROOTS[0]);
    // A leaf is SHA-256(0x00 || data), a node SHA-256(0x01 || left || right): the first leaf of the corpus
    // is the empty string, so its hash is SHA-256 of the single byte 0x00.
    assert.equal(hex(leafHash(new Uint8Array())), createHash('sha256').update(Buffer.of(0)).digest('hex'));
    assert.equal(
      hex(nodeHash(leaves[0]!, leaves[1]!)),
      createHash('sha256')
        .update(Buffer.concat([Buffer.of(1), leaves[0]!, leaves[1]!]))
        .digest('hex'),
    );
  });

  test('the root of every prefix of the corpus', () => {
    for (let n = 0; n <= 8; n++) assert.equal(hex(treeHash(leaves, n)), ROOTS[n], `size ${n}`);
  });

  test('audit paths are generated as published and verify; a changed one does not', () => {
    for (const v of INCLUSION) {
      const proof = inclusionProof(leaves, v.index, v.size);
      assert.deepEqual(proof.map(hex), v.proof, `PATH(${v.index}, D[${v.size}])`);
      const root = unhex(ROOTS[v.size]!);
      assert.ok(verifyInclusion(leaves[v.index]!, v.index, v.size, proof, root));
      assert.equal(verifyInclusion(leaves[v.index]!, v.index, v.size, proof, unhex(ROOTS[v.size - 1]!)), false);
      if (proof.length > 0) {
        const bent = proof.map((p, i) => (i === 0 ? Uint8Array.from(p, (b, j) => (j === 0 ? b ^ 1 : b)) : p));
        assert.equal(verifyInclusion(leaves[v.index]!, v.index, v.size, bent, root), false);
        assert.equal(verifyInclusion(leaves[v.index]!, v.index, v.size, proof.slice(1), root), false);
      }
      assert.equal(verifyInclusion(leaves[v.index]!, v.index, v.size, [...proof, leaves[0]!], root), false);
    }
  });

  test('consistency proofs are generated as published and verify; a changed one does not', () => {
    for (const v of CONSISTENCY) {
      const proof = consistencyProof(leaves, v.from, v.to);
      assert.deepEqual(proof.map(hex), v.proof, `PROOF(${v.from}, D[${v.to}])`);
      const [oldRoot, newRoot] = [unhex(ROOTS[v.from]!), unhex(ROOTS[v.to]!)];
      assert.ok(verifyConsistency(v.from, v.to, oldRoot, newRoot, proof));
      if (v.from !== v.to) {
        assert.equal(verifyConsistency(v.from, v.to, unhex(ROOTS[v.from - 1]!), newRoot, proof), false);
        assert.equal(verifyConsistency(v.from, v.to, oldRoot, unhex(ROOTS[v.to - 1]!), proof), false);
        assert.equal(verifyConsistency(v.from, v.to, oldRoot, newRoot, proof.slice(0, -1)), false);
        assert.equal(verifyConsistency(v.from, v.to, oldRoot, newRoot, [...proof, proof[0]!]), false);
      }
    }
  });

  test('edge cases of consistency: from 0, equal sizes, a smaller new tree', () => {
    const r8 = unhex(ROOTS[8]!);
    assert.deepEqual(consistencyProof(leaves, 0, 8), []);
    assert.ok(verifyConsistency(0, 8, EMPTY_ROOT, r8, []));
    assert.equal(verifyConsistency(0, 8, EMPTY_ROOT, r8, [r8]), false);
    assert.deepEqual(consistencyProof(leaves, 8, 8), []);
    assert.ok(verifyConsistency(8, 8, r8, r8, []));
    assert.equal(verifyConsistency(8, 8, r8, unhex(ROOTS[7]!), []), false, 'same size, another root: a fork');
    assert.equal(verifyConsistency(8, 7, r8, unhex(ROOTS[7]!), []), false, 'a rollback never verifies');
    assert.throws(() => consistencyProof(leaves, 9, 8), RangeError);
    assert.throws(() => inclusionProof(leaves, 8, 8), RangeError);
    assert.equal(rootFromInclusionProof(leaves[0]!, 0, 0, []), null);
  });

  test('sizes beyond 2^32 (no 32-bit shifts in the verifiers)', () => {
    // A tree of 2^33 + 1 leaves is a complete tree of 2^33 (root X) plus one leaf L: its root is
    // node(X, L); L's audit path is [X]; the consistency proof from 2^33 is [L].
    const big = 2 ** 33;
    const [x, l] = [leaves[3]!, leaves[4]!];
    const root = nodeHash(x, l);
    assert.ok(verifyInclusion(l, big, big + 1, [x], root));
    assert.equal(verifyInclusion(l, big - 1, big + 1, [x], root), false);
    assert.ok(verifyConsistency(big, big + 1, x, root, [l]));
    assert.equal(verifyConsistency(big, big + 1, l, root, [l]), false);
  });
});

describe('RFC 6962 Merkle tree: properties on random trees', () => {
  // A fixed seed keeps a failure reproducible; REZO_PROPERTY_SEED tries others.
  const seed = Number(process.env.REZO_PROPERTY_SEED ?? 20261204);
  const random = seededRandom(seed);
  const data = Array.from({ length: 140 }, (_, i) => new Uint8Array(Buffer.from(`block ${i} ${random()}`)));
  const hashes = data.map(leafHash);

  test(`the root equals the literal RFC definition for every size 0..140 (seed ${seed})`, () => {
    for (let n = 0; n <= hashes.length; n++)
      assert.equal(hex(treeHash(hashes, n)), hex(referenceRoot(data.slice(0, n))));
  });

  test(`every consistency proof between sizes m ≤ n verifies, and a tampered one fails (seed ${seed})`, () => {
    const roots = Array.from({ length: hashes.length + 1 }, (_, n) => treeHash(hashes, n));
    let checked = 0;
    for (let n = 1; n <= hashes.length; n++) {
      for (let m = 0; m <= n; m++) {
        if (n > 40 && random() > 0.15) continue; // every pair up to 40, a sample above
        const proof = consistencyProof(hashes, m, n);
        assert.ok(verifyConsistency(m, n, roots[m]!, roots[n]!, proof), `PROOF(${m}, ${n})`);
        checked++;
        if (proof.length === 0) continue;
        const at = Math.floor(random() * proof.length);
        const tampered = proof.map((p, i) => (i === at ? Uint8Array.from(p, (b, j) => (j === 5 ? b ^ 0x40 : b)) : p));
        assert.equal(verifyConsistency(m, n, roots[m]!, roots[n]!, tampered), false, `tampered PROOF(${m}, ${n})`);
        if (m > 0 && m < n) {
          assert.equal(verifyConsistency(m, n, roots[m - 1]!, roots[n]!, proof), false, `wrong old root ${m}, ${n}`);
          const other = m + 1 < n ? m + 1 : m - 1;
          if (other > 0) assert.equal(verifyConsistency(other, n, roots[other]!, roots[n]!, proof), false);
        }
      }
    }
    assert.ok(checked > 1000, `checked ${checked} pairs`);
  });

  test(`every inclusion proof verifies at its index only (seed ${seed})`, () => {
    for (const n of [1, 2, 3, 7, 8, 9, 31, 64, 100, 140]) {
      const root = treeHash(hashes, n);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(hashes, i, n);
        assert.ok(verifyInclusion(hashes[i]!, i, n, proof, root), `PATH(${i}, ${n})`);
        if (n > 1) assert.equal(verifyInclusion(hashes[i]!, (i + 1) % n, n, proof, root), false);
      }
    }
  });

  test('a forged leaf cannot pass for an inner node (domain separation)', () => {
    // Without the 0x00/0x01 prefixes, the concatenation of two leaf hashes, presented as one leaf,
    // would hash to the root of the two-leaf tree.
    const forged = leafHash(Buffer.concat([hashes[0]!, hashes[1]!]));
    assert.notEqual(hex(forged), hex(treeHash(hashes, 2)));
  });
});
