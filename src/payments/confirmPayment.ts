import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { Trx } from '../db/database.ts';
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
  const payment =
    locked && locked.id === paymentId
      ? locked
      : await trx.selectFrom('payments').selectAll().where('id', '=', paymentId).forUpdate().executeTakeFirst();
  if (!payment) throw new Error(`payment ${paymentId} not found`);
  if (
    payment.status === 'paid' ||
    payment.status === 'refund_pending' ||
    payment.status === 'refunded' ||
    payment.status === 'partially_refunded'
  ) {
    return 'already';
  }
  if (payment.status !== 'pending' && payment.status !== 'expired') return 'not_pending';
  // An expired payment that is paid anyway (the customer finished Checkout late) is still money
  // received: it is confirmed like any other, and its purpose decides whether it can be used.
  const amountOk = report.amountCents === payment.amount_cents && report.currency.toUpperCase() === payment.currency;
  const paid: PaymentRow = {
    ...payment,
    status: 'paid',
    provider_payment_id: report.providerPaymentId,
    received_cents: report.amountCents,
    method: report.method ?? payment.method,
  };
  const outcome = amountOk ? await purposeOf(payment.purpose).apply(trx, paid, { config }) : 'cannot_apply';
  // The payment's new state, the refund when the money cannot be used, and the audit entry (as
  // audit() writes it, src/access/audit.ts): one statement.
  const refund = outcome !== 'applied';
  const actorPerson = actor.kind === 'person' ? actor.personId : null;
  const actorKey = actor.kind === 'apiKey' ? actor.keyId : null;
  await sql`
    with updated as (
      update payments
         set status = ${outcome === 'applied' ? 'paid' : 'refund_pending'}, provider_payment_id = ${report.providerPaymentId}, received_cents = ${report.amountCents}::bigint,
             method = ${report.method ?? payment.method}, paid_at = now(), updated_at = now(),
             failure = ${amountOk ? (outcome === 'applied' ? null : 'purpose could not apply the payment') : `amount mismatch: received ${report.amountCents} ${report.currency}`}
       where id = ${payment.id}
      returning id),
    refund as (
      insert into refunds (id, payment_id, amount_cents, reason, status)
      select ${uuidv7()}::uuid, id, ${report.amountCents}::bigint, ${amountOk ? 'cannot_apply' : 'amount_mismatch'}, 'pending' from updated where ${refund})
    insert into audit_log (id, place_id, actor_person_id, actor_api_key_id, action, subject_id, data)
    values (${uuidv7()}::uuid, ${payment.place_id}::uuid, ${actorPerson}::uuid, ${actorKey}::uuid, ${refund ? 'payment.refund-queued' : 'payment.paid'}, ${payment.id}::uuid,
      ${JSON.stringify({ purpose: payment.purpose, amount_cents: report.amountCents, provider: payment.provider })}::jsonb)`.execute(
    trx,
  );
  return outcome === 'applied' ? 'confirmed' : 'refunding';
}
