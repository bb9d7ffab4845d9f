import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { TLOG_SIZE_CONTENT_TYPE, formatAddCheckpointRequest, parseAddCheckpointRequest } from './addCheckpointWire.ts';
import { signCheckpoint } from './checkpoint.ts';
import { cosignatureTimestamp, cosignatureVerifier } from './cosignature.ts';
import { decideAddCheckpoint, type WitnessedLog } from './decideAddCheckpoint.ts';
import { checkEquivocation } from './equivocation.ts';
import { consistencyProof, leafHash, treeHash } from './merkle.ts';
import { ed25519NoteSigner, openNote } from './signedNote.ts';
import { createTestLog, createTestWitness } from './testLog.ts';
import { seededRandom } from './testRandom.ts';

const NOW = new Date('2026-12-04T12:00:00Z');

/** A witness's record of one log, updated the way the database layer will: only on a 200. */
function witnessOf(log: ReturnType<typeof createTestLog>): WitnessedLog {
  return { origin: log.origin, verifiers: [log.verifier], state: null };
}

function submit(w: WitnessedLog, body: string, cosigner = createTestWitness().cosigner) {
  const decision = decideAddCheckpoint(parseAddCheckpointRequest(body), w, cosigner, NOW);
  if (decision.status === 200) w.state = decision.newState;
  return decision;
}

