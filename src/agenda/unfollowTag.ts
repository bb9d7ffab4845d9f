import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';

/** Stops following a tag. Idempotent. */
export async function unfollowTag(
  db: Db,
  actor: Actor,
  input: { placeId: string; tag: string },
): Promise<{ removed: boolean }> {
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'events.write');
    const result = await trx
      .deleteFrom('tag_follows')
      .where('place_id', '=', input.placeId)
      .where('tag', '=', input.tag)
      .executeTakeFirst();
    const removed = Number(result.numDeletedRows) > 0;
    if (removed)
      await audit(trx, actor, { placeId: input.placeId, action: 'agenda.tag.unfollowed', data: { tag: input.tag } });
    return { removed };
  });
}
