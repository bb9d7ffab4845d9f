import type { Db } from '../db/database.ts';

/**
 * How long a spent wallet pass's row is kept after the pass expired. Past its expiry the pass is
 * refused by its own signed expiry, whatever the table says; an hour leaves a margin for node
 * processes whose clocks are a little apart.
 */
export const PASS_RETENTION_MS = 60 * 60_000;

/** Deletes the rows of wallet passes expired long enough ago (one row per wallet payment otherwise, forever). */
export async function purgeWalletPasses(db: Db, now = new Date()): Promise<number> {
  const result = await db
    .deleteFrom('ledger_wallet_passes')
    .where('expires_at', '<', new Date(now.getTime() - PASS_RETENTION_MS))
    .executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}
