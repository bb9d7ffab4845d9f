/** The door's reads: what a door phone needs to check tickets offline, and the events it may scan. */
import type { Db } from '../db/database.ts';
import { eventDateIds, eventOfPlace, publishedDatesFrom } from '../agenda/index.ts';
import { formatDateTime, type Language } from '../i18n/i18n.ts';
import { getPlaceBySlug, type Place } from '../places/index.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { authorizeDoor, type DoorActor } from './checkIn.ts';
import { publicKeysOf } from './ticketSignature.ts';

/** What a door phone needs to decide offline: keys, revoked tickets, entries so far, the event's dates. */
export interface CheckinData {
  venueId: string;
  keys: { id: string; publicKey: string; algorithm: 'Ed25519' }[];
  revoked: string[];
  entered: string[];
  dateIds: string[];
  /** Tickets of the event still valid (sold and neither cancelled nor refunded), for the door's counter. */
  sold: number;
}

/** An event of this venue, or 404. */
export async function doorEvent(db: Db, place: Place, eventId: string): Promise<{ id: string; title: string }> {
  const event = isUuid(eventId) ? await eventOfPlace(db, place.id, eventId) : undefined;
  if (!event) throw notFound('event');
  return event;
}

/** Door team or admin (or a `checkin` key, or a scanner device of the venue) only; a read, so no transaction or audit entry. */
export async function checkinData(db: Db, actor: DoorActor, slug: string, eventId: string): Promise<CheckinData> {
  const place = await getPlaceBySlug(db, slug);
  await authorizeDoor(db, actor, place.id);
  const event = await doorEvent(db, place, eventId);
  const [keys, revoked, entered, dates, sold] = await Promise.all([
    publicKeysOf(db, place.id),
    db
      .selectFrom('tickets')
      .select('id')
      .where('place_id', '=', place.id)
      .where('event_id', '=', event.id)
      .where('status', 'in', ['cancelled', 'refunded'])
      .execute(),
    db
      .selectFrom('checkins as c')
      .innerJoin('checkin_lists as l', (j) => j.onRef('l.place_id', '=', 'c.place_id').onRef('l.id', '=', 'c.list_id'))
      .select('c.ticket_id')
      .where('c.place_id', '=', place.id)
      .where('l.event_id', '=', event.id)
      .where('l.is_default', '=', true)
      .where('c.result', '=', 'valid')
      .execute(),
    eventDateIds(db, place.id, event.id),
    db
      .selectFrom('tickets')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('place_id', '=', place.id)
      .where('event_id', '=', event.id)
      .where('status', '=', 'valid')
      .executeTakeFirstOrThrow(),
  ]);
  return {
    venueId: place.id,
    keys: keys.map((k) => ({ ...k, algorithm: 'Ed25519' as const })),
    revoked: revoked.map((r) => r.id),
    entered: entered.flatMap((r) => (r.ticket_id ? [r.ticket_id] : [])),
    dateIds: dates,
    sold: Number(sold.n),
  };
}

/** The venue's published events with a date still open at the door (started less than 12 hours ago), soonest first. */
export async function doorEvents(
  db: Db,
  placeId: string,
  lang: Language,
): Promise<{ id: string; title: string; dates: string[] }[]> {
  const rows = await publishedDatesFrom(db, placeId, new Date(Date.now() - 12 * 3_600_000));
  const events = new Map<string, { id: string; title: string; dates: string[] }>();
  for (const r of rows) {
    const e = events.get(r.id) ?? { id: r.id, title: r.title, dates: [] };
    e.dates.push(formatDateTime(lang, r.starts_at, r.timezone));
    events.set(r.id, e);
  }
  return [...events.values()];
}
