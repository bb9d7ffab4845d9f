import type { Db, Trx } from '../db/database.ts';
import type { PaymentProvider, PaymentStatus } from './tables.ts';

/** A payment as the modules that sell with it see it (ticketing's cancellations, credits and reports). */
export interface PaymentSummary {
  id: string;
  placeId: string | null;
  purpose: string;
  personId: string | null;
  amountCents: number;
  provider: PaymentProvider;
  providerPaymentId: string | null;
  method: string | null;
  status: PaymentStatus;
  receivedCents: number | null;
}

function toSummary(r: {
  id: string;
  place_id: string | null;
  purpose: string;
  person_id: string | null;
  amount_cents: number;
  provider: PaymentProvider;
  provider_payment_id: string | null;
  method: string | null;
  status: PaymentStatus;
  received_cents: number | null;
}): PaymentSummary {
  return {
    id: r.id,
    placeId: r.place_id,
    purpose: r.purpose,
    personId: r.person_id,
    amountCents: r.amount_cents,
    provider: r.provider,
    providerPaymentId: r.provider_payment_id,
    method: r.method,
    status: r.status,
    receivedCents: r.received_cents,
  };
}

const SUMMARY = [
  'id',
  'place_id',
  'purpose',
  'person_id',
  'amount_cents',
  'provider',
  'provider_payment_id',
  'method',
  'status',
  'received_cents',
] as const;

/**
 * A payment by id, or undefined. With `lock`, its row is locked for the caller's transaction: a
 * payment is locked before the order or membership it pays for, as the confirmation does
 * (docs/ARCHITECTURE.md, "Locks").
 */
export async function paymentById(
  db: Db,
  paymentId: string,
  options: { lock?: boolean } = {},
): Promise<PaymentSummary | undefined> {
  let q = db.selectFrom('payments').select(SUMMARY).where('id', '=', paymentId);
  if (options.lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row && toSummary(row);
}

/** Ids per query of a batch look-up, well under PostgreSQL's 65,535 parameters of a statement. */
const BATCH = 10_000;

/** Payments by id, for lists and reports (one query per 10,000 ids; an unknown id is left out). */
export async function paymentsByIds(db: Db, ids: string[]): Promise<Map<string, PaymentSummary>> {
  const unique = [...new Set(ids)];
  const found = new Map<string, PaymentSummary>();
  for (let i = 0; i < unique.length; i += BATCH) {
    const rows = await db
      .selectFrom('payments')
      .select(SUMMARY)
      .where('id', 'in', unique.slice(i, i + BATCH))
      .execute();
    for (const r of rows) found.set(r.id, toSummary(r));
  }
  return found;
}

/** What was refunded from a payment or is being refunded (refunds pending or succeeded), in cents. */
export async function refundedCents(trx: Trx, paymentId: string): Promise<number> {
  const row = await trx
    .selectFrom('refunds')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('amount_cents'), eb.val(0)).as('n'))
    .where('payment_id', '=', paymentId)
    .where('status', 'in', ['pending', 'succeeded'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Records a refund to send to the provider (sendPendingRefunds sends it after commit), for a module
 * that already locked the payment and checked what may be given back (the ledger's top-up refund).
 */
export async function insertPendingRefund(
  trx: Trx,
  refund: { id: string; paymentId: string; amountCents: number; reason: string },
): Promise<void> {
  await trx
    .insertInto('refunds')
    .values({
      id: refund.id,
      payment_id: refund.paymentId,
      amount_cents: refund.amountCents,
      reason: refund.reason,
      status: 'pending',
    })
    .execute();
}
