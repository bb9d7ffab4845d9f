/** The door's reads: the dates to scan, and what a scanner needs to check tickets offline. */
import { sql } from 'kysely';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import type { Db } from '../db/database.ts';
import { getPlaceBySlug, type Place } from '../places/index.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { publicKeysOf } from './ticketSignature.ts';

/** What a door phone needs to decide offline: keys, revoked tickets, entries so far, the event's dates. */
export interface CheckinData {
  venueId: string;
  keys: { id: string; publicKey: string; algorithm: 'Ed25519' }[];
  revoked: string[];
  entered: string[];
  dateIds: string[];
}

export async function doorEvent(db: Db, place: Place, eventId: string) {
  if (!isUuid(eventId)) throw notFound('event');
  const event = await db
    .selectFrom('events')
    .select(['id', 'title'])
    .where('place_id', '=', place.id)
    .where('id', '=', eventId)
    .executeTakeFirst();
  if (!event) throw notFound('event');
  return event;
}

/** Door team or admin (or a `checkin` key) only; a read, so no transaction or audit entry. */
export async function checkinData(db: Db, actor: Actor, slug: string, eventId: string): Promise<CheckinData> {
  const place = await getPlaceBySlug(db, slug);
  await authorize(db, actor, place.id, 'checkin');
  const event = await doorEvent(db, place, eventId);
  const [keys, revoked, entered, dates] = await Promise.all([
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
    db
      .selectFrom('event_dates')
      .select('id')
      .where('place_id', '=', place.id)
      .where('event_id', '=', event.id)
      .execute(),
  ]);
  return {
    venueId: place.id,
    keys: keys.map((k) => ({ ...k, algorithm: 'Ed25519' as const })),
    revoked: revoked.map((r) => r.id),
    entered: entered.flatMap((r) => (r.ticket_id ? [r.ticket_id] : [])),
    dateIds: dates.map((d) => d.id),
  };
}

/** The published dates of a venue the door may scan, by start. Dates that started less than 12 hours ago still count: the door stays open during the show. */
export async function doorDates(db: Db, placeId: string) {
  return db
    .selectFrom('events as e')
    .innerJoin('event_dates as d', (j) => j.onRef('d.place_id', '=', 'e.place_id').onRef('d.event_id', '=', 'e.id'))
    .select(['e.id', 'e.title', 'd.starts_at', 'd.timezone'])
    .where('e.place_id', '=', placeId)
    .where('e.state', '=', 'published')
    .where('d.starts_at', '>=', sql<Date>`now() - interval '12 hours'`)
    .orderBy('d.starts_at')
    .limit(200)
    .execute();
}
