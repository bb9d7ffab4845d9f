import type Stripe from 'stripe';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { confirmPayment } from './confirmPayment.ts';
import { purposeOf } from './purposes.ts';
import { connectedAccountOf } from '../places/index.ts';

/**
 * The browser comes back from Checkout. Its word is not trusted: the session is read from Stripe, and
 * if Stripe says it is paid the payment is confirmed (the same locked path as the webhook, so the two
 * racing confirm once). Returns the payment's state and where to send the person.
 */
export async function syncCheckoutReturn(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  paymentId: string,
): Promise<{ status: string; returnPath: string }> {
  if (!isUuid(paymentId)) throw notFound('payment');
  const payment = await db.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirst();
  if (!payment) throw notFound('payment');
  if (payment.status === 'pending' && payment.provider === 'stripe' && payment.provider_session_id && stripe) {
    const account = payment.place_id ? await connectedAccountOf(db, payment.place_id) : null;
    const session = await stripe.checkout.sessions.retrieve(
      payment.provider_session_id,
      {},
      account ? { stripeAccount: account } : {},
    );
    if (session.payment_status === 'paid') {
      await inTransaction(db, (trx) =>
        confirmPayment(trx, config, SYSTEM, payment.id, {
          providerPaymentId:
            typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null),
          amountCents: session.amount_total ?? 0,
          currency: session.currency ?? '',
        }),
      );
    }
  }
  const now = (await db.selectFrom('payments').select('status').where('id', '=', paymentId).executeTakeFirstOrThrow())
    .status;
  return { status: now, returnPath: purposeOf(payment.purpose).returnPath(payment) };
}
