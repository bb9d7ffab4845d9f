import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, NullableTimestamp } from '../db/schema.ts';

export type PaymentStatus =
  | 'pending'
  | 'paid'
  | 'failed'
  | 'expired'
  | 'refund_pending'
  | 'refunded'
  | 'partially_refunded';
export type PaymentProvider = 'stripe' | 'on_site' | 'wallet' | 'demo';

export interface PaymentsTable {
  id: string;
  place_id: string | null;
  purpose: string;
  subject_id: string;
  provider: PaymentProvider;
  amount_cents: number;
  received_cents: ColumnType<number | null, number | null | undefined, number | null>;
  currency: ColumnType<'EUR', 'EUR' | undefined, 'EUR'>;
  person_id: string | null;
  status: PaymentStatus;
  provider_session_id: string | null;
  provider_payment_id: string | null;
  checkout_url: string | null;
  method: string | null;
  metadata: ColumnType<Record<string, string>, string | undefined, string>;
  failure: string | null;
  created_at: CreatedAt;
  paid_at: NullableTimestamp;
  updated_at: CreatedAt;
  /** When the housekeeping next asks Stripe about this pending session (migration 0023). */
  reconcile_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface PaymentEventsTable {
  provider: string;
  event_id: string;
  type: string;
  payment_id: string | null;
  received_at: CreatedAt;
  /** The payment intent of a refund or dispute event whose payment Rezo did not know yet (an orphan). */
  object_ref: string | null;
}

/**
 * `pending`: Rezo must (re)send it; `sent`: Stripe has it and has not finished; then Stripe's
 * `succeeded`, `failed` or `canceled` (docs/PAYMENTS.md, "States").
 */
export type RefundStatus = 'pending' | 'sent' | 'succeeded' | 'failed' | 'canceled';

export interface RefundsTable {
  id: string;
  payment_id: string;
  amount_cents: number;
  reason: string;
  status: RefundStatus;
  provider_refund_id: string | null;
  attempts: Generated<number>;
  error: string | null;
  created_at: CreatedAt;
  succeeded_at: NullableTimestamp;
  /** `rezo`: asked by Rezo; `provider`: made outside Rezo (Stripe's dashboard or API), learnt from Stripe. */
  origin: Generated<'rezo' | 'provider'>;
  /** Which attempt of a Rezo refund the provider has (a failed one is tried again as the next attempt). */
  provider_attempt: Generated<number>;
  /** Lease and backoff of the senders: not claimed again before. */
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** Refunds made outside Rezo: when their reversal was applied. */
  reversed_at: NullableTimestamp;
}

/** A chargeback as Stripe reports it (migration 0023); a lost one is reversed once. */
export interface PaymentDisputesTable {
  provider: 'stripe';
  dispute_id: string;
  payment_id: string;
  amount_cents: number;
  status: string;
  reason: Generated<string>;
  reversed_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

/**
 * Whether a venue offers refunds as credit to the buyer's Rezo wallet, and in which of its currencies
 * (migration 0016; docs/PAYMENTS.md, "Refund as wallet credit"). No row: refunds go to the payment.
 */
export interface CreditRefundSettingsTable {
  place_id: string;
  currency_id: string;
  updated_at: CreatedAt;
}

/** Table types of the payments module. Merged into DB in db/schema.ts. */
export interface PaymentTables {
  payments: PaymentsTable;
  payment_events: PaymentEventsTable;
  refunds: RefundsTable;
  payment_disputes: PaymentDisputesTable;
  credit_refund_settings: CreditRefundSettingsTable;
}
