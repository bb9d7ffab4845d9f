import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  MAX_NOTE_SIGNATURES,
  SIGNATURE_TYPE,
  decodeNoteBytes,
  decodeVerifierKey,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  ed25519PublicKeyFromRaw,
  formatVerifierKey,
  openNote,
  parseNote,
  rawEd25519PublicKey,
  signNote,
  type NoteVerifier,
} from './signedNote.ts';
import { TlogError } from './tlogError.ts';

/** An Ed25519 private key from its 32-byte seed (RFC 8410 PKCS#8 prefix + seed). */
function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  const prefix = Buffer.from('302e020100300506032b657004220420', 'hex');
  return createPrivateKey({ key: Buffer.concat([prefix, seed]), format: 'der', type: 'pkcs8' });
}

function verifierFromVkey(vkey: string): NoteVerifier {
  const k = decodeVerifierKey(vkey);
  assert.equal(k.type, SIGNATURE_TYPE.ed25519);
  return ed25519NoteVerifier(k.name, ed25519PublicKeyFromRaw(k.publicKey));
}

const rejects = (code: string) => (error: unknown) => error instanceof TlogError && error.code === code;

// golang.org/x/mod/sumdb/note's documented example: a signer key (type byte 0x01 + 32-byte seed),
// its verifier key, and the note it produces. Ed25519 is deterministic, so signing the same text
// must give the same bytes.
const GO_SIGNER = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VERIFIER = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

// The test vector of the C2SP signed-note specification's test suite.
const C2SP_VERIFIER = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k';
const C2SP_TEXT = 'This is an example message.\n';
const C2SP_LINE =
  '\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';

describe('C2SP signed-note: published vectors', () => {
  test("Go's sumdb/note example: same key ID, same verifier key, byte-for-byte the same note", () => {
    // PRIVATE+KEY+<name>+<id>+<base64>: the base64 may itself contain '+'.
    const [, , name, idHex, ...rest] = GO_SIGNER.split('+');
    const bytes = Buffer.from(rest.join('+'), 'base64');
    assert.equal(bytes[0], SIGNATURE_TYPE.ed25519);
    const privateKey = privateKeyFromSeed(bytes.subarray(1));
    const signer = ed25519NoteSigner(name!, privateKey);
    assert.equal(signer.keyId.toString(16).padStart(8, '0'), idHex);
    assert.equal(formatVerifierKey(name!, SIGNATURE_TYPE.ed25519, rawEd25519PublicKey(privateKey)), GO_VERIFIER);
    assert.equal(signNote(GO_TEXT, [signer]), GO_NOTE);
    const opened = openNote(GO_NOTE, [verifierFromVkey(GO_VERIFIER)]);
    assert.equal(opened.text, GO_TEXT);
    assert.deepEqual(
      opened.verified.map((s) => s.name),
      ['PeterNeumann'],
    );
  });

  test('the C2SP example verifies with its verifier key, whose raw key is the published one', () => {
    const k = decodeVerifierKey(C2SP_VERIFIER);
    assert.equal(k.name, 'example.com/foo');
    assert.equal(k.keyId, 0x530d903a);
    assert.equal(
      Buffer.from(k.publicKey).toString('hex'),
      'e932791ae6e7a840a46164c904786426d5e7821dd8b29a00d61cae72afdd4da4',
    );
    const opened = openNote(`${C2SP_TEXT}\n${C2SP_LINE}`, [verifierFromVkey(C2SP_VERIFIER)]);
    assert.equal(opened.text, C2SP_TEXT);
    assert.throws(
      () => openNote(`This is an example message!\n\n${C2SP_LINE}`, [verifierFromVkey(C2SP_VERIFIER)]),
      rejects('invalid-signature'),
    );
  });
});

