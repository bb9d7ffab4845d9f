import type Stripe from 'stripe';
import { sql, type Selectable } from 'kysely';
import type { Trx } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import { SYSTEM } from '../access/actor.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { CLOSED_DISPUTE_STATUSES, takenBack } from './paymentBalance.ts';
import { purposeOf, type PaymentRow, type Reversal } from './purposes.ts';
import type { RefundStatus, RefundsTable } from './tables.ts';

/** A refund as Stripe reports it, in the fields Rezo reads. */
export interface ProviderRefund {
  id: string;
  amount: number;
  /** Stripe's: pending, requires_action, succeeded, failed, canceled (null on some old refunds). */
  status: string | null;
  metadata: Record<string, string>;
  failureReason: string | null;
}

/** A dispute as Stripe reports it. */
export interface ProviderDispute {
  id: string;
  amount: number;
  status: string;
  reason: string;
}

export const toProviderRefund = (r: Stripe.Refund): ProviderRefund => ({
  id: r.id,
  amount: r.amount,
  status: r.status,
  metadata: r.metadata ?? {},
  failureReason: r.failure_reason ?? null,
});

export const toProviderDispute = (d: Stripe.Dispute): ProviderDispute => ({
  id: d.id,
  amount: d.amount,
  status: d.status,
  reason: d.reason ?? '',
});

/** A Rezo refund whose attempts all failed is left to a person (docs/PAYMENTS.md invariant 8). */
export const MAX_PROVIDER_ATTEMPTS = 3;
/** A failed attempt is tried again after this long (the bank needs time; a retry at once fails the same). */
const RETRY_FAILED_AFTER = '1 hour';

/** Statuses only move forward, so a stale read of Stripe never moves a refund back. */
const RANK: Record<RefundStatus, number> = { pending: 0, sent: 1, succeeded: 2, failed: 3, canceled: 3 };

function statusOf(stripeStatus: string | null): Exclude<RefundStatus, 'pending'> {
  if (stripeStatus === 'succeeded' || stripeStatus === 'failed' || stripeStatus === 'canceled') return stripeStatus;
  return 'sent'; // pending, requires_action: Stripe has it and has not finished
}

/** The idempotency key of a Rezo refund's attempt at Stripe (invariant 5). */
export const refundKey = (id: string, attempt: number) => (attempt === 0 ? `refund-${id}` : `refund-${id}-${attempt}`);

type RefundRow = Selectable<RefundsTable>;

/**
 * Applies what Stripe says of one refund of a payment whose row the caller locked (docs/PAYMENTS.md
 * invariants 8, 9): finds Rezo's row (by the Stripe id, or by the metadata Rezo sent with the current
 * attempt), or records a refund made outside Rezo; moves its status forward; tries a failed Rezo
 * refund again as its next attempt; reverses a refund made outside Rezo once it succeeded.
 * Answers whether anything changed.
 */
export async function applyProviderRefund(trx: Trx, payment: PaymentRow, refund: ProviderRefund): Promise<boolean> {
  const rezoId = isUuid(refund.metadata.rezo_refund_id ?? '') ? refund.metadata.rezo_refund_id! : null;
  let row = await trx
    .selectFrom('refunds')
    .selectAll()
    .where('payment_id', '=', payment.id)
    .where((eb) =>
      rezoId
        ? eb.or([eb('provider_refund_id', '=', refund.id), eb('id', '=', rezoId)])
        : eb('provider_refund_id', '=', refund.id),
    )
    .forUpdate()
    .executeTakeFirst();
  if (row && row.provider_refund_id !== refund.id) {
    // Rezo's refund, told by its metadata: the current attempt not recorded yet (Stripe answered and
    // the sender has not written it), or an earlier attempt that failed (history: nothing to do).
    const current =
      row.provider_refund_id === null && (refund.metadata.rezo_attempt ?? '0') === String(row.provider_attempt);
    if (!current) return false;
    await trx.updateTable('refunds').set({ provider_refund_id: refund.id }).where('id', '=', row.id).execute();
    row = { ...row, provider_refund_id: refund.id };
  }
  let changed = false;
  if (!row) {
    if (rezoId) return false; // Rezo's metadata naming a refund of another payment: not ours to record
    row = await recordOutsideRefund(trx, payment, refund);
    changed = true;
  } else {
    changed = await moveRefund(trx, payment, row, refund);
    row = await trx.selectFrom('refunds').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
  }
  if (row.origin === 'provider' && row.status === 'succeeded' && row.reversed_at === null) {
    await trx
      .updateTable('refunds')
      .set({ reversed_at: sql<Date>`now()` })
      .where('id', '=', row.id)
      .execute();
    await reversePayment(trx, payment, { kind: 'refund', reference: refund.id, amountCents: row.amount_cents });
    changed = true;
  }
  return changed;
}

