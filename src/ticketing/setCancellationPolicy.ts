import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { eventOfPlace } from '../agenda/index.ts';

/**
 * Sets until how many hours before its earliest date a buyer may cancel their order of this event
 * (docs/TICKETING.md, "Cancellation and refunds"); null removes it: then only the venue cancels.
 */
export async function setCancellationPolicy(
  db: Db,
  actor: Actor,
  input: { slug: string; eventId: unknown; holderDeadlineHours: unknown },
): Promise<{ holderDeadlineHours: number | null }> {
  if (typeof input.eventId !== 'string' || !isUuid(input.eventId)) throw notFound('event');
  const eventId = input.eventId;
  const errors = new FieldErrors();
  const hours = input.holderDeadlineHours;
  if (hours !== null && !(Number.isInteger(hours) && (hours as number) >= 0 && (hours as number) <= 8760)) {
    errors.add('holderDeadlineHours', 'range-between', { min: 0, max: 8760 });
  }
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'events.write');
    const event = await eventOfPlace(trx, place.id, eventId);
    if (!event) throw notFound('event');
    if (hours === null) {
      await trx
        .deleteFrom('cancellation_policies')
        .where('place_id', '=', place.id)
        .where('event_id', '=', eventId)
        .execute();
    } else {
      await trx
        .insertInto('cancellation_policies')
        .values({ place_id: place.id, event_id: eventId, holder_deadline_hours: hours as number })
        .onConflict((oc) =>
          oc
            .columns(['place_id', 'event_id'])
            .doUpdateSet({ holder_deadline_hours: hours as number, updated_at: sql<Date>`now()` }),
        )
        .execute();
    }
    await audit(trx, actor, {
      placeId: place.id,
      action: 'event.cancellation-policy',
      subjectId: eventId,
      data: { holder_deadline_hours: hours },
    });
    return { holderDeadlineHours: hours as number | null };
  });
}
