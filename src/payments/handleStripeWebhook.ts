import type Stripe from 'stripe';
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import { SYSTEM } from '../access/actor.ts';
import { DomainError } from '../shared/errors.ts';
import { confirmPayment } from './confirmPayment.ts';
import type { PaymentRow } from './purposes.ts';
import { applyProviderState, readProviderState, stripePaymentOf } from './reconcilePayment.ts';

/** Stripe's default: a signed event older than 5 minutes is refused (replay protection). */
const TOLERANCE_SECONDS = 300;

/** The platform's own endpoint, or the Connect endpoint of the venues' accounts (docs/PAYMENTS.md, "Stripe events"). */
export type WebhookEndpoint = 'platform' | 'connect';

export interface WebhookOutcome {
  result: 'processed' | 'duplicate' | 'ignored';
  /** This event queued a refund, to be sent once the transaction committed. */
  refundQueued: boolean;
  event: { id: string; type: string; account: string | null };
  /** Why an event was ignored, for the log. */
  note?: string;
}

const SESSION_EVENTS = new Set([
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
  'checkout.session.expired',
]);
/** Events about a payment intent's money taken back: each one makes Rezo read the refunds and disputes again. */
const MONEY_BACK_EVENTS = new Set([
  'charge.refunded',
  'charge.refund.updated',
  'charge.dispute.created',
  'charge.dispute.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.funds_reinstated',
]);

/**
 * Receives a Stripe webhook (docs/PAYMENTS.md, "Stripe events"). Verifies the signature with the
 * endpoint's secret on the raw body (invariant 2), answers a redelivery without effect (invariant 6),
 * and applies the event to the payment it concerns only if it comes from the Stripe account holding
 * that payment. Session events confirm, expire or fail the payment; refund and dispute events make
 * Rezo read the payment intent's refunds and disputes from Stripe and apply them (invariant 11).
 * The event is recorded in the transaction that applies it.
 */
export async function handleStripeWebhook(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  input: { rawBody: Buffer; signature: string | undefined; endpoint: WebhookEndpoint },
): Promise<WebhookOutcome> {
  const secret = input.endpoint === 'platform' ? config.stripeWebhookSecret : config.stripeConnectWebhookSecret;
  if (!stripe || !secret) throw new DomainError('payments-disabled', 503);
  let event: Stripe.Event;
  try {
    event = stripe.webhooks.constructEvent(input.rawBody, input.signature ?? '', secret, TOLERANCE_SECONDS);
  } catch {
    throw new DomainError('webhook-signature', 400);
  }
  const seen = { id: event.id, type: event.type, account: event.account ?? null };
  const outcome = (result: WebhookOutcome['result'], note?: string, refundQueued = false): WebhookOutcome => ({
    result,
    refundQueued,
    event: seen,
    ...(note ? { note } : {}),
  });
  const known = await db
    .selectFrom('payment_events')
    .select('event_id')
    .where('provider', '=', 'stripe')
    .where('event_id', '=', event.id)
    .executeTakeFirst();
  if (known) return outcome('duplicate');
  if (SESSION_EVENTS.has(event.type)) return sessionEvent(db, config, event, outcome);
  if (MONEY_BACK_EVENTS.has(event.type)) return moneyBackEvent(db, stripe, event, outcome);
  return (await record(db, event, null, null)) ? outcome('ignored', 'event type not used') : outcome('duplicate');
}

type Outcome = (result: WebhookOutcome['result'], note?: string, refundQueued?: boolean) => WebhookOutcome;