/** A refund made in Stripe's dashboard or API: recorded once (its Stripe id is unique) with Stripe's status. */
async function recordOutsideRefund(trx: Trx, payment: PaymentRow, refund: ProviderRefund): Promise<RefundRow> {
  const status = statusOf(refund.status);
  const row = await trx
    .insertInto('refunds')
    .values({
      id: uuidv7(),
      payment_id: payment.id,
      amount_cents: refund.amount,
      reason: 'provider_refund',
      status,
      origin: 'provider',
      provider_refund_id: refund.id,
      ...(status === 'succeeded' ? { succeeded_at: sql<Date>`now()` } : {}),
      ...(status === 'failed' ? { error: `refund ${refund.id} failed: ${refund.failureReason ?? 'unknown'}` } : {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(trx, SYSTEM, {
    placeId: payment.place_id,
    action: 'payment.refund-recorded',
    subjectId: payment.id,
    data: { refund_id: row.id, provider_refund_id: refund.id, amount_cents: refund.amount, status },
  });
  return row;
}

/** Moves a known refund to what Stripe reports, forward only; a failed Rezo refund gets its next attempt. */
async function moveRefund(trx: Trx, payment: PaymentRow, row: RefundRow, refund: ProviderRefund): Promise<boolean> {
  const to = statusOf(refund.status);
  if (row.status === to || RANK[to] <= RANK[row.status]) return false;
  const failure = `refund ${refund.id} failed: ${refund.failureReason ?? 'unknown'}`;
  if (to === 'failed' && row.origin === 'rezo' && row.provider_attempt + 1 < MAX_PROVIDER_ATTEMPTS) {
    await trx
      .updateTable('refunds')
      .set({
        status: 'pending',
        provider_attempt: row.provider_attempt + 1,
        provider_refund_id: null,
        succeeded_at: null,
        error: failure,
        next_attempt_at: sql<Date>`now() + ${RETRY_FAILED_AFTER}::interval`,
      })
      .where('id', '=', row.id)
      .execute();
  } else {
    await trx
      .updateTable('refunds')
      .set({
        status: to,
        ...(to === 'succeeded' ? { succeeded_at: sql<Date>`now()`, error: null } : {}),
        ...(to === 'failed' ? { error: failure } : {}),
      })
      .where('id', '=', row.id)
      .execute();
  }
  const afterReversal = to === 'failed' && row.origin === 'provider' && row.reversed_at !== null;
  await audit(trx, SYSTEM, {
    placeId: payment.place_id,
    action: afterReversal ? 'payment.refund-failed-after-reversal' : 'payment.refund-updated',
    subjectId: payment.id,
    data: { refund_id: row.id, provider_refund_id: refund.id, from: row.status, to, attempt: row.provider_attempt },
  });
  return true;
}

/**
 * Applies what Stripe says of one dispute of a payment whose row the caller locked: recorded or
 * updated (a closed dispute is never reopened by a stale read), and reversed once when lost.
 */
export async function applyProviderDispute(trx: Trx, payment: PaymentRow, dispute: ProviderDispute): Promise<boolean> {
  const known = await trx
    .selectFrom('payment_disputes')
    .selectAll()
    .where('provider', '=', 'stripe')
    .where('dispute_id', '=', dispute.id)
    .forUpdate()
    .executeTakeFirst();
  if (known && known.payment_id !== payment.id) return false;
  const closed = (s: string) => CLOSED_DISPUTE_STATUSES.includes(s);
  const stale = known && closed(known.status) && !closed(dispute.status);
  let changed = false;
  if (!known) {
    await trx
      .insertInto('payment_disputes')
      .values({
        provider: 'stripe',
        dispute_id: dispute.id,
        payment_id: payment.id,
        amount_cents: dispute.amount,
        status: dispute.status,
        reason: dispute.reason.slice(0, 100),
      })
      .execute();
    changed = true;
  } else if (!stale && (known.status !== dispute.status || known.amount_cents !== dispute.amount)) {
    await trx
      .updateTable('payment_disputes')
      .set({ status: dispute.status, amount_cents: dispute.amount, updated_at: sql<Date>`now()` })
      .where('provider', '=', 'stripe')
      .where('dispute_id', '=', dispute.id)
      .execute();
    changed = true;
  }
  if (changed)
    await audit(trx, SYSTEM, {
      placeId: payment.place_id,
      action: 'payment.dispute-updated',
      subjectId: payment.id,
      data: { dispute_id: dispute.id, from: known?.status ?? null, to: dispute.status, amount_cents: dispute.amount },
    });
  const status = stale ? known.status : dispute.status;
  if (status === 'lost' && !known?.reversed_at) {
    await trx
      .updateTable('payment_disputes')
      .set({ reversed_at: sql<Date>`now()` })
      .where('provider', '=', 'stripe')
      .where('dispute_id', '=', dispute.id)
      .execute();
    await reversePayment(trx, payment, { kind: 'dispute', reference: dispute.id, amountCents: dispute.amount });
    changed = true;
  }
  return changed;
}

/** Runs the purpose's reversal (docs/PAYMENTS.md, "Reversals") and audits it, in the caller's transaction. */
async function reversePayment(trx: Trx, payment: PaymentRow, reversal: Omit<Reversal, 'reversedCents'>) {
  const { reversedCents } = await takenBack(trx, payment.id);
  const purpose = purposeOf(payment.purpose);
  const summary = purpose.reverse
    ? await purpose.reverse(trx, payment, { ...reversal, reversedCents })
    : { undone: 'nothing' };
  await audit(trx, SYSTEM, {
    placeId: payment.place_id,
    action: 'payment.reversed',
    subjectId: payment.id,
    data: {
      kind: reversal.kind,
      reference: reversal.reference,
      amount_cents: reversal.amountCents,
      reversed_cents: reversedCents,
      ...summary,
    },
  });
}
