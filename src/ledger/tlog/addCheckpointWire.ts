import { parseSize } from './checkpoint.ts';
import { HASH_BYTES } from './merkle.ts';
import {
  MAX_NOTE_BYTES,
  decodeBase64Strict,
  formatSignatureLine,
  parseNote,
  parseSignatureLine,
  type NoteSignature,
} from './signedNote.ts';
import { TlogError } from './tlogError.ts';

/**
 * The wire format of C2SP tlog-witness `POST <prefix>/add-checkpoint` (c2sp.org/tlog-witness).
 *
 * Request body: `old <size>` line, zero to 63 base64 consistency-proof lines, an empty line, then the
 * signed checkpoint note:
 *
 *     old 20852014
 *     PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=
 *
 *     example.com/behind-the-sofa
 *     20852163
 *     CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
 *
 *     — example.com/behind-the-sofa Az3grlgt…
 *
 * 200 response body: one or more signature lines (the witness's cosignatures).
 * 409 response body: the witness's latest cosigned size and a newline, as `text/x.tlog.size`.
 */

export const MAX_PROOF_LINES = 63;
/** The request bound: the proof lines (64 × 45 bytes) plus a note of at most MAX_NOTE_BYTES. */
export const MAX_ADD_CHECKPOINT_BYTES = MAX_NOTE_BYTES + 4096;
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Uint8Array[];
  /** The signed checkpoint note, as received (signatures included). */
  checkpoint: string;
}

export function formatAddCheckpointRequest(r: AddCheckpointRequest): string {
  if (r.proof.length > MAX_PROOF_LINES) throw new TlogError('malformed-request', 'at most 63 proof lines');
  if (r.proof.some((p) => p.length !== HASH_BYTES))
    throw new TlogError('malformed-request', 'proof hashes have 32 bytes');
  if (!Number.isSafeInteger(r.oldSize) || r.oldSize < 0) throw new TlogError('malformed-request', 'invalid old size');
  parseNote(r.checkpoint);
  const proof = r.proof.map((p) => Buffer.from(p).toString('base64') + '\n').join('');
  return `old ${r.oldSize}\n${proof}\n${r.checkpoint}`;
}

export function parseAddCheckpointRequest(body: string): AddCheckpointRequest {
  if (Buffer.byteLength(body, 'utf8') > MAX_ADD_CHECKPOINT_BYTES) {
    throw new TlogError('malformed-request', `a request is at most ${MAX_ADD_CHECKPOINT_BYTES} bytes`);
  }
  // The header (old size and proof) ends at the first empty line; the note has its own blank line later.
  const end = body.indexOf('\n\n');
  if (end < 0) throw new TlogError('malformed-request', 'no empty line after the proof');
  const [oldLine, ...proofLines] = body.slice(0, end).split('\n') as [string, ...string[]];
  const m = /^old (\S+)$/.exec(oldLine);
  if (!m) throw new TlogError('malformed-request', 'the first line is "old <size>"');
  const oldSize = parseSize(m[1]!, 'malformed-request');
  if (proofLines.length > MAX_PROOF_LINES) throw new TlogError('malformed-request', 'at most 63 proof lines');
  const proof = proofLines.map((line) => {
    const hash = decodeBase64Strict(line, 'malformed-request');
    if (hash.length !== HASH_BYTES) throw new TlogError('malformed-request', 'proof hashes have 32 bytes');
    return hash;
  });
  const checkpoint = body.slice(end + 2);
  parseNote(checkpoint);
  return { oldSize, proof, checkpoint };
}

export function formatAddCheckpointResponse(cosignatures: readonly NoteSignature[]): string {
  if (cosignatures.length === 0) throw new TlogError('malformed-request', 'a response carries at least one line');
  return cosignatures.map(formatSignatureLine).join('');
}

export function parseAddCheckpointResponse(body: string): NoteSignature[] {
  if (!body.endsWith('\n') || body.length > 4096) throw new TlogError('malformed-note', 'invalid response body');
  return body.slice(0, -1).split('\n').map(parseSignatureLine);
}

export function formatTlogSize(size: number): string {
  return `${size}\n`;
}

export function parseTlogSize(body: string): number {
  if (!body.endsWith('\n')) throw new TlogError('malformed-request', 'a size body ends with a newline');
  return parseSize(body.slice(0, -1), 'malformed-request');
}
