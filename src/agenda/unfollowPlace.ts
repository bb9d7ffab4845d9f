import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { isUuid } from '../shared/ids.ts';

/** Stops showing another venue's events. Unfollowing a venue not followed is not an error (idempotent). */
export async function unfollowPlace(
  db: Db,
  actor: Actor,
  input: { placeId: string; followedPlaceId: string },
): Promise<{ removed: boolean }> {
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'events.write');
    if (!isUuid(input.followedPlaceId)) return { removed: false };
    const result = await trx
      .deleteFrom('place_follows')
      .where('place_id', '=', input.placeId)
      .where('followed_place_id', '=', input.followedPlaceId)
      .executeTakeFirst();
    const removed = Number(result.numDeletedRows) > 0;
    if (removed)
      await audit(trx, actor, {
        placeId: input.placeId,
        action: 'agenda.place.unfollowed',
        subjectId: input.followedPlaceId,
      });
    return { removed };
  });
}
