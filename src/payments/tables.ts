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
export type PaymentProvider = 'stripe' | 'on_site' | 'wallet';

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
}

export interface PaymentEventsTable {
  provider: string;
  event_id: string;
  type: string;
  payment_id: string | null;
  received_at: CreatedAt;
}

export interface RefundsTable {
  id: string;
  payment_id: string;
  amount_cents: number;
  reason: string;
  status: 'pending' | 'succeeded' | 'failed';
  provider_refund_id: string | null;
  attempts: Generated<number>;
  error: string | null;
  created_at: CreatedAt;
  succeeded_at: NullableTimestamp;
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
  credit_refund_settings: CreditRefundSettingsTable;
}
