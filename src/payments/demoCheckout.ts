import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { SYSTEM } from '../access/actor.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { confirmPayment } from './confirmPayment.ts';
import { endPendingPayment } from './handleStripeWebhook.ts';
import { settlePaymentStatus } from './paymentBalance.ts';
import { purposeOf, type PaymentRow } from './purposes.ts';
import type { CheckoutInput } from './startStripeCheckout.ts';

/**
 * Whether the demo provider is on: the configuration says so, and never in production mode — checked
 * here again, so that no way of building a configuration can turn it on there.
 */
export const demoPaymentsOn = (config: Pick<Config, 'demoPayments' | 'env'>): boolean =>
  config.demoPayments && config.env !== 'production';

/** The provider's reference of a demo payment's money (what a payment intent is for Stripe). */
export const demoReference = (paymentId: string) => `demo_${paymentId}`;

/**
 * Opens a demo payment (docs/PAYMENTS.md, "Demo provider"): the payment row, `pending`, provider
 * `demo`, and the node's own page instead of Stripe Checkout. The caller checked `demoPaymentsOn`.
 */
export async function startDemoCheckout(db: Db, input: CheckoutInput): Promise<{ paymentId: string; url: string }> {
  if (!Number.isSafeInteger(input.amountCents) || input.amountCents <= 0)
    throw new DomainError('validation', 422, {}, [{ field: 'amount', message: 'range' }]);
  const paymentId = uuidv7();
  await db
    .insertInto('payments')
    .values({
      id: paymentId,
      purpose: input.purpose,
      subject_id: input.subjectId,
      place_id: input.placeId,
      provider: 'demo',
      amount_cents: input.amountCents,
      person_id: input.personId,
      status: 'pending',
      metadata: JSON.stringify({ ...input.metadata, label: input.label.slice(0, 250) }),
    })
    .execute();
  return { paymentId, url: `/payments/${paymentId}/demo` };
}

/**
 * A demo payment the actor may see and act on: only `demo` payments, and a person's only by that
 * person (anyone else gets 404, as for a payment that does not exist).
 */
export async function findDemoPayment(
  db: Db | Trx,
  config: Config,
  actor: Actor | null,
  paymentId: string,
  lock = false,
): Promise<PaymentRow> {
  if (!demoPaymentsOn(config) || !isUuid(paymentId)) throw notFound('payment');
  let query = db.selectFrom('payments').selectAll().where('id', '=', paymentId).where('provider', '=', 'demo');
  if (lock) query = query.forUpdate();
  const payment = await query.executeTakeFirst();
  if (!payment) throw notFound('payment');
  if (payment.person_id && !(actor?.kind === 'person' && actor.personId === payment.person_id))
    throw notFound('payment');
  return payment;
}

/**
 * "Payer" on the demo page: confirms through `confirmPayment`, the path of a Stripe webhook (invariant
 * 1: a second click confirms nothing more). When the purpose could not use the money, the refund that
 * `confirmPayment` queued is settled at once: nothing to send anywhere.
 */
export async function payDemoPayment(
  db: Db,
  config: Config,
  actor: Actor | null,
  paymentId: string,
): Promise<{ status: string; returnPath: string }> {
  return inTransaction(db, async (trx) => {
    const payment = await findDemoPayment(trx, config, actor, paymentId, true);
    const outcome = await confirmPayment(
      trx,
      config,
      actor ?? SYSTEM,
      payment.id,
      {
        providerPaymentId: demoReference(payment.id),
        amountCents: payment.amount_cents,
        currency: payment.currency,
        method: 'demo',
      },
      payment,
    );
    if (outcome === 'refunding') await settleDemoRefunds(trx, payment.id);
    return finish(trx, payment);
  });
}

/** "Annuler" on the demo page: the payment ends like an expired Checkout (a paid one stays paid). */
export async function cancelDemoPayment(
  db: Db,
  config: Config,
  actor: Actor | null,
  paymentId: string,
): Promise<{ status: string; returnPath: string }> {
  return inTransaction(db, async (trx) => {
    const payment = await findDemoPayment(trx, config, actor, paymentId, true);
    await endPendingPayment(trx, payment, 'expired');
    return finish(trx, payment);
  });
}

/**
 * A demo payment's refunds waiting to be sent are done at once (there is no provider to send them
 * to), and its status follows. Called under the payment's lock.
 */
export async function settleDemoRefunds(trx: Trx, paymentId: string): Promise<void> {
  await trx
    .updateTable('refunds')
    .set({ status: 'succeeded', succeeded_at: sql<Date>`now()`, provider_refund_id: sql<string>`'demo_refund_' || id` })
    .where('payment_id', '=', paymentId)
    .where('status', 'in', ['pending', 'sent'])
    .execute();
  const payment = await trx.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirstOrThrow();
  await settlePaymentStatus(trx, payment);
}

async function finish(trx: Trx, payment: PaymentRow) {
  const { status } = await trx
    .selectFrom('payments')
    .select('status')
    .where('id', '=', payment.id)
    .executeTakeFirstOrThrow();
  return { status, returnPath: purposeOf(payment.purpose).returnPath(payment) };
}
