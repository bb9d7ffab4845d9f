/** The reads of an event's ticketing admin page: the event of the URL, its cancellation deadline, its waiting lists. */
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { PriceRow } from './readForOrder.ts';

/** The venue's event by id (title and slug for the page), or undefined. */
export async function venueEvent(db: Db, placeId: string, eventId: string) {
  return db
    .selectFrom('events')
    .select(['id', 'title', 'slug'])
    .where('place_id', '=', placeId)
    .where('id', '=', eventId)
    .executeTakeFirst();
}

/** The event's cancellation policy (the holders' deadline), or undefined when it has none. */
export async function cancellationDeadlineOf(db: Db, placeId: string, eventId: string) {
  return db
    .selectFrom('cancellation_policies')
    .select('holder_deadline_hours')
    .where('place_id', '=', placeId)
    .where('event_id', '=', eventId)
    .executeTakeFirst();
}

/** Per date of the event: how many wait and how many hold an offer. */
export async function waitingByDate(db: Db, placeId: string, eventId: string) {
  return db
    .selectFrom('waitlist_entries as w')
    .innerJoin('event_dates as d', (j) =>
      j.onRef('d.place_id', '=', 'w.place_id').onRef('d.id', '=', 'w.event_date_id'),
    )
    .select([
      'd.starts_at',
      'd.timezone',
      sql<number>`count(*) filter (where w.status = 'waiting')`.as('waiting'),
      sql<number>`count(*) filter (where w.status = 'offered')`.as('offered'),
    ])
    .where('w.place_id', '=', placeId)
    .where('w.event_id', '=', eventId)
    .where('w.status', 'in', ['waiting', 'offered'])
    .groupBy(['d.starts_at', 'd.timezone'])
    .orderBy('d.starts_at')
    .execute();
}

/** A price as its event's admin page lists it, with whether an order named it (then it can only be closed). */
export type AdminPrice = Omit<PriceRow, 'event_id' | 'event_date_id' | 'member_place_ids' | 'revision'> & {
  ordered: boolean;
};

/** The event's prices, oldest first, each with `ordered` (invariant 22: the same test as the edit's, unlocked). */
export async function pricesForAdmin(db: Db, placeId: string, eventId: string): Promise<AdminPrice[]> {
  return db
    .selectFrom('ticket_prices as p')
    .select([
      'p.id',
      'p.name',
      'p.kind',
      'p.price_cents',
      'p.min_price_cents',
      'p.stock',
      'p.taken',
      'p.per_order_limit',
      'p.per_person_limit',
      'p.sales_open_at',
      'p.sales_close_at',
      'p.vat_rate_bp',
      'p.active',
      sql<boolean>`p.taken > 0 or exists (select 1 from order_lines l where l.place_id = p.place_id and l.price_id = p.id)`.as(
        'ordered',
      ),
    ])
    .where('p.place_id', '=', placeId)
    .where('p.event_id', '=', eventId)
    .orderBy('p.created_at')
    .orderBy('p.id')
    .execute();
}
