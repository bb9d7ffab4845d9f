import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import type { PaymentStatus } from './tables.ts';

/** Dispute statuses that end a dispute (Stripe's); any other is open. */
export const CLOSED_DISPUTE_STATUSES: readonly string[] = ['won', 'lost', 'warning_closed', 'prevented'];

/** Statuses of a payment whose money arrived: the ones refunds and disputes move between. */
const RECEIVED: readonly PaymentStatus[] = ['paid', 'refund_pending', 'refunded', 'partially_refunded'];

export interface TakenBack {
  /** Refunds succeeded plus disputes lost. */
  reversedCents: number;
  /** Refunds Rezo must send or Stripe has not finished. */
  inFlightCents: number;
  inFlight: number;
  openDisputes: number;
}

/** What was taken back from a payment, and what is on its way back. The caller holds the payment's lock. */
export async function takenBack(trx: Trx, paymentId: string): Promise<TakenBack> {
  const { rows } = await sql<{
    succeeded: string;
    in_flight_cents: string;
    in_flight: number;
    lost: string;
    open: number;
  }>`
    select
      (select coalesce(sum(amount_cents), 0) from refunds where payment_id = ${paymentId}::uuid and status = 'succeeded') as succeeded,
      (select coalesce(sum(amount_cents), 0) from refunds where payment_id = ${paymentId}::uuid and status in ('pending', 'sent')) as in_flight_cents,
      (select count(*)::int from refunds where payment_id = ${paymentId}::uuid and status in ('pending', 'sent')) as in_flight,
      (select coalesce(sum(amount_cents), 0) from payment_disputes where payment_id = ${paymentId}::uuid and status = 'lost') as lost,
      (select count(*)::int from payment_disputes where payment_id = ${paymentId}::uuid and status <> all(${CLOSED_DISPUTE_STATUSES}::text[])) as open`.execute(
    trx,
  );
  const r = rows[0]!;
  return {
    reversedCents: Number(r.succeeded) + Number(r.lost),
    inFlightCents: Number(r.in_flight_cents),
    inFlight: r.in_flight,
    openDisputes: r.open,
  };
}

/**
 * A received payment's status from the money taken back (docs/PAYMENTS.md, "States"): a refund in
 * flight → `refund_pending`; all of it back → `refunded`; some → `partially_refunded`; none → `paid`.
 * Written only when it changes. The caller holds the payment's lock.
 */
export async function settlePaymentStatus(
  trx: Trx,
  payment: { id: string; status: PaymentStatus; received_cents: number | null },
): Promise<PaymentStatus> {
  if (!RECEIVED.includes(payment.status)) return payment.status;
  const back = await takenBack(trx, payment.id);
  const status: PaymentStatus =
    back.inFlight > 0
      ? 'refund_pending'
      : back.reversedCents >= (payment.received_cents ?? 0) && back.reversedCents > 0
        ? 'refunded'
        : back.reversedCents > 0
          ? 'partially_refunded'
          : 'paid';
  if (status !== payment.status)
    await trx
      .updateTable('payments')
      .set({ status, updated_at: sql<Date>`now()` })
      .where('id', '=', payment.id)
      .execute();
  return status;
}
