import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { forbidden } from '../shared/errors.ts';
import { CLOSED_DISPUTE_STATUSES } from './paymentBalance.ts';

/** A refund still unsent after this many calls is shown as stuck. */
const STUCK_AFTER_ATTEMPTS = 5;

export interface OpenDispute {
  disputeId: string;
  paymentId: string;
  purpose: string;
  placeId: string | null;
  amountCents: number;
  status: string;
  reason: string;
  createdAt: Date;
}

export interface RefundIssue {
  refundId: string;
  paymentId: string;
  purpose: string;
  placeId: string | null;
  amountCents: number;
  origin: 'rezo' | 'provider';
  status: string;
  attempts: number;
  error: string | null;
  createdAt: Date;
}

/**
 * What needs a person in the payments (docs/PAYMENTS.md invariants 8, 9): open disputes, refunds
 * Stripe failed or canceled for good, and refunds still unsent after many tries. Node operators only
 * (the federation's treasurer, once that role exists). Newest first, at most 200 of each.
 */
export async function listPaymentIssues(
  db: Db,
  actor: Actor,
): Promise<{ disputes: OpenDispute[]; refunds: RefundIssue[] }> {
  if (!(actor.kind === 'system' || (actor.kind === 'person' && actor.isOperator))) throw forbidden();
  const disputes = await db
    .selectFrom('payment_disputes as d')
    .innerJoin('payments as p', 'p.id', 'd.payment_id')
    .select([
      'd.dispute_id',
      'd.payment_id',
      'p.purpose',
      'p.place_id',
      'd.amount_cents',
      'd.status',
      'd.reason',
      'd.created_at',
    ])
    .where(sql<boolean>`d.status <> all(${CLOSED_DISPUTE_STATUSES}::text[])`)
    .orderBy('d.created_at', 'desc')
    .limit(200)
    .execute();
  const refunds = await db
    .selectFrom('refunds as r')
    .innerJoin('payments as p', 'p.id', 'r.payment_id')
    .select([
      'r.id',
      'r.payment_id',
      'p.purpose',
      'p.place_id',
      'r.amount_cents',
      'r.origin',
      'r.status',
      'r.attempts',
      'r.error',
      'r.created_at',
    ])
    .where((eb) =>
      eb.or([
        eb('r.status', 'in', ['failed', 'canceled']),
        eb.and([eb('r.status', 'in', ['pending', 'sent']), eb('r.attempts', '>=', STUCK_AFTER_ATTEMPTS)]),
      ]),
    )
    .orderBy('r.created_at', 'desc')
    .limit(200)
    .execute();
  return {
    disputes: disputes.map((d) => ({
      disputeId: d.dispute_id,
      paymentId: d.payment_id,
      purpose: d.purpose,
      placeId: d.place_id,
      amountCents: d.amount_cents,
      status: d.status,
      reason: d.reason,
      createdAt: d.created_at,
    })),
    refunds: refunds.map((r) => ({
      refundId: r.id,
      paymentId: r.payment_id,
      purpose: r.purpose,
      placeId: r.place_id,
      amountCents: r.amount_cents,
      origin: r.origin,
      status: r.status,
      attempts: r.attempts,
      error: r.error,
      createdAt: r.created_at,
    })),
  };
}
