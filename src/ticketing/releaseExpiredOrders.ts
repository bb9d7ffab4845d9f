import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { expireOnSitePayments } from '../payments/index.ts';
import { holdingsOf, releaseSeats } from './seats.ts';
import { transitionOrder } from './orderState.ts';

/** Orders expired per call at most: bounded work (the job runs again soon). */
const BATCH = 200;

/**
 * Expires pending orders whose hold ran out and gives their seats back, in one transaction (the
 * caller's, if any — which must hold no counter lock yet: docs/TICKETING.md, "Lock order") and
 * invariant 4. `skip locked`: an order being paid right now is left to its payment, which decides
 * under the same lock.
 */
export async function releaseExpiredOrders(
  db: Db,
  scope: { placeId?: string; dateIds?: string[] } = {},
): Promise<number> {
  return inTransaction(db, async (trx) => {
    let q = trx
      .selectFrom('orders as o')
      .select(['o.place_id', 'o.id', 'o.status', 'o.promo_code_id', 'o.unconfirmed_hold'])
      .where('o.status', '=', 'pending')
      .where('o.expires_at', '<=', sql<Date>`now()`)
      .orderBy('o.expires_at')
      .limit(BATCH)
      .forUpdate()
      .skipLocked();
    if (scope.placeId) q = q.where('o.place_id', '=', scope.placeId);
    if (scope.dateIds && scope.placeId) {
      if (scope.dateIds.length === 0) return 0;
      q = q.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('order_lines as l')
            .select('l.id')
            .whereRef('l.place_id', '=', 'o.place_id')
            .whereRef('l.order_id', '=', 'o.id')
            .where('l.event_date_id', 'in', scope.dateIds!),
        ),
      );
    }
    const expired = await q.execute();
    // Each order marked expired (their rows are locked already), then what the whole batch held given
    // back in one step in the lock order (docs/TICKETING.md, "Lock order"), last: the dates' capacity
    // rows, the hot rows of a sale, stay locked only for that statement and the commit.
    const holdings = await holdingsOf(trx, expired);
    for (const order of expired) await transitionOrder(trx, SYSTEM, order, 'expired');
    // Held for payment on site: nothing is left to collect (docs/TICKETING.md, "Paying on site").
    await expireOnSitePayments(
      trx,
      'order',
      expired.map((o) => o.id),
    );
    await releaseSeats(trx, ...holdings);
    return expired.length;
  });
}
