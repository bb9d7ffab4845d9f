import { createHash } from 'node:crypto';

/**
 * A UUID derived from a sale id and a label (UUIDv5-like: SHA-256, version nibble 5, RFC 4122
 * variant). The ledger transfers of a sale get ids derived from the sale's id, so a retry of the
 * sale can never mint or debit twice: the same sale always names the same transfers.
 */
export function derivedId(saleId: string, label: string): string {
  const b = createHash('sha256').update(`rezo-till-v1|${saleId.toLowerCase()}|${label}`).digest();
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
