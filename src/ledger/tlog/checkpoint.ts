import { HASH_BYTES } from './merkle.ts';
import {
  checkNoteText,
  decodeBase64Strict,
  openNote,
  signNote,
  type NoteSigner,
  type NoteVerifier,
} from './signedNote.ts';
import { TlogError } from './tlogError.ts';

/**
 * C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the text of a signed note made of the log's
 * origin, its tree size in decimal, the base64 RFC 6962 root hash, then optional extension lines.
 *
 *     rezo.example/ledger/EUR
 *     1234
 *     CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
 */
export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** Opaque, non-empty lines after the root (NOT RECOMMENDED by the spec; Rezo writes none). */
  extensions: string[];
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** A size written as the specs want it: ASCII decimal, no leading zero, within 2^53 − 1. */
export function parseSize(text: string, code: TlogError['code']): number {
  if (!DECIMAL.test(text)) throw new TlogError(code, `not a decimal size: ${JSON.stringify(text.slice(0, 30))}`);
  const size = Number(text);
  if (!Number.isSafeInteger(size)) throw new TlogError(code, 'size too large');
  return size;
}

export function formatCheckpoint(c: Checkpoint): string {
  if (c.origin.length === 0 || c.origin.includes('\n')) throw new TlogError('malformed-checkpoint', 'invalid origin');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new TlogError('malformed-checkpoint', 'invalid size');
  if (c.rootHash.length !== HASH_BYTES) throw new TlogError('malformed-checkpoint', 'a root hash has 32 bytes');
  if (c.extensions.some((e) => e.length === 0 || e.includes('\n'))) {
    throw new TlogError('malformed-checkpoint', 'extension lines are non-empty single lines');
  }
  const text =
    [c.origin, String(c.size), Buffer.from(c.rootHash).toString('base64'), ...c.extensions].join('\n') + '\n';
  checkNoteText(text);
  return text;
}

/** Parses a checkpoint's note text (without the signatures). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new TlogError('malformed-checkpoint', 'the text must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new TlogError('malformed-checkpoint', 'origin, size and root hash are required');
  if (lines.some((l) => l.length === 0)) throw new TlogError('malformed-checkpoint', 'empty line in a checkpoint');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  const rootHash = decodeBase64Strict(rootText, 'malformed-checkpoint');
  if (rootHash.length !== HASH_BYTES) throw new TlogError('malformed-checkpoint', 'a root hash has 32 bytes');
  return { origin, size: parseSize(sizeText, 'malformed-checkpoint'), rootHash, extensions };
}

/** The signed note of a checkpoint, signed by the log's key(s). */
export function signCheckpoint(c: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(c), signers);
}

/**
 * Opens a signed checkpoint with the keys trusted for it: the checkpoint, its exact text (what
 * cosignatures cover) and the signatures that verified. Throws TlogError as openNote does, or
 * `malformed-checkpoint`.
 */
export function openCheckpoint(note: string, verifiers: readonly NoteVerifier[]) {
  const opened = openNote(note, verifiers);
  return { checkpoint: parseCheckpoint(opened.text), ...opened };
}
