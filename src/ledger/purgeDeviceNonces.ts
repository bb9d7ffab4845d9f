import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { DEVICE_CLOCK_SKEW_MS } from './deviceSignature.ts';

/**
 * How long a device request's nonce is kept. A request is accepted only if its timestamp is within
 * DEVICE_CLOCK_SKEW_MS of the server's clock, so a nonce seen at time s came with a timestamp of at
 * most s + skew, and a replay after s + 2 × skew is refused as stale whatever the nonce table says.
 * One hour leaves a wide margin over those ten minutes (several node processes, clocks a little apart).
 */
export const NONCE_RETENTION_MS = 60 * 60_000;

/**
 * Deletes the nonces of device requests that can no longer be replayed (see NONCE_RETENTION_MS):
 * without it the table grows by one row per signed request, forever. The newest nonce of each device
 * is kept, since it tells when the device was last seen (devices page). Returns how many rows went.
 */
export async function purgeDeviceNonces(db: Db, now = new Date()): Promise<number> {
  if (NONCE_RETENTION_MS < 2 * DEVICE_CLOCK_SKEW_MS) throw new Error('nonces must outlive two clock skews');
  const cutoff = new Date(now.getTime() - NONCE_RETENTION_MS);
  const result = await sql`delete from ledger_device_nonces n
    using (select place_id, device_id, max(seen_at) as last from ledger_device_nonces group by place_id, device_id) m
    where n.place_id = m.place_id and n.device_id = m.device_id and n.seen_at < ${cutoff}::timestamptz and n.seen_at < m.last`.execute(
    db,
  );
  return Number(result.numAffectedRows ?? 0);
}
