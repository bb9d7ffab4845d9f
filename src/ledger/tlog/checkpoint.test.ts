import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint.ts';
import { leafHash, treeHash } from './merkle.ts';
import { ed25519NoteSigner, ed25519NoteVerifier } from './signedNote.ts';
import { TlogError } from './tlogError.ts';

const rejects = (code: string) => (error: unknown) => error instanceof TlogError && error.code === code;

// The example of the tlog-checkpoint specification.
const SPEC_TEXT = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';

describe('C2SP tlog-checkpoint', () => {
  test("the specification's example parses and formats back to the same text", () => {
    const c = parseCheckpoint(SPEC_TEXT);
    assert.equal(c.origin, 'example.com/behind-the-sofa');
    assert.equal(c.size, 20852163);
    assert.equal(Buffer.from(c.rootHash).toString('base64'), 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    assert.deepEqual(c.extensions, []);
    assert.equal(formatCheckpoint(c), SPEC_TEXT);
  });

  test('a tree head signed by the log opens with its key and gives back origin, size and root', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const origin = 'rezo.example/ledger/EUR';
    const leaves = ['a', 'b', 'c'].map((s) => leafHash(Buffer.from(s)));
    const note = signCheckpoint({ origin, size: 3, rootHash: treeHash(leaves), extensions: [] }, [
      ed25519NoteSigner(origin, privateKey),
    ]);
    const opened = openCheckpoint(note, [ed25519NoteVerifier(origin, publicKey)]);
    assert.equal(opened.checkpoint.size, 3);
    assert.deepEqual(opened.checkpoint.rootHash, treeHash(leaves));
    assert.equal(opened.text, formatCheckpoint(opened.checkpoint));
  });

  test('extension lines are kept, in order', () => {
    const c = parseCheckpoint(`${SPEC_TEXT}ext one\next two\n`);
    assert.deepEqual(c.extensions, ['ext one', 'ext two']);
    assert.equal(formatCheckpoint(c), `${SPEC_TEXT}ext one\next two\n`);
  });

  test('refused: missing lines, empty lines, sizes with a sign or leading zero, short or non-canonical roots', () => {
    const root = 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=';
    for (const bad of [
      'origin\n12\n',
      `origin\n12\n${root}`,
      `\n12\n${root}\n`,
      `origin\n012\n${root}\n`,
      `origin\n+12\n${root}\n`,
      `origin\n-1\n${root}\n`,
      `origin\n1e3\n${root}\n`,
      `origin\n${2 ** 53}\n${root}\n`,
      `origin\n12\n${root.slice(0, -4)}\n`,
      `origin\n12\nCsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=\n`,
      `origin\n12\n${root}\n\n`,
    ]) {
      assert.throws(() => parseCheckpoint(bad), rejects('malformed-checkpoint'), JSON.stringify(bad));
    }
    assert.equal(parseCheckpoint(`origin\n0\n${root}\n`).size, 0);
    assert.throws(
      () => formatCheckpoint({ origin: 'o', size: 1, rootHash: new Uint8Array(31), extensions: [] }),
      rejects('malformed-checkpoint'),
    );
  });
});
