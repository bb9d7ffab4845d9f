import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/**
 * The dates among `dateIds` that are *ordered*: tickets of any status (a refunded or cancelled ticket
 * is still a sale on record) or an order line of any status — a booking in progress, or one that ran
 * out, whose lines still name the date (docs/TICKETING.md, invariant 23; the database refuses to
 * delete it: order_lines_event_date_fk). The agenda asks before it deletes dates
 * (src/agenda/dateUses.ts): such a date is kept.
 *
 * Runs in the agenda's transaction. It first takes, `for update`, the rows a sale takes `for no key
 * update` while it writes its order (seats.ts, in that order): the dates' capacity rows and the event's
 * prices. A sale in flight is waited for and then counted here; a sale that comes after waits for the
 * edit to commit (and then finds its date gone, or kept).
 */
export async function datesWithSales(
  db: Db,
  placeId: string,
  eventId: string,
  dateIds: readonly string[],
): Promise<Set<string>> {
  const ids = [...dateIds].sort();
  await sql`select event_date_id from date_capacity
             where place_id = ${placeId} and event_date_id = any(${ids}::uuid[])
             order by event_date_id for update`.execute(db);
  await sql`select id from ticket_prices where place_id = ${placeId} and event_id = ${eventId}
             order by id for update`.execute(db);
  const rows = await sql<{ id: string }>`
    select t.event_date_id as id from tickets t
     where t.place_id = ${placeId} and t.event_date_id = any(${ids}::uuid[])
    union
    select l.event_date_id from order_lines l
     where l.place_id = ${placeId} and l.event_date_id = any(${ids}::uuid[])`.execute(db);
  return new Set(rows.rows.map((r) => r.id));
}
