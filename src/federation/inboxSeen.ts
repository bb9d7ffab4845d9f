import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';

/**
 * Records an activity id as applied, in the effect's transaction; false when it already was (the
 * caller then does nothing). Fedify's own idempotence key lives one day and is written after the
 * listener: this one lasts 30 days and holds under two simultaneous deliveries (the primary key).
 */
export async function firstTime(trx: Trx, activityId: string): Promise<boolean> {
  const result = await trx
    .insertInto('federation_inbox_seen')
    .values({ activity_id: activityId })
    .onConflict((oc) => oc.column('activity_id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Forgets applied ids after 30 days (hourly housekeeping). */
export async function purgeInboxSeen(db: Db): Promise<number> {
  const result = await db
    .deleteFrom('federation_inbox_seen')
    .where('seen_at', '<', sql<Date>`now() - interval '30 days'`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
