import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';

/** Orders settled per call at most: bounded work (the job runs again soon). */
const BATCH = 500;

/**
 * Moves the seats of orders without an account that were paid or confirmed out of their dates'
 * unconfirmed share (docs/TICKETING.md, invariant 21), in one transaction: the orders still flagged
 * `unconfirmed_hold` but no longer pending are locked (`skip locked`: one being cancelled right now is
 * left to its cancellation, which gives its seats back itself), unflagged, then each date's
 * `held_unconfirmed` moves down by their seats in one statement that locks the dates sorted (the lock
 * order: orders, then counters, in one step). Done here rather than when the payment is confirmed, so
 * the payment never locks a date's capacity row, the hot row of a sale: the share counts those seats
 * a little longer (stricter, never looser) — until the housekeeping (every 30 s), or an order refused
 * for the share, runs this first. Returns the number of orders settled.
 */
export async function settleUnconfirmedHolds(
  db: Db,
  scope: { placeId?: string; dateIds?: string[] } = {},
): Promise<number> {
  if (scope.dateIds && scope.dateIds.length === 0) return 0;
  return inTransaction(db, async (trx) => {
    const { rows } = await sql<{ place_id: string; event_date_id: string; n: number; orders: number }>`
      with settled as (
        select o.place_id, o.id from orders o
         where o.unconfirmed_hold and o.status <> 'pending'
           and (${scope.placeId ?? null}::uuid is null or o.place_id = ${scope.placeId ?? null}::uuid)
           and (${scope.dateIds ?? null}::uuid[] is null or exists (
                 select 1 from order_lines l where l.place_id = o.place_id and l.order_id = o.id
                    and l.event_date_id = any(${scope.dateIds ?? null}::uuid[])))
         limit ${BATCH} for update skip locked),
      unflagged as (
        update orders o set unconfirmed_hold = false from settled s
         where o.place_id = s.place_id and o.id = s.id returning o.place_id, o.id)
      select l.place_id, l.event_date_id, sum(l.quantity)::int as n, (select count(*) from unflagged)::int as orders
        from order_lines l join unflagged u on u.place_id = l.place_id and u.id = l.order_id
       group by l.place_id, l.event_date_id
       order by l.event_date_id`.execute(trx);
    if (rows.length === 0) return 0;
    await sql`
      with want (place_id, id, n) as (
        select * from unnest(${rows.map((r) => r.place_id)}::uuid[], ${rows.map((r) => r.event_date_id)}::uuid[], ${rows.map((r) => r.n)}::int[])),
      locked as (
        select c.event_date_id from date_capacity c join want w on w.place_id = c.place_id and w.id = c.event_date_id
         order by c.event_date_id for no key update of c)
      update date_capacity c set held_unconfirmed = greatest(c.held_unconfirmed - w.n, 0) from want w
       where (select count(*) from locked) >= 0 and c.place_id = w.place_id and c.event_date_id = w.id`.execute(trx);
    return rows[0]!.orders;
  });
}
