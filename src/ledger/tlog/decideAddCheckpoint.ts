import {
  TLOG_SIZE_CONTENT_TYPE,
  formatAddCheckpointResponse,
  formatTlogSize,
  type AddCheckpointRequest,
} from './addCheckpointWire.ts';
import { parseCheckpoint } from './checkpoint.ts';
import type { Cosigner } from './cosignature.ts';
import { EMPTY_ROOT, hashesEqual, verifyConsistency } from './merkle.ts';
import { openNote, parseNote, type NoteSignature, type NoteVerifier } from './signedNote.ts';
import { TlogError } from './tlogError.ts';

/**
 * What a witness decides for one `add-checkpoint` request (C2SP tlog-witness), as a pure function of
 * the request, the log's pinned keys and the last checkpoint it cosigned for that log. The caller
 * makes it atomic: in ONE transaction it locks the log's row, calls this, stores `newState` (or the
 * evidence) and commits, and only then answers — otherwise two requests could each pass the
 * old-size check and the stored size could go backwards (the race the spec describes).
 *
 * The checks, in the spec's order: unknown origin → 404; no trusted signature → 403; old size above
 * the checkpoint's → 400; old size ≠ the size last cosigned → 409 with that size; same size but
 * another root → 409 (and proof of a fork: two signed trees of one size); consistency proof that
 * does not verify → 422 (kept as a suspicion); otherwise cosign, store and 200.
 */

export interface CosignedState {
  size: number;
  rootHash: Uint8Array;
  /** The signed checkpoint note that was cosigned: kept whole, it is evidence if the log forks. */
  checkpoint: string;
}

export interface WitnessedLog {
  origin: string;
  /** The log's keys, pinned when the peer was added (never fetched from the log at check time). */
  verifiers: readonly NoteVerifier[];
  state: CosignedState | null;
}

/** Two checkpoints of the same log and size with different roots, both validly signed by the log. */
export interface ForkEvidence {
  kind: 'fork';
  origin: string;
  size: number;
  checkpoints: [string, string];
}

/** A validly signed checkpoint whose consistency proof from the cosigned state does not verify. */
export interface InconsistencySuspicion {
  kind: 'proof-failed';
  origin: string;
  cosigned: string;
  request: AddCheckpointRequest;
}

export type AddCheckpointDecision =
  | { status: 200; body: string; contentType: string; newState: CosignedState; cosignature: NoteSignature }
  | { status: 409; reason: 'old-size'; body: string; contentType: typeof TLOG_SIZE_CONTENT_TYPE }
  | { status: 409; reason: 'fork'; evidence: ForkEvidence }
  | { status: 422; reason: 'proof'; suspicion: InconsistencySuspicion }
  | { status: 400 | 403 | 404; reason: 'old-size-above' | 'signature' | 'origin'; detail: string };

/** The origin named by the request's checkpoint: what the caller looks up (and locks) first. */
export function requestOrigin(request: AddCheckpointRequest): string {
  return parseCheckpoint(parseNote(request.checkpoint).text).origin;
}

/** Throws TlogError when the checkpoint itself is malformed (the endpoint answers 400). */
export function decideAddCheckpoint(
  request: AddCheckpointRequest,
  log: WitnessedLog | undefined,
  cosigner: Cosigner,
  now: Date,
): AddCheckpointDecision {
  const origin = requestOrigin(request);
  if (!log || log.origin !== origin) return { status: 404, reason: 'origin', detail: `unknown log ${origin}` };
  let text: string;
  try {
    text = openNote(request.checkpoint, log.verifiers).text;
  } catch (error) {
    if (error instanceof TlogError && (error.code === 'unverified-note' || error.code === 'invalid-signature')) {
      return { status: 403, reason: 'signature', detail: error.message };
    }
    throw error;
  }
  const checkpoint = parseCheckpoint(text);
  if (request.oldSize > checkpoint.size) {
    return { status: 400, reason: 'old-size-above', detail: `old ${request.oldSize} > size ${checkpoint.size}` };
  }
  const cosignedSize = log.state?.size ?? 0;
  if (request.oldSize !== cosignedSize) {
    return { status: 409, reason: 'old-size', body: formatTlogSize(cosignedSize), contentType: TLOG_SIZE_CONTENT_TYPE };
  }
  const cosignedRoot = log.state?.rootHash ?? EMPTY_ROOT;
  if (log.state && checkpoint.size === log.state.size && !hashesEqual(checkpoint.rootHash, cosignedRoot)) {
    return {
      status: 409,
      reason: 'fork',
      evidence: {
        kind: 'fork',
        origin,
        size: checkpoint.size,
        checkpoints: [log.state.checkpoint, request.checkpoint],
      },
    };
  }
  const emptyButRooted = checkpoint.size === 0 && !hashesEqual(checkpoint.rootHash, EMPTY_ROOT);
  if (
    emptyButRooted ||
    !verifyConsistency(request.oldSize, checkpoint.size, cosignedRoot, checkpoint.rootHash, request.proof)
  ) {
    return {
      status: 422,
      reason: 'proof',
      suspicion: { kind: 'proof-failed', origin, cosigned: log.state?.checkpoint ?? '', request },
    };
  }
  const cosignature = cosigner.cosign(text, Math.floor(now.getTime() / 1000));
  return {
    status: 200,
    body: formatAddCheckpointResponse([cosignature]),
    contentType: 'text/plain; charset=utf-8',
    newState: { size: checkpoint.size, rootHash: checkpoint.rootHash, checkpoint: request.checkpoint },
    cosignature,
  };
}
