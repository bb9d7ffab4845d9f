import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/**
 * Deletes pairing codes that expired unused more than a day ago: they can never pair a device and the
 * venue's devices page no longer lists them. Used codes stay (which code paired which device, by whom).
 * Returns how many rows went.
 */
export async function purgePairingCodes(db: Db): Promise<number> {
  const result = await db
    .deleteFrom('device_pairings')
    .where('used_at', 'is', null)
    .where('expires_at', '<', sql<Date>`now() - interval '1 day'`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
