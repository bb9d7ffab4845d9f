import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import { bumpSequence, lockEvent, type AgendaEvent } from './events.ts';

/**
 * Cancels a published (or postponed) event. Its page stays, marked cancelled, and feeds carry
 * STATUS:CANCELLED so subscribed calendars update instead of silently keeping it.
 */
export async function cancelEvent(db: Db, actor: Actor, input: { eventId: string }): Promise<AgendaEvent> {
  return inTransaction(db, async (trx) => {
    const event = await lockEvent(trx, input.eventId);
    await authorize(trx, actor, event.placeId, 'events.write');
    if (event.state !== 'published' && event.state !== 'postponed') {
      throw new DomainError('agenda-transition', 409, { from: event.state, to: 'cancelled' });
    }
    await trx
      .updateTable('events')
      .set({ state: 'cancelled' })
      .where('place_id', '=', event.placeId)
      .where('id', '=', event.id)
      .execute();
    await bumpSequence(trx, event.placeId, event.id);
    await audit(trx, actor, { placeId: event.placeId, action: 'event.cancelled', subjectId: event.id });
    return lockEvent(trx, event.id);
  });
}
