import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { isSkip, parseRemoteEvent } from './parseRemoteEvent.ts';
import { withinStoredRange } from './storeRemoteEvent.ts';

/** How long a received event outlives the last follow of its origin (a follow removed by mistake and made again keeps them). */
const UNFOLLOWED_GRACE = sql<Date>`now() - interval '24 hours'`;
/** Rows re-parsed per run: the rest wait for the next hour. */
const REPARSE_BATCH = 500;

/** SQL: some local actor follows the row's origin actor (accepted). */
const FOLLOWED = sql<boolean>`exists (select 1 from federation_follows f
  where f.remote_actor = federation_remote_events.origin_actor and f.state = 'accepted')`;

/**
 * Hourly (docs/FEDERATION.md, "Built in session 7: remote events in the local agenda"): received
 * events whose origin no local actor follows any more are marked, and deleted 24 h after; a follow
 * made again within the day unmarks them. Rows stored before migration 0032 (`parsed` null) are
 * parsed from their raw JSON; one that is no event, or whose dates are out of range, is deleted.
 */
export async function cleanRemoteEvents(
  db: Db,
  now = new Date(),
): Promise<{ unfollowed: number; deleted: number; reparsed: number }> {
  const marked = await db
    .updateTable('federation_remote_events')
    .set({ unfollowed_since: sql<Date>`now()` })
    .where('unfollowed_since', 'is', null)
    .where(sql<boolean>`not ${FOLLOWED}`)
    .executeTakeFirst();
  await db
    .updateTable('federation_remote_events')
    .set({ unfollowed_since: null })
    .where('unfollowed_since', 'is not', null)
    .where(FOLLOWED)
    .execute();
  const expired = await db
    .deleteFrom('federation_remote_events')
    .where('unfollowed_since', '<', UNFOLLOWED_GRACE)
    .executeTakeFirst();
  let deleted = Number(expired.numDeletedRows);
  let reparsed = 0;
  const rows = await db
    .selectFrom('federation_remote_events')
    .select(['id', 'raw'])
    .where('parsed', 'is', null)
    .limit(REPARSE_BATCH)
    .execute();
  for (const row of rows) {
    const event = parseRemoteEvent(row.raw);
    if (isSkip(event) || event.id !== row.id || !withinStoredRange(event, now)) {
      await db.deleteFrom('federation_remote_events').where('id', '=', row.id).where('parsed', 'is', null).execute();
      deleted++;
      continue;
    }
    await db
      .updateTable('federation_remote_events')
      .set({
        parsed: JSON.stringify(event),
        starts_at: event.startsAt,
        ends_at: event.endsAt,
        tags: event.tags,
        sequence: event.sequence,
      })
      .where('id', '=', row.id)
      .where('parsed', 'is', null)
      .execute();
    reparsed++;
  }
  return { unfollowed: Number(marked.numUpdatedRows), deleted, reparsed };
}
