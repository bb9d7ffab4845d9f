import type Stripe from 'stripe';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { DomainError } from '../shared/errors.ts';
import { confirmPayment } from './confirmPayment.ts';

/** Stripe's default: a signed event older than 5 minutes is refused (replay protection). */
const TOLERANCE_SECONDS = 300;

/**
 * Receives a Stripe webhook. Verifies the signature on the raw body (invariant 2), records the event
 * once by its id (invariant 6: a redelivery is acknowledged without effect), and confirms or expires
 * the payment it concerns — all in one transaction.
 */
export async function handleStripeWebhook(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  input: { rawBody: Buffer; signature: string | undefined },
): Promise<'processed' | 'duplicate' | 'ignored'> {
  if (!stripe || !config.stripeWebhookSecret) throw new DomainError('payments-disabled', 503);
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(input.rawBody, input.signature ?? '', config.stripeWebhookSecret, TOLERANCE_SECONDS);
  } catch {
    throw new DomainError('webhook-signature', 400);
  }
  return inTransaction(db, async (trx) => {
    const session = event.data.object as Partial<Stripe.Checkout.Session> & { id?: string };
    // Lock the payment row before anything else: recording the event takes a key-share lock on it
    // (foreign key), and two deliveries each holding that lock while waiting to lock the row for
    // update would deadlock.
    const payment = session.id
      ? await trx.selectFrom('payments').selectAll().where('provider', '=', 'stripe').where('provider_session_id', '=', session.id).forUpdate().executeTakeFirst()
      : undefined;
    const recorded = await trx
      .insertInto('payment_events')
      .values({ provider: 'stripe', event_id: event.id, type: event.type, payment_id: payment?.id ?? null })
      .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!recorded) return 'duplicate';
    if (!payment) return 'ignored';
    if ((event.type === 'checkout.session.completed' || event.type === 'checkout.session.async_payment_succeeded') && session.payment_status === 'paid') {
      await confirmPayment(trx, config, SYSTEM, payment.id, {
        providerPaymentId: typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null),
        amountCents: session.amount_total ?? 0,
        currency: session.currency ?? '',
      }, payment);
      return 'processed';
    }
    if (event.type === 'checkout.session.expired' || event.type === 'checkout.session.async_payment_failed') {
      await trx
        .updateTable('payments')
        .set({ status: event.type === 'checkout.session.expired' ? 'expired' : 'failed' })
        .where('id', '=', payment.id)
        .where('status', '=', 'pending')
        .execute();
      return 'processed';
    }
    return 'ignored';
  });
}
