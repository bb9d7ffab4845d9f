import type Stripe from 'stripe';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { SYSTEM, type Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { queueRefund } from '../payments/queueRefund.ts';
import { sendPendingRefunds } from '../payments/sendPendingRefunds.ts';
import { holdingOf, releasePlaces } from './places.ts';
import { transitionOrder } from './orderState.ts';
import type { OrderStatus } from './tables.ts';

export interface CancelResult {
  orderId: string;
  /** `already`: the order was cancelled before (by an earlier or a concurrent cancel); nothing changed. */
  outcome: 'cancelled' | 'already';
  /** What is being given back (0 for a pending or free order, or when nothing was received). */
  refundCents: number;
}

export interface LockedOrder {
  place_id: string;
  id: string;
  status: OrderStatus;
  person_id: string | null;
}

/**
 * Cancels one order in the caller's transaction (docs/TICKETING.md, invariant 9). Callers check who
 * may cancel; `guard` runs under the order's lock, before anything is written (the holder's deadline).
 * The payment row is locked before the order row, in the same order as confirmPayment → completeOrder,
 * so a cancel racing a payment confirmation never deadlocks.
 */
export async function cancelOrderInTransaction(
  trx: Trx,
  actor: Actor,
  orderId: string,
  by: 'venue' | 'holder' | 'event',
  guard?: (order: LockedOrder) => Promise<void>,
): Promise<CancelResult> {
  const peek = await trx.selectFrom('orders').select(['payment_id']).where('id', '=', orderId).executeTakeFirst();
  if (!peek) throw notFound('order');
  if (peek.payment_id) await trx.selectFrom('payments').select('id').where('id', '=', peek.payment_id).forUpdate().executeTakeFirst();
  const order = await trx
    .selectFrom('orders')
    .select(['place_id', 'id', 'status', 'person_id', 'promo_code_id', 'payment_id'])
    .where('id', '=', orderId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (order.status === 'cancelled') return { orderId, outcome: 'already', refundCents: 0 };
  if (order.status !== 'pending' && order.status !== 'paid') throw new DomainError('order-not-cancellable', 409);
  if (guard) await guard(order);
  await releasePlaces(trx, await holdingOf(trx, order.place_id, order.id, order.promo_code_id));
  if (order.status === 'paid') {
    await trx.updateTable('tickets').set({ status: 'cancelled' }).where('place_id', '=', order.place_id).where('order_id', '=', order.id).where('status', '=', 'valid').execute();
  }
  await transitionOrder(trx, actor, order, 'cancelled', { by });
  // The caller authorised the cancellation; the refund it implies is the node's doing.
  const refund = order.status === 'paid' && order.payment_id ? await queueRefund(trx, SYSTEM, { paymentId: order.payment_id, reason: 'order_cancelled' }) : null;
  return { orderId, outcome: 'cancelled', refundCents: refund?.amountCents ?? 0 };
}

/**
 * Sends the refunds just queued to Stripe. After commit, so a refund is never sent for a
 * cancellation that rolled back; a failure leaves the refund row pending, retried by the next call.
 */
export async function sendRefundsAfterCommit(db: Db, stripe: Stripe | null): Promise<void> {
  if (db.isTransaction) return;
  try {
    await sendPendingRefunds(db, stripe);
  } catch {
    // The cancellation is committed and its refund row stays pending: nothing is lost by waiting.
  }
}

/** The venue cancels one of its orders, at any time (`events.write`). */
export async function cancelOrder(db: Db, stripe: Stripe | null, actor: Actor, input: { orderId: unknown }): Promise<CancelResult> {
  if (typeof input.orderId !== 'string' || !isUuid(input.orderId)) throw notFound('order');
  const orderId = input.orderId;
  const result = await inTransaction(db, async (trx) => {
    const order = await trx.selectFrom('orders').select('place_id').where('id', '=', orderId).executeTakeFirst();
    if (!order) throw notFound('order');
    await authorize(trx, actor, order.place_id, 'events.write');
    return cancelOrderInTransaction(trx, actor, orderId, 'venue');
  });
  if (result.refundCents > 0) await sendRefundsAfterCommit(db, stripe);
  return result;
}
