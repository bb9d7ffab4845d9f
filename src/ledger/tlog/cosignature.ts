import { sign, verify, type KeyObject } from 'node:crypto';
import { parseCheckpoint } from './checkpoint.ts';
import {
  SIGNATURE_TYPE,
  checkKeyName,
  decodeVerifierKey,
  ed25519NoteVerifier,
  ed25519PublicKeyFromRaw,
  noteKeyId,
  rawEd25519PublicKey,
  type NoteSignature,
  type NoteVerifier,
} from './signedNote.ts';
import { TlogError } from './tlogError.ts';

/**
 * C2SP tlog-cosignature, Ed25519 version (`cosignature/v1`, signature type 0x04): a witness's
 * statement that, as of a time, the checkpoint is the largest consistent tree it has seen for that
 * log. The signature bytes are a big-endian u64 POSIX timestamp followed by the Ed25519 signature of
 *
 *     cosignature/v1
 *     time <timestamp>
 *     <the checkpoint's note text, final newline included, no signature lines>
 *
 * The message does not name the witness, so a witness key must never sign for two names.
 */

const MAX_U63 = 2n ** 63n - 1n;

export function cosignatureMessage(checkpointText: string, timestamp: number): string {
  return `cosignature/v1\ntime ${timestamp}\n${checkpointText}`;
}

export interface Cosigner {
  name: string;
  keyId: number;
  /** Cosigns a checkpoint's note text at `timestamp` (POSIX seconds). */
  cosign(checkpointText: string, timestamp: number): NoteSignature;
}

export function cosignatureKeyId(name: string, publicKey: KeyObject): number {
  return noteKeyId(name, SIGNATURE_TYPE.cosignatureV1, rawEd25519PublicKey(publicKey));
}

export function ed25519Cosigner(name: string, privateKey: KeyObject): Cosigner {
  checkKeyName(name);
  const keyId = cosignatureKeyId(name, privateKey);
  return {
    name,
    keyId,
    cosign(checkpointText, timestamp) {
      parseCheckpoint(checkpointText); // a witness cosigns checkpoints, nothing else
      if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError('timestamp: POSIX seconds');
      const signature = sign(null, Buffer.from(cosignatureMessage(checkpointText, timestamp), 'utf8'), privateKey);
      const bytes = Buffer.alloc(8 + signature.length);
      bytes.writeBigUInt64BE(BigInt(timestamp), 0);
      bytes.set(signature, 8);
      return { name, keyId, signature: new Uint8Array(bytes) };
    },
  };
}

/** The timestamp a cosignature/v1 carries, in POSIX seconds. */
export function cosignatureTimestamp(s: NoteSignature): number {
  if (s.signature.length !== 72) throw new TlogError('malformed-cosignature', 'a cosignature/v1 has 8 + 64 bytes');
  const t = Buffer.from(s.signature).readBigUInt64BE(0);
  if (t > MAX_U63) throw new TlogError('malformed-cosignature', 'timestamp above 2^63 − 1');
  if (t > BigInt(Number.MAX_SAFE_INTEGER)) throw new TlogError('malformed-cosignature', 'timestamp out of range');
  return Number(t);
}

export interface CosignatureVerifierOptions {
  /** Refuse cosignatures dated more than this many seconds ahead of `now` (the spec allows it). */
  maxFutureSeconds?: number;
  now?: () => Date;
}

export function cosignatureVerifier(
  name: string,
  publicKey: KeyObject,
  options: CosignatureVerifierOptions = {},
): NoteVerifier {
  checkKeyName(name);
  const keyId = cosignatureKeyId(name, publicKey);
  const now = options.now ?? (() => new Date());
  return {
    name,
    keyId,
    verify(text, signature) {
      if (signature.length !== 72) return false;
      let timestamp: number;
      try {
        timestamp = cosignatureTimestamp({ name, keyId, signature });
      } catch {
        return false;
      }
      if (options.maxFutureSeconds !== undefined && timestamp > now().getTime() / 1000 + options.maxFutureSeconds) {
        return false;
      }
      const message = Buffer.from(cosignatureMessage(text, timestamp), 'utf8');
      return verify(null, message, publicKey, signature.subarray(8));
    },
  };
}

/**
 * A verifier from a verifier key string (`<name>+<id>+<base64(type || key)>`): type 0x01 for a
 * log's own signature, 0x04 for a witness's cosignature. Other types are refused: Rezo pins Ed25519.
 */
export function verifierFromKey(vkey: string, options: CosignatureVerifierOptions = {}): NoteVerifier {
  const k = decodeVerifierKey(vkey);
  const publicKey = ed25519PublicKeyFromRaw(k.publicKey);
  if (k.type === SIGNATURE_TYPE.ed25519) return ed25519NoteVerifier(k.name, publicKey);
  if (k.type === SIGNATURE_TYPE.cosignatureV1) return cosignatureVerifier(k.name, publicKey, options);
  throw new TlogError('malformed-key', `unsupported signature type 0x${k.type.toString(16)}`);
}
