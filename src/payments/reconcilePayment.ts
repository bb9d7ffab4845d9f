import type Stripe from 'stripe';
import { sql } from 'kysely';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import {
  applyProviderDispute,
  applyProviderRefund,
  toProviderDispute,
  toProviderRefund,
  type ProviderDispute,
  type ProviderRefund,
} from './applyProviderState.ts';
import { settlePaymentStatus } from './paymentBalance.ts';
import type { PaymentRow } from './purposes.ts';

/** At most this many refunds and disputes are read per payment intent (a payment has a handful). */
const READ_LIMIT = 1000;

export interface ProviderState {
  refunds: ProviderRefund[];
  disputes: ProviderDispute[];
}

/**
 * Reads a payment intent's refunds and disputes from Stripe (docs/PAYMENTS.md invariant 11): events
 * are hints, Stripe's current word is what is applied. Outside any transaction. Stripe unreachable →
 * 503 `payment-provider-unavailable` (a webhook then answers 503 and Stripe delivers it again).
 */
export async function readProviderState(
  stripe: Stripe,
  paymentIntent: string,
  account: string | null,
): Promise<ProviderState> {
  const options = account ? { stripeAccount: account } : {};
  try {
    const [refunds, disputes] = await Promise.all([
      stripe.refunds
        .list({ payment_intent: paymentIntent, limit: 100 }, options)
        .autoPagingToArray({ limit: READ_LIMIT }),
      stripe.disputes
        .list({ payment_intent: paymentIntent, limit: 100 }, options)
        .autoPagingToArray({ limit: READ_LIMIT }),
    ]);
    // Stripe lists newest first: applied oldest first, in the order they happened.
    return { refunds: refunds.map(toProviderRefund).reverse(), disputes: disputes.map(toProviderDispute).reverse() };
  } catch {
    throw new DomainError('payment-provider-unavailable', 503);
  }
}

/**
 * Applies Stripe's state of a payment's refunds and disputes, under the payment's lock (taken here,
 * `FOR UPDATE`, before any refund or dispute row: the lock order of every payment write), then
 * settles the payment's status. Answers how many refunds and disputes changed.
 */
export async function applyProviderState(trx: Trx, paymentId: string, state: ProviderState): Promise<number> {
  const payment = await trx
    .selectFrom('payments')
    .selectAll()
    .where('id', '=', paymentId)
    .forUpdate()
    .executeTakeFirst();
  if (!payment) return 0;
  let changed = 0;
  for (const refund of state.refunds) if (await applyProviderRefund(trx, payment, refund)) changed++;
  for (const dispute of state.disputes) if (await applyProviderDispute(trx, payment, dispute)) changed++;
  await settlePaymentStatus(trx, payment);
  return changed;
}

/** A Stripe payment and the account it lives on (null: the platform's own). */
export async function stripePaymentOf(
  db: Db,
  where: { paymentId: string } | { paymentIntent: string },
): Promise<(PaymentRow & { account: string | null }) | undefined> {
  const { rows } = await sql<PaymentRow & { account: string | null }>`
    select p.*, pl.stripe_account_id as account from payments p left join places pl on pl.id = p.place_id
     where p.provider = 'stripe' and ${'paymentId' in where ? sql`p.id = ${where.paymentId}::uuid` : sql`p.provider_payment_id = ${where.paymentIntent}`}`.execute(
    db,
  );
  return rows[0];
}

/**
 * Reads a confirmed Stripe payment's refunds and disputes from Stripe and applies them, then links the
 * events that told of them before the payment was known (orphans). The housekeeping's way back to a
 * payment whose events it could not apply when they came.
 */
export async function reconcilePayment(db: Db, stripe: Stripe, paymentId: string): Promise<number> {
  const payment = await stripePaymentOf(db, { paymentId });
  if (!payment?.provider_payment_id) return 0;
  const state = await readProviderState(stripe, payment.provider_payment_id, payment.account);
  return inTransaction(db, async (trx) => {
    const changed = await applyProviderState(trx, payment.id, state);
    await trx
      .updateTable('payment_events')
      .set({ payment_id: payment.id })
      .where('payment_id', 'is', null)
      .where('object_ref', '=', payment.provider_payment_id)
      .execute();
    return changed;
  });
}
