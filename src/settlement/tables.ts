/** Table types of the settlement module (migration 0022_settlement.sql). Merged into DB in db/schema.ts. */
import type { ColumnType } from 'kysely';
import type { CreatedAt, NullableTimestamp, Timestamp } from '../db/schema.ts';
import type { SettlementLine } from '../ledger/tables.ts';

type Defaulted<T> = ColumnType<T, T | undefined, T>;
type JsonColumn<T> = ColumnType<T, string, never>;

export interface SettlementTreasurersTable {
  federation_id: string;
  person_id: string;
  added_by: string | null;
  created_at: CreatedAt;
}

export interface SettlementSettingsTable {
  federation_id: string;
  fee_bps: Defaulted<number>;
  updated_at: CreatedAt;
}

export type RunStatus = 'running' | 'complete';

export interface SettlementRunsTable {
  id: string;
  federation_id: string;
  currency_id: string;
  period_start: Date | null;
  period_end: Timestamp;
  status: Defaulted<RunStatus>;
  started_by: string | null;
  started_at: CreatedAt;
  completed_at: NullableTimestamp;
}

/** One line of a statement: a kind of movement, how many, and their sum (signed for the venue). */
export interface StatementLine {
  line: SettlementLine;
  count: number;
  amountCents: number;
}

/** Append-only (trigger). */
export interface SettlementStatementsTable {
  id: string;
  run_id: string;
  federation_id: string;
  place_id: string;
  currency_id: string;
  number: number;
  period_start: Date | null;
  period_end: Timestamp;
  covers_to: Timestamp;
  opening_cents: number;
  tokens_cents: number;
  cash_cents: number;
  fee_bps: number;
  fee_cents: number;
  closing_cents: number;
  lines: JsonColumn<StatementLine[]>;
  lines_sha256: string;
  signature: string;
  message_version: number;
  created_by: string | null;
  created_at: Timestamp;
}

export type PayoutDirection = 'to_venue' | 'from_venue';
export type PayoutMethod = 'sepa' | 'stripe';
export type PayoutStatus = 'pending' | 'paid' | 'failed';

export interface SettlementPayoutsTable {
  id: string;
  federation_id: string;
  statement_id: string;
  place_id: string;
  direction: PayoutDirection;
  method: PayoutMethod;
  amount_cents: number;
  status: PayoutStatus;
  reference: string | null;
  /** A calendar date, read as 'YYYY-MM-DD'. */
  paid_on: string | null;
  transfer_id: string | null;
  stripe_account: string | null;
  attempts: Defaulted<number>;
  last_error: string | null;
  recorded_by: string | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface SettlementTables {
  settlement_treasurers: SettlementTreasurersTable;
  settlement_settings: SettlementSettingsTable;
  settlement_runs: SettlementRunsTable;
  settlement_statements: SettlementStatementsTable;
  settlement_payouts: SettlementPayoutsTable;
}
