import type Stripe from 'stripe';
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { DomainError } from '../shared/errors.ts';
import { confirmPayment } from './confirmPayment.ts';
import type { PaymentRow } from './purposes.ts';

/** Stripe's default: a signed event older than 5 minutes is refused (replay protection). */
const TOLERANCE_SECONDS = 300;

/**
 * Receives a Stripe webhook. Verifies the signature on the raw body (invariant 2), records the event
 * once by its id (invariant 6: a redelivery is acknowledged without effect), and confirms or expires
 * the payment it concerns — all in one transaction. `refundQueued`: this event queued a refund, to be
 * sent once the transaction committed.
 */
export async function handleStripeWebhook(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  input: { rawBody: Buffer; signature: string | undefined },
): Promise<{ result: 'processed' | 'duplicate' | 'ignored'; refundQueued: boolean }> {
  if (!stripe || !config.stripeWebhookSecret) throw new DomainError('payments-disabled', 503);
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(
      input.rawBody,
      input.signature ?? '',
      config.stripeWebhookSecret,
      TOLERANCE_SECONDS,
    );
  } catch {
    throw new DomainError('webhook-signature', 400);
  }
  return inTransaction(db, async (trx) => {
    const session = event.data.object as Partial<Stripe.Checkout.Session> & { id?: string };
    // One statement locks the payment row, then records the event: the payment's lock is taken
    // before the event's insert (its foreign key takes a key-share lock on that row, and two
    // deliveries each holding that lock while waiting to lock the row for update would deadlock).
    const { rows } = await sql<PaymentRow & { recorded: boolean }>`
      with p as (
        select * from payments where provider = 'stripe' and provider_session_id = ${session.id ?? null} for update),
      e as (
        insert into payment_events (provider, event_id, type, payment_id)
        values ('stripe', ${event.id}, ${event.type}, (select id from p))
        on conflict (provider, event_id) do nothing
        returning event_id)
      select p.*, exists (select 1 from e) as recorded from (select 1) as one left join p on true`.execute(trx);
    const { recorded, ...row } = rows[0]!;
    const payment = row.id ? (row as PaymentRow) : undefined;
    if (!recorded) return { result: 'duplicate', refundQueued: false };
    if (!payment) return { result: 'ignored', refundQueued: false };
    if (
      (event.type === 'checkout.session.completed' || event.type === 'checkout.session.async_payment_succeeded') &&
      session.payment_status === 'paid'
    ) {
      const outcome = await confirmPayment(
        trx,
        config,
        SYSTEM,
        payment.id,
        {
          providerPaymentId:
            typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null),
          amountCents: session.amount_total ?? 0,
          currency: session.currency ?? '',
        },
        payment,
      );
      return { result: 'processed', refundQueued: outcome === 'refunding' };
    }
    if (event.type === 'checkout.session.expired' || event.type === 'checkout.session.async_payment_failed') {
      await trx
        .updateTable('payments')
        .set({ status: event.type === 'checkout.session.expired' ? 'expired' : 'failed' })
        .where('id', '=', payment.id)
        .where('status', '=', 'pending')
        .execute();
      return { result: 'processed', refundQueued: false };
    }
    return { result: 'ignored', refundQueued: false };
  });
}
