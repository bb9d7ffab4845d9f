import type Stripe from 'stripe';
import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import { SYSTEM } from '../access/actor.ts';
import { applyProviderRefund, refundKey, toProviderRefund } from './applyProviderState.ts';
import { settlePaymentStatus } from './paymentBalance.ts';

/** At most this many refunds per claim: bounded work, and a bounded lease. */
const BATCH_SIZE = 20;
/** A claimed refund is not claimed again before this (the sender that claimed it may be calling Stripe). */
const LEASE = '2 minutes';

interface Claimed {
  id: string;
  status: 'pending' | 'sent';
  amount_cents: number;
  attempts: number;
  provider_attempt: number;
  provider_refund_id: string | null;
  payment_id: string;
  provider_payment_id: string | null;
  account: string | null;
}

/**
 * Sends Rezo's refunds to Stripe and reads back the ones Stripe has not finished (docs/PAYMENTS.md,
 * invariants 4, 5, 7, 8). A round claims due refunds in one statement — `FOR UPDATE SKIP LOCKED`,
 * `next_attempt_at` pushed forward by the lease — so two node processes never hold the same refund,
 * and one that dies mid-call leaves it due again after the lease. Then, outside any transaction: a
 * `pending` refund is created at Stripe with its attempt's idempotency key (a repeat after a timeout
 * is the same Stripe refund); a `sent` one is read (`GET /v1/refunds/{id}`). What Stripe answers is
 * applied under the payment's lock (`applyProviderRefund`): `succeeded` only when Stripe says so, a
 * failed attempt tried again later, a call that failed retried after a growing backoff (30 s, 1 min,
 * … at most 1 h). Refunds given as credit or by hand never come here (they are `succeeded` at once).
 */
export async function sendPendingRefunds(db: Db, stripe: Stripe | null): Promise<RoundCounts> {
  if (!stripe) return { succeeded: 0, failed: 0, waiting: 0 };
  // One round at a time per database handle (per process): a caller arriving during a round waits
  // for it, then runs its own (it may have queued a refund that round's claim did not see).
  const previous = rounds.get(db) ?? Promise.resolve();
  const mine = previous.catch(() => {}).then(() => sendRound(db, stripe));
  rounds.set(db, mine);
  try {
    return await mine;
  } finally {
    if (rounds.get(db) === mine) rounds.delete(db);
  }
}

type RoundCounts = { succeeded: number; failed: number; waiting: number };
const rounds = new WeakMap<Db, Promise<RoundCounts>>();

async function sendRound(db: Db, stripe: Stripe): Promise<RoundCounts> {
  const counts: RoundCounts = { succeeded: 0, failed: 0, waiting: 0 };
  for (;;) {
    const batch = await claim(db);
    for (const refund of batch) {
      const outcome = await sendOne(db, stripe, refund);
      counts[outcome]++;
    }
    if (batch.length < BATCH_SIZE) return counts;
  }
}

async function claim(db: Db): Promise<Claimed[]> {
  const { rows } = await sql<Claimed>`
    with due as (
      select r.id from refunds r join payments p on p.id = r.payment_id
       where r.status in ('pending', 'sent') and r.next_attempt_at <= now() and p.provider = 'stripe'
       order by r.next_attempt_at
       limit ${BATCH_SIZE}
       for update of r skip locked)
    update refunds r
       set attempts = r.attempts + 1, next_attempt_at = now() + ${LEASE}::interval
      from due, payments p
     where r.id = due.id and p.id = r.payment_id
    returning r.id, r.status, r.amount_cents, r.attempts, r.provider_attempt, r.provider_refund_id, r.payment_id,
      p.provider_payment_id, (select stripe_account_id from places where id = p.place_id) as account`.execute(db);
  return rows;
}

/** After `attempts` calls: 30 s × 2^(attempts − 1), at most an hour. */
const backoff = (attempts: number) =>
  sql<Date>`now() + make_interval(secs => least(30 * power(2, ${attempts} - 1), 3600))`;

async function sendOne(db: Db, stripe: Stripe, r: Claimed): Promise<'succeeded' | 'failed' | 'waiting'> {
  const options = r.account ? { stripeAccount: r.account } : {};
  let answer: Stripe.Refund;
  try {
    if (!r.provider_payment_id) throw new Error('payment has no provider reference');
    answer =
      r.status === 'sent' && r.provider_refund_id
        ? await stripe.refunds.retrieve(r.provider_refund_id, {}, options)
        : await stripe.refunds.create(
            {
              payment_intent: r.provider_payment_id,
              amount: r.amount_cents,
              metadata: { rezo_refund_id: r.id, rezo_attempt: String(r.provider_attempt) },
            },
            { idempotencyKey: refundKey(r.id, r.provider_attempt), ...options },
          );
  } catch (error) {
    return failedCall(db, r, error);
  }
  return inTransaction(db, async (trx) => {
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', r.payment_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await applyProviderRefund(trx, payment, toProviderRefund(answer));
    const now = await trx
      .selectFrom('refunds')
      .select(['status', 'attempts'])
      .where('id', '=', r.id)
      .executeTakeFirstOrThrow();
    // Stripe has not finished: read again after the backoff (a failed attempt waits its own delay).
    if (now.status === 'sent')
      await trx
        .updateTable('refunds')
        .set({ next_attempt_at: backoff(now.attempts) })
        .where('id', '=', r.id)
        .execute();
    await settlePaymentStatus(trx, payment);
    return now.status === 'succeeded' ? 'succeeded' : now.status === 'sent' ? 'waiting' : 'failed';
  });
}

/**
 * The call failed. Stripe refusing because the charge is already wholly refunded (in its dashboard,
 * say) is final: nothing is left to give back. Anything else is tried again after the backoff.
 */
async function failedCall(db: Db, r: Claimed, error: unknown): Promise<'failed'> {
  const message = String((error as Error).message).slice(0, 500);
  const final = r.status === 'pending' && (error as { code?: string }).code === 'charge_already_refunded';
  await inTransaction(db, async (trx) => {
    const payment = await trx
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', r.payment_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('refunds')
      .set(final ? { status: 'failed', error: message } : { error: message, next_attempt_at: backoff(r.attempts) })
      .where('id', '=', r.id)
      .where('status', '=', r.status)
      .execute();
    if (final) {
      await audit(trx, SYSTEM, {
        placeId: payment.place_id,
        action: 'payment.refund-updated',
        subjectId: payment.id,
        data: { refund_id: r.id, from: r.status, to: 'failed', error: message },
      });
      await settlePaymentStatus(trx, payment);
    }
  });
  return 'failed';
}
