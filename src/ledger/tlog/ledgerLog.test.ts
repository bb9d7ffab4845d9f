import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { blockLeafHash, ledgerLogOrigin } from './ledgerLog.ts';
import { TlogError } from './tlogError.ts';

describe('the ledger as a transparency log', () => {
  test('a leaf is SHA-256(0x00 || the 32 bytes of the block hash)', () => {
    const block = createHash('sha256').update('rezo-block-v1|EUR|1|…').digest('hex');
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.of(0), Buffer.from(block, 'hex')]))
      .digest('hex');
    assert.equal(Buffer.from(blockLeafHash(block)).toString('hex'), expected);
    assert.throws(() => blockLeafHash(block.toUpperCase()), RangeError);
    assert.throws(() => blockLeafHash(block.slice(2)), RangeError);
  });

  test('the origin names host (port kept) and currency, and is a valid key name', () => {
    assert.equal(ledgerLogOrigin('Rezo.Example:8443', 'EUR'), 'rezo.example:8443/rezo/ledger/EUR');
    assert.throws(() => ledgerLogOrigin('bad host', 'EUR'), TlogError);
    assert.throws(() => ledgerLogOrigin('a+b', 'EUR'), TlogError);
  });
});