/** Stores an event once; false when it was stored already (a concurrent delivery). */
async function record(db: Db | Trx, event: Stripe.Event, paymentId: string | null, objectRef: string | null) {
  const inserted = await db
    .insertInto('payment_events')
    .values({ provider: 'stripe', event_id: event.id, type: event.type, payment_id: paymentId, object_ref: objectRef })
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

async function sessionEvent(db: Db, config: Config, event: Stripe.Event, outcome: Outcome): Promise<WebhookOutcome> {
  const session = event.data.object as Partial<Stripe.Checkout.Session> & { id?: string };
  return inTransaction(db, async (trx) => {
    // One statement locks the payment row — only if the event comes from the account holding it —
    // then records the event: the payment's lock is taken before the event's insert (its foreign
    // key takes a key-share lock on that row, and two deliveries each holding that lock while
    // waiting to lock the row for update would deadlock).
    const { rows } = await sql<PaymentRow & { recorded: boolean }>`
      with p as (
        select p.* from payments p left join places pl on pl.id = p.place_id
         where p.provider = 'stripe' and p.provider_session_id = ${session.id ?? null}
           and pl.stripe_account_id is not distinct from ${event.account ?? null}
         for update of p),
      e as (
        insert into payment_events (provider, event_id, type, payment_id)
        values ('stripe', ${event.id}, ${event.type}, (select id from p))
        on conflict (provider, event_id) do nothing
        returning event_id)
      select p.*, exists (select 1 from e) as recorded from (select 1) as one left join p on true`.execute(trx);
    const { recorded, ...row } = rows[0]!;
    const payment = row.id ? (row as PaymentRow) : undefined;
    if (!recorded) return outcome('duplicate');
    if (!payment) return outcome('ignored', 'unknown session (or another account)');
    if (event.type === 'checkout.session.completed' || event.type === 'checkout.session.async_payment_succeeded') {
      if (session.payment_status !== 'paid') return outcome('processed', 'not paid yet');
      const result = await confirmPayment(
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
      return outcome('processed', undefined, result === 'refunding');
    }
    await endPendingPayment(trx, payment, event.type === 'checkout.session.expired' ? 'expired' : 'failed');
    return outcome('processed');
  });
}

/**
 * A pending payment whose session expired or whose asynchronous payment failed (docs/PAYMENTS.md,
 * "States"). A payment paid meanwhile stays paid: only `pending` moves. The caller holds its lock.
 */
export async function endPendingPayment(trx: Trx, payment: PaymentRow, to: 'expired' | 'failed'): Promise<boolean> {
  const moved = await trx
    .updateTable('payments')
    .set({ status: to, updated_at: sql<Date>`now()` })
    .where('id', '=', payment.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) === 0) return false;
  await audit(trx, SYSTEM, {
    placeId: payment.place_id,
    action: `payment.${to}`,
    subjectId: payment.id,
    data: { purpose: payment.purpose },
  });
  return true;
}

async function moneyBackEvent(db: Db, stripe: Stripe, event: Stripe.Event, outcome: Outcome): Promise<WebhookOutcome> {
  const object = event.data.object as { payment_intent?: string | { id: string } | null };
  const intent =
    typeof object.payment_intent === 'string' ? object.payment_intent : (object.payment_intent?.id ?? null);
  const payment = intent ? await stripePaymentOf(db, { paymentIntent: intent }) : undefined;
  if (!payment) {
    // Not known (yet): kept as an orphan, applied once its payment is confirmed (resolveOrphanEvents).
    return (await record(db, event, null, intent))
      ? outcome('ignored', 'unknown payment intent')
      : outcome('duplicate');
  }
  if ((payment.account ?? null) !== (event.account ?? null))
    return (await record(db, event, null, null)) ? outcome('ignored', 'another account') : outcome('duplicate');
  const state = await readProviderState(stripe, intent!, payment.account);
  return inTransaction(db, async (trx) => {
    // The payment's lock first (applyProviderState), then the event: see sessionEvent.
    await trx.selectFrom('payments').select('id').where('id', '=', payment.id).forUpdate().execute();
    if (!(await record(trx, event, payment.id, null))) return outcome('duplicate');
    await applyProviderState(trx, payment.id, state);
    return outcome('processed');
  });
}