describe('C2SP signed-note: verification rules', () => {
  const ours = generateKeyPairSync('ed25519');
  const theirs = generateKeyPairSync('ed25519');
  const signer = ed25519NoteSigner('rezo.example/ledger/EUR', ours.privateKey);
  const verifier = ed25519NoteVerifier('rezo.example/ledger/EUR', ours.publicKey);
  const text = 'rezo.example/ledger/EUR\n12\nq1Y4cDdxiQnNQk1q2mWmL+uGz5Uq0Vt3Gm6cO6T3jY8=\n';

  test('a signature from an unknown key is ignored, not fatal; the known one verifies', () => {
    const stranger = ed25519NoteSigner('peer.example/witness', theirs.privateKey);
    const note = signNote(text, [signer, stranger]);
    const opened = openNote(note, [verifier]);
    assert.deepEqual(
      opened.verified.map((s) => s.name),
      ['rezo.example/ledger/EUR'],
    );
    assert.deepEqual(
      opened.unknown.map((s) => s.name),
      ['peer.example/witness'],
    );
  });

  test('same name but another key (another key ID) is unknown: the note is unverified', () => {
    const impostor = ed25519NoteSigner('rezo.example/ledger/EUR', theirs.privateKey);
    assert.notEqual(impostor.keyId, signer.keyId);
    assert.throws(() => openNote(signNote(text, [impostor]), [verifier]), rejects('unverified-note'));
  });

  test('a known key whose signature fails rejects the whole note, even with another good signature', () => {
    const good = signNote(text, [signer]);
    const other = signNote('another text\n', [signer]);
    const badLine = other.slice(other.lastIndexOf('\n\n') + 2);
    const stranger = ed25519NoteSigner('peer.example/witness', theirs.privateKey);
    const note = good + badLine;
    assert.throws(() => openNote(note, [verifier]), rejects('invalid-signature'));
    const mixed = signNote(text, [stranger]) + badLine;
    assert.throws(
      () => openNote(mixed, [verifier, ed25519NoteVerifier('peer.example/witness', theirs.publicKey)]),
      rejects('invalid-signature'),
    );
  });

  test('a changed text, size or root no longer verifies', () => {
    const note = signNote(text, [signer]);
    assert.throws(() => openNote(note.replace('\n12\n', '\n13\n'), [verifier]), rejects('invalid-signature'));
  });

  test('format: blank line, final newline, control characters, base64, names, count and size limits', () => {
    const note = signNote(text, [signer]);
    const sigLine = note.slice(note.lastIndexOf('\n\n') + 2);
    assert.throws(() => parseNote(text + sigLine), rejects('malformed-note'), 'no blank line');
    assert.throws(() => parseNote(note.slice(0, -1)), rejects('malformed-note'), 'no final newline');
    assert.throws(() => parseNote(`a\tb\n\n${sigLine}`), rejects('malformed-note'), 'tab');
    assert.throws(() => parseNote(`a\r\n\n${sigLine}`), rejects('malformed-note'), 'carriage return');
    assert.throws(() => parseNote(`${text}\n${sigLine.replace('=\n', '\n')}`), rejects('malformed-note'), 'padding');
    assert.throws(() => parseNote(`${text}\n${sigLine.replace('\u2014 ', '-- ')}`), rejects('malformed-note'));
    assert.throws(() => parseNote(`${text}\n\u2014 a+b AAAAAAA=\n`), rejects('malformed-note'), 'plus in name');
    assert.throws(() => parseNote(`${text}\n\u2014 short AAAA\n`), rejects('malformed-note'), 'key ID only');
    assert.throws(() => parseNote(`${text}\n`), rejects('malformed-note'), 'no signature');
    assert.throws(() => parseNote(text + '\n' + sigLine.repeat(MAX_NOTE_SIGNATURES + 1)), rejects('malformed-note'));
    assert.equal(parseNote(text + '\n' + sigLine.repeat(MAX_NOTE_SIGNATURES)).signatures.length, MAX_NOTE_SIGNATURES);
    assert.throws(() => parseNote('x'.repeat(20_000) + '\n\n' + sigLine), rejects('malformed-note'), 'too large');
    assert.throws(() => signNote('no newline', [signer]), rejects('malformed-note'));
    assert.throws(() => ed25519NoteSigner('two words', ours.privateKey), rejects('malformed-key'));
  });

  test('the text may itself contain blank lines: the last one separates the signatures', () => {
    const multi = 'first\n\nsecond\n';
    const opened = openNote(signNote(multi, [signer]), [verifier]);
    assert.equal(opened.text, multi);
  });

  test('bytes from the network: invalid UTF-8 is refused', () => {
    assert.throws(() => decodeNoteBytes(Uint8Array.of(0x61, 0xff, 0x0a)), rejects('malformed-note'));
    assert.equal(decodeNoteBytes(Buffer.from(GO_NOTE, 'utf8')), GO_NOTE);
  });

  test('verifier keys: round trip, a wrong key ID or a stray "+" is refused', () => {
    const vkey = formatVerifierKey(
      'rezo.example/ledger/EUR',
      SIGNATURE_TYPE.ed25519,
      rawEd25519PublicKey(ours.publicKey),
    );
    const k = decodeVerifierKey(vkey);
    assert.equal(k.keyId, signer.keyId);
    const parts = vkey.split('+');
    const wrongId = [parts[0], '00000000', ...parts.slice(2)].join('+');
    assert.throws(() => decodeVerifierKey(wrongId), rejects('malformed-key'));
    assert.throws(() => decodeVerifierKey('noplus'), rejects('malformed-key'));
    assert.throws(() => decodeVerifierKey(`name+${parts[1]}+!!!`), rejects('malformed-key'));
  });
});