describe('a witness deciding add-checkpoint (C2SP tlog-witness)', () => {
  test('first checkpoint from 0, then an extension with its proof: both cosigned, the size stored', () => {
    const log = createTestLog();
    const witness = createTestWitness();
    const w = witnessOf(log);
    log.append(5);
    const first = submit(w, log.request(0), witness.cosigner);
    assert.equal(first.status, 200);
    assert.equal(w.state?.size, 5);
    log.append(4);
    const second = submit(w, log.request(5), witness.cosigner);
    assert.equal(second.status, 200);
    assert.equal(w.state?.size, 9);
    if (second.status !== 200) return;
    // The log adds the response lines to its checkpoint and verifies them with the witness's key.
    const verifier = cosignatureVerifier(witness.name, witness.key.publicKey);
    const cosigned = log.checkpoint(9) + second.body;
    const opened = openNote(cosigned, [log.verifier, verifier]);
    assert.deepEqual(
      opened.verified.map((s) => s.name),
      [log.origin, witness.name],
    );
    assert.equal(cosignatureTimestamp(second.cosignature), NOW.getTime() / 1000);
  });

  test('an old size that is not the one last cosigned → 409 with that size as text/x.tlog.size', () => {
    const log = createTestLog();
    const w = witnessOf(log);
    log.append(3);
    submit(w, log.request(0));
    log.append(3);
    const stale = submit(w, log.request(0, 6));
    assert.equal(stale.status, 409);
    if (stale.status !== 409 || stale.reason !== 'old-size') throw new Error('expected old-size');
    assert.deepEqual([stale.body, stale.contentType], ['3\n', TLOG_SIZE_CONTENT_TYPE]);
    assert.equal(w.state?.size, 3);
  });

  test('unknown origin → 404; a checkpoint not signed by the pinned key → 403; old size above size → 400', () => {
    const log = createTestLog();
    const w = witnessOf(log);
    log.append(4);
    const other = createTestLog('c.example/ledger/EUR');
    other.append(4);
    assert.equal(submit(w, other.request(0)).status, 404);
    const impostorKey = generateKeyPairSync('ed25519');
    const forged = signCheckpoint({ origin: log.origin, size: 4, rootHash: treeHash(log.leaves), extensions: [] }, [
      ed25519NoteSigner(log.origin, impostorKey.privateKey),
    ]);
    assert.equal(submit(w, formatAddCheckpointRequest({ oldSize: 0, proof: [], checkpoint: forged })).status, 403);
    const above = formatAddCheckpointRequest({ oldSize: 5, proof: [], checkpoint: log.checkpoint(4) });
    assert.equal(submit(w, above).status, 400);
    assert.equal(w.state, null, 'nothing stored');
  });

  test('a proof that does not verify → 422, kept as a suspicion, nothing stored', () => {
    const log = createTestLog();
    const w = witnessOf(log);
    log.append(6);
    submit(w, log.request(0));
    log.append(5);
    const proof = consistencyProof(log.leaves, 6, 11);
    proof[1] = leafHash(Buffer.from('not a node'));
    const decision = submit(w, formatAddCheckpointRequest({ oldSize: 6, proof, checkpoint: log.checkpoint(11) }));
    assert.equal(decision.status, 422);
    if (decision.status === 422) assert.equal(decision.suspicion.origin, log.origin);
    assert.equal(w.state?.size, 6);
  });

  test('a rewritten history (block 2 changed) signed at a larger size does not extend the cosigned tree → 422', () => {
    const log = createTestLog();
    const w = witnessOf(log);
    log.append(6);
    submit(w, log.request(0));
    log.append(4);
    const rewritten = [...log.leaves];
    rewritten[2] = leafHash(Buffer.from('block 2, edited by direct SQL'));
    const checkpoint = log.checkpoint(10, rewritten);
    const proofOfRewritten = consistencyProof(rewritten, 6, 10);
    const decision = submit(w, formatAddCheckpointRequest({ oldSize: 6, proof: proofOfRewritten, checkpoint }));
    assert.equal(decision.status, 422);
    assert.equal(w.state?.size, 6);
  });

  test('same size, another root → 409 and fork evidence that anyone re-checks with the log key', () => {
    const log = createTestLog();
    const w = witnessOf(log);
    log.append(8);
    submit(w, log.request(0));
    const other = [...log.leaves];
    other[7] = leafHash(Buffer.from('another last block'));
    const fork = formatAddCheckpointRequest({ oldSize: 8, proof: [], checkpoint: log.checkpoint(8, other) });
    const decision = submit(w, fork);
    assert.equal(decision.status, 409);
    if (decision.status !== 409 || decision.reason !== 'fork') throw new Error('expected a fork');
    assert.ok(checkEquivocation(decision.evidence, [log.verifier]));
    assert.equal(w.state?.size, 8);
    // The same checkpoint again is fine: re-cosigned with a new time.
    assert.equal(submit(w, log.request(8)).status, 200);
  });

  test('decisions must be taken one at a time on the locked state: the later of two racing requests gets 409', () => {
    // Two requests decided against the same state would both pass (the caller's transaction and row
    // lock prevent that); decided in turn, the second sees the first's size and is refused.
    const log = createTestLog();
    const w = witnessOf(log);
    log.append(5);
    submit(w, log.request(0));
    log.append(4);
    const [a, b] = [log.request(5, 7), log.request(5, 9)];
    const snapshot = { ...w };
    assert.equal(
      decideAddCheckpoint(parseAddCheckpointRequest(a), snapshot, createTestWitness().cosigner, NOW).status,
      200,
    );
    assert.equal(
      decideAddCheckpoint(parseAddCheckpointRequest(b), snapshot, createTestWitness().cosigner, NOW).status,
      200,
    );
    assert.equal(submit(w, b).status, 200);
    assert.equal(submit(w, a).status, 409);
    assert.equal(w.state?.size, 9, 'never rolled back to 7');
  });

  test('property: a log growing by random steps is always cosigned; a proof with one changed hash never is', () => {
    const random = seededRandom(Number(process.env.REZO_PROPERTY_SEED ?? 17));
    const log = createTestLog();
    const witness = createTestWitness();
    const w = witnessOf(log);
    const verifier = cosignatureVerifier(witness.name, witness.key.publicKey);
    for (let round = 0; round < 60; round++) {
      const old = w.state?.size ?? 0;
      log.append(Math.floor(random() * 9));
      const body = log.request(old);
      const r = parseAddCheckpointRequest(body);
      if (r.proof.length > 0) {
        const at = Math.floor(random() * r.proof.length);
        const bad = r.proof.map((p, i) => (i === at ? Uint8Array.from(p, (x, j) => (j === 0 ? x ^ 0x80 : x)) : p));
        const tampered = decideAddCheckpoint({ ...r, proof: bad }, w, witness.cosigner, NOW);
        assert.equal(tampered.status, 422, `round ${round}: tampered proof ${old} → ${log.leaves.length}`);
      }
      const decision = submit(w, body, witness.cosigner);
      assert.equal(decision.status, 200, `round ${round}: ${old} → ${log.leaves.length}`);
      if (decision.status === 200) {
        const text = r.checkpoint.slice(0, r.checkpoint.lastIndexOf('\n\n') + 1);
        assert.ok(verifier.verify(text, decision.cosignature.signature));
      }
    }
    assert.equal(w.state?.size, log.leaves.length);
  });
});
