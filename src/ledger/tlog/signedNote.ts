import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { TlogError } from './tlogError.ts';

/**
 * C2SP signed-note (c2sp.org/signed-note): a text ending in a newline, a blank line, then one or more
 * signature lines `— <key name> base64(4-byte key ID || signature)`. Checkpoints and cosignatures are
 * notes (docs/FEDERATION.md, "Ledger witnessing").
 *
 * Verification rules, from the spec: a signature whose (name, key ID) matches no known key is
 * ignored; one that matches a known key MUST verify, and a failure rejects the whole note; a note
 * with no verified signature is rejected.
 */

/** Signature type bytes (signed-note, "Signature types"). */
export const SIGNATURE_TYPE = { ed25519: 0x01, cosignatureV1: 0x04 } as const;

/** The spec asks verifiers to accept at least 16 signatures; a node's checkpoint carries its own and one per peer. */
export const MAX_NOTE_SIGNATURES = 32;
/** Far above a checkpoint with 32 Ed25519 signatures (~4 KiB): bounds what a peer can make us parse. */
export const MAX_NOTE_BYTES = 16 * 1024;

const EM_DASH = '\u2014';

export interface NoteSignature {
  name: string;
  /** uint32, big-endian in the encoding. */
  keyId: number;
  /** The bytes after the key ID (for Ed25519: 64; for a cosignature/v1: 8-byte timestamp + 64). */
  signature: Uint8Array;
}

export interface NoteSigner {
  name: string;
  keyId: number;
  sign(text: string): Uint8Array;
}

export interface NoteVerifier {
  name: string;
  keyId: number;
  verify(text: string, signature: Uint8Array): boolean;
}

/** key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], big-endian. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Uint8Array.of(0x0a, type))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

/** Key names: non-empty, no Unicode space, no plus (it separates the parts of a verifier key). */
export function checkKeyName(name: string): void {
  if (name.length === 0 || /[\s+]/u.test(name) || hasControl(name)) {
    throw new TlogError('malformed-key', `invalid key name ${JSON.stringify(name)}`);
  }
}

function hasControl(text: string): boolean {
  // ASCII control characters (below U+0020) other than newline are forbidden anywhere in a note.
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0009\u000b-\u001f]/.test(text);
}

/** The 32 raw bytes of an Ed25519 public key (RFC 8032 encoding), what key IDs and verifier keys hash. */
export function rawEd25519PublicKey(key: KeyObject): Uint8Array {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new TlogError('malformed-key', 'not an Ed25519 key');
  const jwk = publicKey.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x!, 'base64url'));
}

export function ed25519PublicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new TlogError('malformed-key', `an Ed25519 public key has 32 bytes, got ${raw.length}`);
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/** Signs notes with a plain Ed25519 key (type 0x01): what a log uses for its checkpoints. */
export function ed25519NoteSigner(name: string, privateKey: KeyObject): NoteSigner {
  checkKeyName(name);
  const keyId = noteKeyId(name, SIGNATURE_TYPE.ed25519, rawEd25519PublicKey(privateKey));
  return {
    name,
    keyId,
    sign: (text) => new Uint8Array(sign(null, Buffer.from(text, 'utf8'), privateKey)),
  };
}

export function ed25519NoteVerifier(name: string, publicKey: KeyObject): NoteVerifier {
  checkKeyName(name);
  const keyId = noteKeyId(name, SIGNATURE_TYPE.ed25519, rawEd25519PublicKey(publicKey));
  return {
    name,
    keyId,
    verify: (text, signature) =>
      signature.length === 64 && verify(null, Buffer.from(text, 'utf8'), publicKey, signature),
  };
}

/** Checks a note text: non-empty, ends with a newline, no control character but newlines. */
export function checkNoteText(text: string): void {
  if (!text.endsWith('\n')) throw new TlogError('malformed-note', 'the text must end with a newline');
  if (hasControl(text)) throw new TlogError('malformed-note', 'control character in the text');
}

export function formatSignatureLine(s: NoteSignature): string {
  checkKeyName(s.name);
  const bytes = Buffer.alloc(4 + s.signature.length);
  bytes.writeUInt32BE(s.keyId >>> 0, 0);
  bytes.set(s.signature, 4);
  return `${EM_DASH} ${s.name} ${bytes.toString('base64')}\n`;
}

/** The note: text, a blank line, one line per signature. */
export function formatNote(text: string, signatures: readonly NoteSignature[]): string {
  checkNoteText(text);
  if (signatures.length === 0) throw new TlogError('malformed-note', 'a note needs at least one signature');
  return `${text}\n${signatures.map(formatSignatureLine).join('')}`;
}

