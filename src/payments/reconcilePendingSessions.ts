import type Stripe from 'stripe';
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { confirmPayment } from './confirmPayment.ts';
import { endPendingPayment } from './handleStripeWebhook.ts';

/** Sessions asked about per round: bounded work. */
const BATCH_SIZE = 20;

export interface SessionsReconciled {
  confirmed: number;
  expired: number;
  /** Complete but not paid yet (a bank debit under way): asked again later. */
  waiting: number;
  /** Stripe could not be asked: asked again later. */
  failed: number;
}

/**
 * Pending sessions nobody told us about (a lost webhook, a browser that never came back) end
 * (docs/PAYMENTS.md invariant 12). Claims, in one statement, up to 20 `pending` Stripe payments whose
 * `reconcile_at` (the session's expiry + 5 minutes) has passed — `FOR UPDATE SKIP LOCKED`, and the
 * claim pushes `reconcile_at` forward by a quarter of the payment's age (5 min to 6 h), so two node
 * processes never ask twice and a session that stays unresolved is not asked at every round — then
 * asks Stripe for each session: paid → `confirmPayment` (the same locked path as the webhook);
 * expired → `expired`; still open past its expiry → expired through Stripe, then `expired`.
 */
export async function reconcilePendingSessions(
  db: Db,
  stripe: Stripe | null,
  config: Config,
): Promise<SessionsReconciled> {
  const counts: SessionsReconciled = { confirmed: 0, expired: 0, waiting: 0, failed: 0 };
  if (!stripe) return counts;
  const { rows } = await sql<{ id: string; session_id: string; account: string | null }>`
    with due as (
      select id from payments
       where status = 'pending' and provider = 'stripe' and provider_session_id is not null and reconcile_at <= now()
       order by reconcile_at
       limit ${BATCH_SIZE}
       for update skip locked)
    update payments p
       set reconcile_at = now() + least(interval '6 hours', greatest(interval '5 minutes', (now() - p.created_at) / 4))
      from due
     where p.id = due.id
    returning p.id, p.provider_session_id as session_id, (select stripe_account_id from places where id = p.place_id) as account`.execute(
    db,
  );
  for (const row of rows) {
    try {
      counts[await reconcileOne(db, stripe, config, row)]++;
    } catch {
      counts.failed++;
    }
  }
  return counts;
}

async function reconcileOne(
  db: Db,
  stripe: Stripe,
  config: Config,
  row: { id: string; session_id: string; account: string | null },
): Promise<keyof SessionsReconciled> {
  const options = row.account ? { stripeAccount: row.account } : {};
  let session = await stripe.checkout.sessions.retrieve(row.session_id, {}, options);
  if (session.payment_status === 'paid') {
    await inTransaction(db, (trx) =>
      confirmPayment(trx, config, SYSTEM, row.id, {
        providerPaymentId:
          typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null),
        amountCents: session.amount_total ?? 0,
        currency: session.currency ?? '',
      }),
    );
    return 'confirmed';
  }
  // Past its expiry and still open: Stripe has not expired it yet; ask it to, so nobody pays it later.
  if (session.status === 'open') session = await stripe.checkout.sessions.expire(row.session_id, {}, options);
  if (session.status !== 'expired') return 'waiting';
  await inTransaction(db, async (trx) => {
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', row.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await endPendingPayment(trx, payment, 'expired');
  });
  return 'expired';
}
