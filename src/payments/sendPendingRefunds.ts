import type Stripe from 'stripe';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** At most this many refunds per round: bounded work. */
const BATCH_SIZE = 20;

/**
 * Sends queued refunds to the provider (docs/PAYMENTS.md, invariant 4). Each refund row's id is its
 * idempotency key, so a round interrupted after Stripe accepted a refund but before we recorded it
 * repeats the same refund, never a second one. On-site payments are refunded by hand at the venue:
 * their refunds are marked succeeded when queued by the venue (see refundPayment).
 */
export async function sendPendingRefunds(
  db: Db,
  stripe: Stripe | null,
): Promise<{ succeeded: number; failed: number }> {
  if (!stripe) return { succeeded: 0, failed: 0 };
  const pending = await db
    .selectFrom('refunds')
    .innerJoin('payments', 'payments.id', 'refunds.payment_id')
    .leftJoin('places', 'places.id', 'payments.place_id')
    .select([
      'refunds.id',
      'refunds.amount_cents',
      'refunds.attempts',
      'payments.id as payment_id',
      'payments.provider_payment_id',
      'payments.received_cents as paid_cents',
      'places.stripe_account_id',
    ])
    .where('refunds.status', '=', 'pending')
    .where('payments.provider', '=', 'stripe')
    .orderBy('refunds.created_at')
    .limit(BATCH_SIZE)
    .execute();
  let succeeded = 0;
  let failed = 0;
  for (const r of pending) {
    try {
      if (!r.provider_payment_id) throw new Error('payment has no provider reference');
      const refund = await stripe.refunds.create(
        { payment_intent: r.provider_payment_id, amount: r.amount_cents, metadata: { rezo_refund_id: r.id } },
        { idempotencyKey: `refund-${r.id}`, ...(r.stripe_account_id ? { stripeAccount: r.stripe_account_id } : {}) },
      );
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('refunds')
          .set({
            status: 'succeeded',
            provider_refund_id: refund.id,
            succeeded_at: sql<Date>`now()`,
            attempts: r.attempts + 1,
            error: null,
          })
          .where('id', '=', r.id)
          .execute();
        const total = await trx
          .selectFrom('refunds')
          .select((eb) => eb.fn.sum<number>('amount_cents').as('n'))
          .where('payment_id', '=', r.payment_id)
          .where('status', '=', 'succeeded')
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('payments')
          .set({
            status: Number(total.n) >= (r.paid_cents ?? 0) ? 'refunded' : 'partially_refunded',
            updated_at: sql<Date>`now()`,
          })
          .where('id', '=', r.payment_id)
          .execute();
      });
      succeeded++;
    } catch (error) {
      failed++;
      await db
        .updateTable('refunds')
        .set({ attempts: r.attempts + 1, error: String((error as Error).message).slice(0, 500) })
        .where('id', '=', r.id)
        .execute();
    }
  }
  return { succeeded, failed };
}
