import type { Db } from '../../db/database.ts';
import { blockLeafHash } from '../tlog/ledgerLog.ts';

/**
 * The leaves of a currency's log: leaf i is the RFC 6962 leaf hash of sealed block i + 1's hash
 * (docs/FEDERATION.md, "The log"). Read whole: roots and proofs are computed from all the leaves,
 * which is fine for thousands of blocks (the stored complete subtrees of the design are not built).
 */
export async function logLeaves(db: Db, currencyId: string, size?: number): Promise<Uint8Array[]> {
  let q = db
    .selectFrom('ledger_blocks')
    .select(['number', 'hash'])
    .where('currency_id', '=', currencyId)
    .orderBy('number');
  if (size !== undefined) q = q.where('number', '<=', size);
  const rows = await q.execute();
  // Blocks are numbered 1, 2, 3… without gaps (the sealer's invariant): a gap would shift every leaf.
  rows.forEach((r, i) => {
    if (Number(r.number) !== i + 1) throw new Error(`block ${i + 1} is missing from the log`);
  });
  return rows.map((r) => blockLeafHash(r.hash));
}

/** Block hashes of a log, leaves `from` (inclusive, 0-based) to `to` (exclusive): what peers recompute trees from. */
export async function logBlockHashes(db: Db, currencyId: string, from: number, to: number): Promise<string[]> {
  const rows = await db
    .selectFrom('ledger_blocks')
    .select('hash')
    .where('currency_id', '=', currencyId)
    .where('number', '>', from)
    .where('number', '<=', to)
    .orderBy('number')
    .execute();
  return rows.map((r) => r.hash);
}
