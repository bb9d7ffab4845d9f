import { generateKeyPairSync } from 'node:crypto';
import { formatAddCheckpointRequest } from './addCheckpointWire.ts';
import { signCheckpoint } from './checkpoint.ts';
import { ed25519Cosigner } from './cosignature.ts';
import { consistencyProof, leafHash, treeHash } from './merkle.ts';
import {
  SIGNATURE_TYPE,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatVerifierKey,
  rawEd25519PublicKey,
} from './signedNote.ts';

/** A log for the witness tests: leaves appended by hand, checkpoints signed with its own key. */
export function createTestLog(origin = 'a.example/ledger/EUR') {
  const key = generateKeyPairSync('ed25519');
  const signer = ed25519NoteSigner(origin, key.privateKey);
  const leaves: Uint8Array[] = [];
  return {
    origin,
    leaves,
    verifier: ed25519NoteVerifier(origin, key.publicKey),
    verifierKey: formatVerifierKey(origin, SIGNATURE_TYPE.ed25519, rawEd25519PublicKey(key.publicKey)),
    append(count: number, label = 'block') {
      for (let i = 0; i < count; i++) leaves.push(leafHash(Buffer.from(`${label} ${leaves.length}`)));
    },
    /** The signed checkpoint of the first `size` leaves (or of other leaves: a forged history). */
    checkpoint(size = leaves.length, of: readonly Uint8Array[] = leaves): string {
      return signCheckpoint({ origin, size, rootHash: treeHash(of, size), extensions: [] }, [signer]);
    },
    /** The add-checkpoint body from oldSize to the current size. */
    request(oldSize: number, size = leaves.length): string {
      return formatAddCheckpointRequest({
        oldSize,
        proof: consistencyProof(leaves, oldSize, size),
        checkpoint: this.checkpoint(size),
      });
    },
  };
}

export function createTestWitness(name = 'b.example/witness') {
  const key = generateKeyPairSync('ed25519');
  return {
    name,
    key,
    cosigner: ed25519Cosigner(name, key.privateKey),
    verifierKey: formatVerifierKey(name, SIGNATURE_TYPE.cosignatureV1, rawEd25519PublicKey(key.publicKey)),
  };
}
