import { leafHash } from './merkle.ts';
import { checkKeyName } from './signedNote.ts';

/**
 * How a node's ledger becomes a transparency log (docs/FEDERATION.md, "Ledger witnessing"): one log
 * per currency, whose leaf i is the sealed block number i + 1, and whose origin names the node and
 * the currency. The leaf data is the block's 32-byte hash (docs/LEDGER.md, "Canonical encoding"): it
 * already covers the currency, the block number, the previous block's hash, the transfers and the
 * supply, so the tree commits to the whole chain, the legacy per-transfer chain included (block 1
 * names its head).
 */

/** `<host[:port]>/rezo/ledger/<currency code>`: also the key name of the node's checkpoint signatures. */
export function ledgerLogOrigin(host: string, currencyCode: string): string {
  const origin = `${host.toLowerCase()}/rezo/ledger/${currencyCode}`;
  checkKeyName(origin);
  return origin;
}

export function blockLeafHash(blockHashHex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(blockHashHex)) throw new RangeError('a block hash is 64 lowercase hex digits');
  return leafHash(Buffer.from(blockHashHex, 'hex'));
}
