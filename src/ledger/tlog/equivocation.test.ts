import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkEquivocation, findFork, proveInconsistency, type Equivocation } from './equivocation.ts';
import { consistencyPath, leafHash } from './merkle.ts';
import { createTestLog } from './testLog.ts';

function rewrite(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  const copy = [...leaves];
  copy[index] = leafHash(Buffer.from(`block ${index}, rewritten`));
  return copy;
}

describe('equivocation evidence', () => {
  test('a fork (same size, two roots) is found and re-checked by a third party with the log key only', () => {
    const log = createTestLog();
    log.append(7);
    const honest = log.checkpoint(7);
    const forked = log.checkpoint(7, rewrite(log.leaves, 3));
    const evidence = findFork(honest, forked, [log.verifier]);
    assert.ok(evidence);
    const shipped = JSON.parse(JSON.stringify(evidence)) as Equivocation;
    assert.ok(checkEquivocation(shipped, [log.verifier]));
    assert.equal(findFork(honest, log.checkpoint(7), [log.verifier]), null, 'same tree: no fork');
    assert.equal(findFork(log.checkpoint(6), honest, [log.verifier]), null, 'different sizes: not a fork');
  });

  for (const [smallSize, bigSize] of [
    [4, 10], // old size a power of two: the path starts with the old tree's own root
    [6, 10],
    [1, 2],
    [9, 33],
  ] as const) {
    test(`a history rewritten below ${smallSize} and signed at ${bigSize}: proven with a short path`, () => {
      const log = createTestLog();
      log.append(bigSize);
      // The log signed size `smallSize` of one history, then size `bigSize` of another (block 0 changed).
      const before = log.checkpoint(smallSize, rewrite(log.leaves, 0));
      const after = log.checkpoint(bigSize);
      const evidence = proveInconsistency(before, after, log.leaves, [log.verifier]);
      assert.ok(evidence && evidence.kind === 'inconsistent');
      assert.ok(evidence.path.length <= 2 * Math.ceil(Math.log2(bigSize)) + 1, `path of ${evidence.path.length}`);
      assert.ok(checkEquivocation(JSON.parse(JSON.stringify(evidence)) as Equivocation, [log.verifier]));

      // Tampered evidence proves nothing: a changed path node, swapped checkpoints, another key.
      const bent = { ...evidence, path: evidence.path.map((p, i) => (i === 0 ? leafB64('x') : p)) };
      assert.equal(checkEquivocation(bent, [log.verifier]), false);
      const swapped = { ...evidence, checkpoints: [after, before] as [string, string] };
      assert.equal(checkEquivocation(swapped, [log.verifier]), false);
      assert.equal(checkEquivocation(evidence, [createTestLog(log.origin).verifier]), false);
    });
  }

  test('consistent checkpoints, or leaves that are not the signed tree, prove nothing', () => {
    const log = createTestLog();
    log.append(12);
    assert.equal(proveInconsistency(log.checkpoint(5), log.checkpoint(12), log.leaves, [log.verifier]), null);
    const honestPath = consistencyPath(log.leaves, 5, 12).map((h) => Buffer.from(h).toString('base64'));
    const honest: Equivocation = {
      kind: 'inconsistent',
      origin: log.origin,
      checkpoints: [log.checkpoint(5), log.checkpoint(12)],
      path: honestPath,
    };
    assert.equal(checkEquivocation(honest, [log.verifier]), false, 'a true consistency path accuses no one');
    const otherLeaves = rewrite(log.leaves, 11);
    const before = log.checkpoint(5, rewrite(log.leaves, 0));
    assert.equal(proveInconsistency(before, log.checkpoint(12), otherLeaves, [log.verifier]), null);
    // A made-up path that does not lead to the signed larger root is refused.
    const fake: Equivocation = {
      kind: 'inconsistent',
      origin: log.origin,
      checkpoints: [before, log.checkpoint(12)],
      path: [leafB64('a'), leafB64('b'), leafB64('c')],
    };
    assert.equal(checkEquivocation(fake, [log.verifier]), false);
  });
});

function leafB64(label: string): string {
  return Buffer.from(leafHash(Buffer.from(label))).toString('base64');
}
