import type Stripe from 'stripe';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { SYSTEM, type Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { expireOnSitePayments, queueRefund, sendPendingRefunds } from '../payments/index.ts';
import { creditRefundInTransaction, readRefundTo, type RefundTo } from './creditRefund.ts';
import { holdingOf, releaseSeats } from './seats.ts';
import { transitionOrder } from './orderState.ts';
import type { OrderStatus } from './tables.ts';
import { paymentById } from '../payments/index.ts';

export interface CancelResult {
  orderId: string;
  /** `already`: the order was cancelled before (by an earlier or a concurrent cancel); nothing changed. */
  outcome: 'cancelled' | 'already';
  /** What is being given back to the original payment (0 for a pending or free order, when nothing was received, or when credited). */
  refundCents: number;
  /** What was credited to the buyer's wallet instead, in the venue's local euro (docs/PAYMENTS.md). */
  creditCents: number;
}

/**
 * Where the money of a paid order goes: `payment` (Stripe refund, or by hand on site), `credit` (the
 * buyer's wallet; refused when impossible), or `credit_when_possible` (bulk: credit the orders that
 * can be, refund the others to their payment).
 */
export type RefundChoice = RefundTo | 'credit_when_possible';

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
  refundTo: RefundChoice = 'payment',
): Promise<CancelResult> {
  const peek = await trx.selectFrom('orders').select(['payment_id']).where('id', '=', orderId).executeTakeFirst();
  if (!peek) throw notFound('order');
  if (peek.payment_id) await paymentById(trx, peek.payment_id, { lock: true });
  const order = await trx
    .selectFrom('orders')
    .select(['place_id', 'id', 'status', 'person_id', 'promo_code_id', 'payment_id', 'unconfirmed_hold'])
    .where('id', '=', orderId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (order.status === 'cancelled') return { orderId, outcome: 'already', refundCents: 0, creditCents: 0 };
  if (order.status !== 'pending' && order.status !== 'paid') throw new DomainError('order-not-cancellable', 409);
  if (guard) await guard(order);
  // Held for payment on site: nothing is left to collect (never waits: docs/TICKETING.md, "Paying on site").
  if (order.status === 'pending') await expireOnSitePayments(trx, 'order', [order.id]);
  await releaseSeats(trx, await holdingOf(trx, order));
  if (order.status === 'paid') {
    await trx
      .updateTable('tickets')
      .set({ status: 'cancelled' })
      .where('place_id', '=', order.place_id)
      .where('order_id', '=', order.id)
      .where('status', '=', 'valid')
      .execute();
  }
  const paymentId = order.status === 'paid' ? order.payment_id : null;
  // Credit first: when it cannot be given (strict choice), nothing of the cancellation is written.
  const creditable =
    paymentId !== null && refundTo !== 'payment' && (refundTo === 'credit' || (await canCredit(trx, order)));
  const credit = creditable ? await creditRefundInTransaction(trx, { ...order, payment_id: paymentId }) : null;
  await transitionOrder(trx, actor, order, 'cancelled', {
    by,
    ...(refundTo !== 'payment' ? { refund_to: creditable ? 'credit' : 'payment' } : {}),
  });
  // The caller authorised the cancellation; the refund it implies is the node's doing. After a
  // credit nothing is left to refund, so no refund is queued.
  const refund =
    paymentId && !creditable ? await queueRefund(trx, SYSTEM, { paymentId, reason: 'order_cancelled' }) : null;
  return {
    orderId,
    outcome: 'cancelled',
    refundCents: refund?.amountCents ?? 0,
    creditCents: credit?.amountCents ?? 0,
  };
}

/** Whether a credit can be given for this order (bulk cancellations credit those that can). */
async function canCredit(
  trx: Trx,
  order: { place_id: string; person_id: string | null; payment_id: string | null },
): Promise<boolean> {
  if (!order.person_id || !order.payment_id) return false;
  const payment = await paymentById(trx, order.payment_id);
  return Boolean(
    payment &&
      payment.placeId === order.place_id &&
      ((payment.provider === 'stripe' && payment.providerPaymentId) || payment.provider === 'on_site'),
  );
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

/**
 * The venue cancels one of its orders, at any time (`events.write`), and chooses where the money goes:
 * the original payment (default) or, when the venue offers it, the buyer's wallet.
 */
export async function cancelOrder(
  db: Db,
  stripe: Stripe | null,
  actor: Actor,
  input: { orderId: unknown; refundTo?: unknown },
): Promise<CancelResult> {
  if (typeof input.orderId !== 'string' || !isUuid(input.orderId)) throw notFound('order');
  const orderId = input.orderId;
  const refundTo = readRefundTo(input.refundTo);
  const result = await inTransaction(db, async (trx) => {
    const order = await trx.selectFrom('orders').select('place_id').where('id', '=', orderId).executeTakeFirst();
    if (!order) throw notFound('order');
    await authorize(trx, actor, order.place_id, 'events.write');
    return cancelOrderInTransaction(trx, actor, orderId, 'venue', undefined, refundTo);
  });
  if (result.refundCents > 0) await sendRefundsAfterCommit(db, stripe);
  return result;
}
