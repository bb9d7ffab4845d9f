import type { PaymentPurpose } from '../payments/index.ts';
import type Stripe from 'stripe';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { findPlaceById } from '../places/index.ts';
import { startCheckout } from '../payments/index.ts';
import { SYSTEM } from '../access/actor.ts';
import { completeOrder } from './completeOrder.ts';
import { reverseOrderPayment } from './reverseOrderPayment.ts';
import type { PlacedOrder } from './placeOrder.ts';
import type { Language } from '../i18n/i18n.ts';

/**
 * Sends the buyer of a pending paid order to Stripe Checkout (on the venue's connected account).
 * Only the buyer (same person, or the same browser that placed it, which knows its id) may pay it.
 * Given the order placeOrder just returned (same request, same buyer), it is not read again.
 */
export async function payOrder(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  actor: Actor | null,
  orderOrPlaced: string | PlacedOrder,
): Promise<{ url: string }> {
  let order:
    | {
        id: string;
        place_id: string;
        status: string;
        total_cents: number;
        person_id: string | null;
        email: string;
        language: Language;
        reference: string;
        expires_at: Date;
        name: string;
      }
    | undefined;
  if (typeof orderOrPlaced === 'string') {
    if (!isUuid(orderOrPlaced)) throw notFound('order');
    const row = await db
      .selectFrom('orders')
      .select(['id', 'place_id', 'status', 'total_cents', 'person_id', 'email', 'language', 'reference', 'expires_at'])
      .where('id', '=', orderOrPlaced)
      .executeTakeFirst();
    const place = row ? await findPlaceById(db, row.place_id) : null;
    order = row && place ? { ...row, name: place.name } : undefined;
    if (!order) throw notFound('order');
    if (order.person_id && !(actor?.kind === 'person' && actor.personId === order.person_id)) throw notFound('order');
  } else {
    const p = orderOrPlaced;
    order = {
      id: p.id,
      place_id: p.placeId,
      status: p.status,
      total_cents: p.totalCents,
      person_id: p.personId,
      email: p.email,
      language: p.language,
      reference: p.reference,
      expires_at: p.expiresAt,
      name: p.placeName,
    };
  }
  if (order.status !== 'pending' || order.expires_at <= new Date()) throw new DomainError('order-not-payable', 409);
  if (order.total_cents === 0) throw new DomainError('order-not-payable', 409);
  const { url } = await startCheckout(db, stripe, config, {
    purpose: 'order',
    subjectId: order.id,
    placeId: order.place_id,
    personId: order.person_id,
    email: order.email,
    amountCents: order.total_cents,
    label: `${order.name} — ${order.reference}`,
    language: order.language,
  });
  return { url };
}

// A confirmed payment completes its order once (the payment row is locked by confirmPayment, the
// order row by completeOrder). An order that cannot be completed — cancelled, or expired and sold out
// meanwhile — returns cannot_apply and the payment is refunded (docs/TICKETING.md, invariant 6).
export const orderPurpose: PaymentPurpose = {
  async apply(trx, payment, { config }) {
    return (await completeOrder(trx, config, SYSTEM, payment.subject_id, payment.id)) ? 'applied' : 'cannot_apply';
  },
  returnPath: (payment) => `/orders/${payment.subject_id}`,
  // Money taken back in Stripe (refund, lost chargeback) refunds tickets in proportion (invariant 18).
  reverse: reverseOrderPayment,
};
