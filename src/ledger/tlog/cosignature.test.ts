import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { formatCheckpoint, openCheckpoint } from './checkpoint.ts';
import {
  cosignatureMessage,
  cosignatureTimestamp,
  cosignatureVerifier,
  ed25519Cosigner,
  verifierFromKey,
} from './cosignature.ts';
import { EMPTY_ROOT } from './merkle.ts';
import {
  SIGNATURE_TYPE,
  decodeVerifierKey,
  formatNote,
  formatVerifierKey,
  openNote,
  rawEd25519PublicKey,
} from './signedNote.ts';
import { TlogError } from './tlogError.ts';

const rejects = (code: string) => (error: unknown) => error instanceof TlogError && error.code === code;

// A real checkpoint of Certificate Transparency's staging log "arche2025h1", as published with its
// witnesses' cosignatures (kept as a test vector by tlog-scales, and the witnesses' verifier keys as
// their operators publish them). The first line is an RFC 6962 signature (type 0x05) Rezo does not
// know: it must be ignored.
const REAL_CHECKPOINT = `arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

\u2014 arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
\u2014 arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
\u2014 transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
\u2014 witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
\u2014 remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
\u2014 witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
`;
const LOG_KEY = 'arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f';
const WITNESS_KEYS = [
  'transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM',
  'witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO',
  'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2',
  'witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv',
];

describe('C2SP tlog-cosignature (cosignature/v1)', () => {
  test('a real CT checkpoint: the log signature and four witnesses’ cosignatures verify, with their time', () => {
    const opened = openCheckpoint(
      REAL_CHECKPOINT,
      [LOG_KEY, ...WITNESS_KEYS].map((k) => verifierFromKey(k)),
    );
    assert.equal(opened.checkpoint.size, 1432088532);
    assert.deepEqual(
      opened.verified.map((s) => s.name),
      [
        'arche2025h1.staging.ct.transparency.dev',
        'transparency.dev/DEV:witness-little-garden',
        'witness1.smartit.nu/witness1',
        'remora.n621.de',
        'witness.stagemole.eu',
      ],
    );
    assert.equal(opened.unknown.length, 1, 'the RFC 6962 (type 0x05) signature is ignored');
    const times = opened.verified.slice(1).map(cosignatureTimestamp);
    for (const t of times) assert.ok(t > 1_700_000_000 && t < 1_900_000_000, `timestamp ${t}`);
    for (const k of WITNESS_KEYS) assert.equal(decodeVerifierKey(k).type, SIGNATURE_TYPE.cosignatureV1);
  });

  test('the same cosignatures no longer verify once the size is changed', () => {
    const clobbered = REAL_CHECKPOINT.replace('\n1432088532\n', '\n1432088533\n');
    assert.throws(() => openNote(clobbered, [verifierFromKey(WITNESS_KEYS[2]!)]), rejects('invalid-signature'));
  });

  test('a Rezo witness cosigns a checkpoint; a log verifies it with the witness key and reads the time', () => {
    const witness = generateKeyPairSync('ed25519');
    const text = formatCheckpoint({ origin: 'a.example/ledger/EUR', size: 0, rootHash: EMPTY_ROOT, extensions: [] });
    const cosigner = ed25519Cosigner('b.example/witness', witness.privateKey);
    const sig = cosigner.cosign(text, 1_796_000_000);
    assert.equal(sig.signature.length, 72);
    assert.equal(cosignatureTimestamp(sig), 1_796_000_000);
    const verifier = cosignatureVerifier('b.example/witness', witness.publicKey);
    assert.ok(verifier.verify(text, sig.signature));
    assert.equal(verifier.keyId, sig.keyId);
    assert.ok(openNote(formatNote(text, [sig]), [verifier]));
    // The message: two header lines, then the checkpoint text.
    assert.equal(cosignatureMessage(text, 1_796_000_000), `cosignature/v1\ntime 1796000000\n${text}`);
  });

  test('type 0x04 and type 0x01 key IDs differ for the same key: a log signature is not a cosignature', () => {
    const k = generateKeyPairSync('ed25519');
    const text = formatCheckpoint({ origin: 'o', size: 0, rootHash: EMPTY_ROOT, extensions: [] });
    const cosig = ed25519Cosigner('w', k.privateKey).cosign(text, 1);
    const asLog = verifierFromKey(formatVerifierKey('w', SIGNATURE_TYPE.ed25519, rawEd25519PublicKey(k.publicKey)));
    assert.notEqual(asLog.keyId, cosig.keyId);
    assert.throws(() => openNote(formatNote(text, [cosig]), [asLog]), rejects('unverified-note'));
  });

  test('a changed timestamp, a future timestamp (when refused), a short signature: not verified', () => {
    const k = generateKeyPairSync('ed25519');
    const text = formatCheckpoint({ origin: 'o', size: 0, rootHash: EMPTY_ROOT, extensions: [] });
    const sig = ed25519Cosigner('w', k.privateKey).cosign(text, 1_796_000_000);
    const shifted = Uint8Array.from(sig.signature);
    shifted[7]! ^= 1;
    const now = () => new Date(1_796_000_000_000);
    assert.equal(cosignatureVerifier('w', k.publicKey).verify(text, shifted), false);
    const strict = cosignatureVerifier('w', k.publicKey, { maxFutureSeconds: 60, now });
    assert.ok(strict.verify(text, sig.signature));
    const later = ed25519Cosigner('w', k.privateKey).cosign(text, 1_796_000_000 + 3600);
    assert.equal(strict.verify(text, later.signature), false);
    assert.equal(strict.verify(text, sig.signature.slice(0, 71)), false);
    assert.throws(
      () => ed25519Cosigner('w', k.privateKey).cosign('not a checkpoint\n', 1),
      rejects('malformed-checkpoint'),
    );
  });
});