export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkNoteText(text);
  return formatNote(
    text,
    signers.map((s) => ({ name: s.name, keyId: s.keyId, signature: s.sign(text) })),
  );
}

/** Strict standard base64 (RFC 4648 §4, padded): anything that does not re-encode identically is refused. */
export function decodeBase64Strict(text: string, code: TlogError['code']): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new TlogError(code, 'invalid base64');
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw new TlogError(code, 'non-canonical base64');
  return new Uint8Array(bytes);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes bytes received from the network: invalid UTF-8 is a malformed note, not a replacement character. */
export function decodeNoteBytes(bytes: Uint8Array): string {
  if (bytes.length > MAX_NOTE_BYTES) throw new TlogError('malformed-note', `a note is at most ${MAX_NOTE_BYTES} bytes`);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new TlogError('malformed-note', 'invalid UTF-8');
  }
}

/** Parses one signature line without its final newline. */
export function parseSignatureLine(line: string): NoteSignature {
  const m = /^\u2014 (\S+) (\S+)$/u.exec(line);
  if (!m) throw new TlogError('malformed-note', `not a signature line: ${JSON.stringify(line.slice(0, 80))}`);
  const [, name, encoded] = m as unknown as [string, string, string];
  if (name.includes('+')) throw new TlogError('malformed-note', 'a key name cannot contain "+"');
  const bytes = decodeBase64Strict(encoded, 'malformed-note');
  if (bytes.length < 5) throw new TlogError('malformed-note', 'a signature is a key ID and at least one byte');
  return { name, keyId: Buffer.from(bytes).readUInt32BE(0), signature: bytes.slice(4) };
}

/** Splits a note into its text and its signatures; checks the format only, not the signatures. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) {
    throw new TlogError('malformed-note', `a note is at most ${MAX_NOTE_BYTES} bytes`);
  }
  if (hasControl(note)) throw new TlogError('malformed-note', 'control character in the note');
  // The text is separated from the signatures by the LAST blank line (the text may contain blank lines).
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new TlogError('malformed-note', 'no blank line before the signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new TlogError('malformed-note', `more than ${MAX_NOTE_SIGNATURES} signatures`);
  }
  return { text, signatures: lines.map(parseSignatureLine) };
}

/**
 * Opens a note with the keys we trust: returns its text and the signatures that verified (and the
 * ones from unknown keys, kept for display). Throws `invalid-signature` when a known key's signature
 * fails, `unverified-note` when no known key signed it.
 */
export function openNote(
  note: string,
  verifiers: readonly NoteVerifier[],
): { text: string; verified: NoteSignature[]; unknown: NoteSignature[] } {
  const { text, signatures } = parseNote(note);
  const verified: NoteSignature[] = [];
  const unknown: NoteSignature[] = [];
  for (const s of signatures) {
    const verifier = verifiers.find((v) => v.name === s.name && v.keyId === s.keyId);
    if (!verifier) {
      unknown.push(s);
      continue;
    }
    if (!verifier.verify(text, s.signature)) {
      throw new TlogError('invalid-signature', `the signature of ${s.name} does not verify`);
    }
    verified.push(s);
  }
  if (verified.length === 0) throw new TlogError('unverified-note', 'no signature from a trusted key');
  return { text, verified, unknown };
}

/**
 * Verifier keys as Go's sumdb/note and the C2SP ecosystem write them:
 * `<name>+<key ID, 8 hex digits>+<base64(type byte || public key)>`. The key ID must be the one
 * derived from the rest (a mismatch is a typo or a forgery).
 */
export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  checkKeyName(name);
  const id = noteKeyId(name, type, publicKey).toString(16).padStart(8, '0');
  return `${name}+${id}+${Buffer.concat([Uint8Array.of(type), publicKey]).toString('base64')}`;
}

export function decodeVerifierKey(vkey: string): { name: string; keyId: number; type: number; publicKey: Uint8Array } {
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new TlogError('malformed-key', 'expected <name>+<id>+<key>');
  const name = vkey.slice(0, first);
  const idHex = vkey.slice(first + 1, second);
  checkKeyName(name);
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new TlogError('malformed-key', 'the key ID is 8 lowercase hex digits');
  const material = decodeBase64Strict(vkey.slice(second + 1), 'malformed-key');
  if (material.length < 2) throw new TlogError('malformed-key', 'no key material');
  const type = material[0]!;
  const publicKey = material.slice(1);
  const keyId = Number.parseInt(idHex, 16);
  if (noteKeyId(name, type, publicKey) !== keyId) throw new TlogError('malformed-key', 'the key ID does not match');
  return { name, keyId, type, publicKey };
}
