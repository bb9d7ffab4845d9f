import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { chooseSlug, lockEvent, writeDates, writeTags, type AgendaEvent } from './events.ts';
import { daysBetween, localDate, shiftLocal } from './zonedTime.ts';

/** How far to move the copy: a day, a week, a month later, or so that its first date falls on `date`. */
export type DuplicateShift = 'day' | 'week' | 'month' | { date: string };

/**
 * Copies an event as a new draft with its dates moved. Dates move in wall-clock time of their own
 * zone, so a 20:00 concert stays at 20:00 across a DST change. The copy shares the image rows
 * (deleteUnusedMedia keeps them while one event uses them).
 */
export async function duplicateEvent(
  db: Db,
  actor: Actor,
  input: { eventId: string; shift: DuplicateShift },
): Promise<AgendaEvent> {
  const shift = input.shift;
  if (typeof shift === 'object' && !/^\d{4}-\d{2}-\d{2}$/.test(shift.date ?? '')) {
    throw new DomainError('validation', 422, {}, [{ field: 'date', message: 'agenda.date' }]);
  }
  if (typeof shift !== 'object' && !['day', 'week', 'month'].includes(shift)) {
    throw new DomainError('validation', 422, {}, [{ field: 'shift', message: 'choice' }]);
  }
  return inTransaction(db, async (trx) => {
    const source = await lockEvent(trx, input.eventId);
    await authorize(trx, actor, source.placeId, 'events.write');
    const first = source.dates[0];
    const move = (instant: Date, timezone: string): Date => {
      if (shift === 'day') return shiftLocal(instant, timezone, { days: 1 });
      if (shift === 'week') return shiftLocal(instant, timezone, { days: 7 });
      if (shift === 'month') return shiftLocal(instant, timezone, { months: 1 });
      // Every date moves by the number of days between the first date and the chosen day.
      const days = first ? daysBetween(localDate(first.startsAt, first.timezone), shift.date) : 0;
      return shiftLocal(instant, timezone, { days });
    };
    const id = uuidv7();
    const slug = await chooseSlug(trx, null, source.title, id);
    await trx
      .insertInto('events')
      .values({
        place_id: source.placeId,
        id,
        slug,
        title: source.title,
        description_md: source.descriptionMd,
        description_html: source.descriptionHtml,
        state: 'draft',
        visibility: source.visibility,
        at_venue: source.atVenue,
        location_name: source.locationName,
        street: source.street,
        postal_code: source.postalCode,
        city: source.city,
        country: source.country,
        latitude: source.latitude,
        longitude: source.longitude,
        organisers: source.organisers,
        performers: source.performers,
        accessibility: source.accessibility,
        external_url: source.externalUrl,
        capacity: source.capacity,
        price_from_cents: source.priceFromCents,
        currency: source.currency,
        image_list_media_id: source.imageListMediaId,
        image_page_media_id: source.imagePageMediaId,
      })
      .execute();
    await writeTags(trx, source.placeId, id, source.tags);
    await writeDates(
      trx,
      source.placeId,
      id,
      source.dates.map((d) => {
        const startsAt = move(d.startsAt, d.timezone);
        // The end keeps the duration, so an event that ends after midnight still does.
        const endsAt = d.endsAt ? new Date(startsAt.getTime() + (d.endsAt.getTime() - d.startsAt.getTime())) : null;
        return { id: null, startsAt, endsAt, timezone: d.timezone };
      }),
    );
    await audit(trx, actor, {
      placeId: source.placeId,
      action: 'event.duplicated',
      subjectId: id,
      data: { from: source.id, shift: typeof shift === 'object' ? shift.date : shift },
    });
    return lockEvent(trx, id);
  });
}
