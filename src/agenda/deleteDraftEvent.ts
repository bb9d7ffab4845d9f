import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import { deleteUnusedMedia } from './eventMedia.ts';
import { lockEvent } from './events.ts';

/**
 * Deletes a draft (and its dates and tags). An event that was ever published is never deleted:
 * people may have it in their calendars; it is cancelled instead.
 */
export async function deleteDraftEvent(db: Db, actor: Actor, input: { eventId: string }): Promise<{ deleted: string }> {
  return inTransaction(db, async (trx) => {
    const event = await lockEvent(trx, input.eventId);
    await authorize(trx, actor, event.placeId, 'events.write');
    if (event.state !== 'draft' || event.publishedAt !== null) {
      throw new DomainError('agenda-transition', 409, { from: event.state, to: 'deleted' });
    }
    await trx.deleteFrom('events').where('place_id', '=', event.placeId).where('id', '=', event.id).execute();
    await deleteUnusedMedia(trx, event.placeId, [event.imageListMediaId, event.imagePageMediaId]);
    await audit(trx, actor, {
      placeId: event.placeId,
      action: 'event.deleted',
      subjectId: event.id,
      data: { slug: event.slug, title: event.title },
    });
    return { deleted: event.id };
  });
}
