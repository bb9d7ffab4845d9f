import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { Trx } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { uuidv7 } from '../shared/ids.ts';
import { purposeOf, type PaymentRow } from './purposes.ts';

export interface ProviderReport {
  /** The provider's reference of the money received (Stripe payment intent, on-site receipt). */
  providerPaymentId: string | null;
  amountCents: number;
  currency: string;
  /** For on-site payments: cash, cheque, card_terminal. */
  method?: string;
}

export type ConfirmOutcome = 'confirmed' | 'already' | 'refunding' | 'not_pending';

/**
 * The one place where a payment becomes paid (docs/PAYMENTS.md, invariants 1, 3, 4). Locks the
 * payment row, so of a webhook and a browser return arriving together exactly one confirms; checks
 * the amount; applies the purpose in the same transaction; when the purpose cannot use the money or
 * the amount differs, queues a full refund instead. Must run inside the caller's transaction.
 */
export async function confirmPayment(
  trx: Trx,
  config: Config,
  actor: Actor,
  paymentId: string,
  report: ProviderReport,
  /** The payment row when the caller already locked it (`FOR UPDATE`, whole row) in this transaction: one round trip less. */
  locked?: PaymentRow,
): Promise<ConfirmOutcome> {
  const payment = locked && locked.id === paymentId ? locked : await trx.selectFrom('payments').selectAll().where('id', '=', paymentId).forUpdate().executeTakeFirst();
  if (!payment) throw new Error(`payment ${paymentId} not found`);
  if (payment.status === 'paid' || payment.status === 'refund_pending' || payment.status === 'refunded' || payment.status === 'partially_refunded') {
    return 'already';
  }
  if (payment.status !== 'pending' && payment.status !== 'expired') return 'not_pending';
  // An expired payment that is paid anyway (the customer finished Checkout late) is still money
  // received: it is confirmed like any other, and its purpose decides whether it can be used.
  const amountOk = report.amountCents === payment.amount_cents && report.currency.toUpperCase() === payment.currency;
  const paid: PaymentRow = { ...payment, status: 'paid', provider_payment_id: report.providerPaymentId, received_cents: report.amountCents, method: report.method ?? payment.method };
  const outcome = amountOk ? await purposeOf(payment.purpose).apply(trx, paid, { config }) : 'cannot_apply';
  await trx
    .updateTable('payments')
    .set({
      status: outcome === 'applied' ? 'paid' : 'refund_pending',
      provider_payment_id: report.providerPaymentId,
      received_cents: report.amountCents,
      method: report.method ?? payment.method,
      paid_at: sql<Date>`now()`,
      updated_at: sql<Date>`now()`,
      failure: amountOk ? (outcome === 'applied' ? null : 'purpose could not apply the payment') : `amount mismatch: received ${report.amountCents} ${report.currency}`,
    })
    .where('id', '=', payment.id)
    .execute();
  if (outcome !== 'applied') {
    await trx
      .insertInto('refunds')
      .values({ id: uuidv7(), payment_id: payment.id, amount_cents: report.amountCents, reason: amountOk ? 'cannot_apply' : 'amount_mismatch', status: 'pending' })
      .execute();
  }
  await audit(trx, actor, {
    placeId: payment.place_id,
    action: outcome === 'applied' ? 'payment.paid' : 'payment.refund-queued',
    subjectId: payment.id,
    data: { purpose: payment.purpose, amount_cents: report.amountCents, provider: payment.provider },
  });
  return outcome === 'applied' ? 'confirmed' : 'refunding';
}
