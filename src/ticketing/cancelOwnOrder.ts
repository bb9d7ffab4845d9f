import type Stripe from 'stripe';
import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { DomainError, notFound, unauthenticated } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { cancelOrderInTransaction, sendRefundsAfterCommit, type CancelResult } from './cancelOrder.ts';
import { readRefundTo } from './creditRefund.ts';
import { eventDatesByIds } from '../agenda/index.ts';

/**
 * The buyer cancels their own order, until the holder deadline of its events (docs/TICKETING.md,
 * "Cancellation and refunds"). Only the account that placed it: an order placed without an account
 * carries no proof of who holds it, so only the venue cancels it. Another person's order is "not
 * found", as for paying it.
 */
export async function cancelOwnOrder(
  db: Db,
  stripe: Stripe | null,
  actor: Actor | null,
  input: { orderId: unknown; refundTo?: unknown },
): Promise<CancelResult> {
  if (typeof input.orderId !== 'string' || !isUuid(input.orderId)) throw notFound('order');
  if (!actor || actor.kind !== 'person') throw unauthenticated();
  const orderId = input.orderId;
  // "Refund to my card/payment" (default) or "credit to my Rezo wallet" when the venue offers it.
  const refundTo = readRefundTo(input.refundTo);
  const result = await inTransaction(db, (trx) =>
    cancelOrderInTransaction(
      trx,
      actor,
      orderId,
      'holder',
      async (order) => {
        if (order.person_id === null) throw new DomainError('cancel-not-allowed', 409);
        if (order.person_id !== actor.personId) throw notFound('order');
        // The earliest date of the order, less the hours of its event's policy; a line whose event has
        // no policy makes the whole order not cancellable by its holder.
        // The deadline is taken on the database's clock, as the holds are.
        const lines = await trx
          .selectFrom('order_lines as l')
          .leftJoin('cancellation_policies as p', (j) =>
            j.onRef('p.place_id', '=', 'l.place_id').onRef('p.event_id', '=', 'l.event_id'),
          )
          .select([
            'l.event_date_id',
            'p.event_id as policy_event_id',
            'p.holder_deadline_hours',
            sql<Date>`now()`.as('now'),
          ])
          .where('l.place_id', '=', order.place_id)
          .where('l.order_id', '=', order.id)
          .execute();
        const dates = await eventDatesByIds(
          trx,
          lines.map((l) => l.event_date_id),
        );
        const dated = lines.flatMap((l) => {
          const date = dates.get(l.event_date_id);
          return date ? [{ ...l, startsAt: date.startsAt }] : [];
        });
        if (dated.some((l) => l.policy_event_id === null)) throw new DomainError('cancel-not-allowed', 409);
        const tooLate = dated.some(
          (l) => l.now.getTime() >= l.startsAt.getTime() - (l.holder_deadline_hours ?? 0) * 3_600_000,
        );
        if (tooLate) throw new DomainError('cancel-deadline-passed', 409);
      },
      refundTo,
    ),
  );
  if (result.refundCents > 0) await sendRefundsAfterCommit(db, stripe);
  return result;
}

/** The order a holder's cancellation page shows (by id), or undefined. */
export async function orderForCancellation(db: Db, orderId: string) {
  return db
    .selectFrom('orders')
    .select(['id', 'reference', 'place_id', 'status', 'payment_id', 'person_id'])
    .where('id', '=', orderId)
    .executeTakeFirst();
}
