/**
 * Table types of the ledger module (migrations 0003_ledger.sql, 0014_ledger_blocks.sql,
 * 0018_ledger_authorisation.sql, 0019_till_money.sql, 0022_settlement.sql, 0023 (debts), 0027 (witnessing)). Merged into DB in
 * db/schema.ts.
 */
import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, Json, NullableTimestamp, Timestamp } from '../db/schema.ts';

export type CurrencyKind = 'federated_euro' | 'local_euro' | 'gift' | 'time' | 'loyalty' | 'membership';
export type OwnerKind = 'person' | 'card' | 'place' | 'system';
/** A system account's role; `settlement:<place id>` is a venue's settlement position (docs/SETTLEMENT.md). */
export type SystemRole = 'issuance' | 'reserve' | 'clearing' | 'demurrage' | `settlement:${string}`;
export type TransferPhase = 'single' | 'pending' | 'post' | 'void';
export type AuthorisedBy = 'person' | 'device' | 'api_key' | 'node';
/** `demo`: the pretend payments of a development node (docs/PAYMENTS.md, "Demo provider"), the node's only. */
export type PaymentProvider = 'stripe' | 'cash' | 'transfer' | 'demo';

type JsonColumn<T> = ColumnType<T, string | (null extends T ? null : never), never>;
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface LedgerFederationsTable {
  id: string;
  slug: string;
  name: string;
  created_at: CreatedAt;
}

export interface LedgerFederationPlacesTable {
  federation_id: string;
  place_id: string;
  created_at: CreatedAt;
}

export interface LedgerCurrenciesTable {
  id: string;
  code: string;
  name: string;
  kind: CurrencyKind;
  decimals: number;
  euro_backed: boolean;
  issuer_federation_id: string | null;
  issuer_place_id: string | null;
  status: Defaulted<'active' | 'archived'>;
  created_at: CreatedAt;
}

export interface LedgerCurrencyPlacesTable {
  currency_id: string;
  place_id: string;
  created_at: CreatedAt;
}

export interface LedgerAccountsTable {
  id: string;
  currency_id: string;
  owner_kind: OwnerKind;
  owner_ref: string;
  floor: number | null;
  balance: Defaulted<number>;
  pending_debits: Defaulted<number>;
  created_at: CreatedAt;
}

export interface LedgerChainHeadsTable {
  currency_id: string;
  position: Defaulted<number>;
  hash: Defaulted<string>;
  updated_at: CreatedAt;
}

/** Append-only: the database refuses UPDATE and DELETE (trigger), so no update type is offered. */
export interface LedgerTransfersTable {
  id: ColumnType<string, string, never>;
  currency_id: ColumnType<string, string, never>;
  /** Legacy chain (before migration 0014) only; null for transfers sealed in blocks. */
  position: ColumnType<number | null, number | null | undefined, never>;
  prev_hash: ColumnType<string | null, string | null | undefined, never>;
  /** Legacy: the chain hash (encoding v1); since 0014: the transfer's own hash (encoding v2). */
  hash: ColumnType<string, string, never>;
  phase: ColumnType<TransferPhase, TransferPhase, never>;
  kind: ColumnType<string, string, never>;
  debit_account_id: ColumnType<string, string, never>;
  credit_account_id: ColumnType<string, string, never>;
  amount: ColumnType<number, number, never>;
  pending_id: ColumnType<string | null, string | null, never>;
  expires_at: ColumnType<Date | null, Date | null, never>;
  batch_id: ColumnType<string | null, string | null, never>;
  authorised_by: ColumnType<AuthorisedBy, AuthorisedBy, never>;
  authoriser_id: ColumnType<string, string, never>;
  place_id: ColumnType<string | null, string | null, never>;
  device_signature: JsonColumn<DeviceSignature | null>;
  metadata: JsonColumn<Record<string, unknown>>;
  request_sha256: ColumnType<string, string, never>;
  created_at: ColumnType<Date, Date, never>;
}

/** What a device signed, kept with the transfer so anyone can check who authorised it. */
export interface DeviceSignature {
  /** '2' when the signature covers the query string (`path` is then the target as sent); absent: version 1. */
  version?: string;
  placeId: string;
  deviceId: string;
  method: string;
  /** The request target as sent: its path, and for version 2 its query string (none for version 1). */
  path: string;
  bodySha256: string;
  timestamp: string;
  nonce: string;
  signature: string;
}

export interface LedgerPaymentReferencesTable {
  provider: PaymentProvider;
  reference: string;
  currency_id: string;
  amount_cents: number;
  transfer_id: string;
  place_id: string | null;
  cashier_person_id: string | null;
  device_id: string | null;
  created_at: CreatedAt;
}

export interface LedgerPayoutsTable {
  provider: PaymentProvider;
  reference: string;
  payment_provider: PaymentProvider;
  payment_reference: string;
  amount_cents: number;
  transfer_id: string;
  /** The venue that paid the euros out at its counter (since 0019); null for other payouts. */
  place_id: ColumnType<string | null, string | null | undefined, never>;
  created_at: CreatedAt;
}

/**
 * What a holder owes after euros were given back for tokens already spent (migration 0023; docs/LEDGER.md
 * rule 5): the shortfall of a reversal's burn, one per refund or dispute.
 */
export interface LedgerDebtsTable {
  reversal_provider: PaymentProvider;
  reversal_reference: string;
  reason: 'refund' | 'dispute';
  currency_id: string;
  account_id: string;
  payment_provider: PaymentProvider;
  payment_reference: string;
  amount_cents: number;
  created_at: CreatedAt;
}

/** Transfers committed and not yet sealed in a block (the sealer deletes them as it seals). */
export interface LedgerUnsealedTable {
  transfer_id: string;
  currency_id: string;
  seq: ColumnType<number, never, never>;
  created_at: CreatedAt;
}

/** Append-only (trigger). */
export interface LedgerBlocksTable {
  currency_id: string;
  number: number;
  prev_hash: string;
  hash: string;
  transfers_hash: string;
  transfer_count: number;
  first_position: number;
  last_position: number;
  first_transfer_id: string;
  last_transfer_id: string;
  supply: number;
  sealed_at: Timestamp;
}

/** Append-only (trigger): which block sealed a transfer, at which index. */
export interface LedgerBlockTransfersTable {
  transfer_id: string;
  currency_id: string;
  block_number: number;
  index: number;
}

/** Append-only (trigger): a transfer counted in a venue's settlement statement, once per side. */
export interface LedgerSettledItemsTable {
  transfer_id: string;
  side: SettledSide;
  currency_id: string;
  place_id: string;
  statement_id: string;
  line: SettlementLine;
  /** Signed for the venue: + the federation owes it more. */
  amount: number;
  late: Defaulted<boolean>;
  created_at: CreatedAt;
}

export type SettledSide = 'tokens' | 'cash';
export type SettlementLine =
  | 'till_sales'
  | 'tickets'
  | 'memberships'
  | 'other_received'
  | 'refunds'
  | 'other_paid'
  | 'cash_top_ups'
  | 'cash_outs';

/** Append-only (trigger): the euro side of a settlement posting touching issuance (+ out of the reserve). */
export interface LedgerSettlementEurosTable {
  transfer_id: string;
  currency_id: string;
  place_id: string;
  statement_id: string;
  kind: SettlementEuroKind;
  amount_cents: number;
  reference: string;
  created_at: CreatedAt;
}

export type SettlementEuroKind = 'cash_kept' | 'fee' | 'payout' | 'remittance';

export interface LedgerCheckpointsTable {
  currency_id: string;
  /** Legacy checkpoints: null. Since 0014: the block signed (position is its last position). */
  block_number: ColumnType<number | null, number | null | undefined, never>;
  position: number;
  head_hash: string;
  supply: number;
  signed_at: Timestamp;
  signature: string;
}

/** Ledger witnessing (0027, docs/FEDERATION.md): the node's log checkpoints, its witnesses, and the logs it witnesses. */
export interface LedgerLogCheckpointsTable {
  currency_id: string;
  size: number;
  root_hash: string;
  note: string;
  signed_at: Timestamp;
}

export interface LedgerLogWitnessesTable {
  name: string;
  verifier_key: string;
  url: string;
  attempts: Generated<number>;
  next_attempt_at: CreatedAt;
  last_error: string | null;
  created_at: CreatedAt;
}

export interface LedgerLogCosignaturesTable {
  currency_id: string;
  size: number;
  witness_name: string;
  signature_line: string;
  cosigned_at: Timestamp;
  received_at: CreatedAt;
}

export type WitnessedLogStatus = 'active' | 'equivocated';

export interface LedgerWitnessLogsTable {
  origin: string;
  verifier_key: string;
  peer_url: string;
  size: Generated<number>;
  root_hash: string | null;
  checkpoint: string | null;
  cosignature: string | null;
  cosigned_at: NullableTimestamp;
  status: Generated<WitnessedLogStatus>;
  created_at: CreatedAt;
}

export type EvidenceKind = 'fork' | 'inconsistent' | 'rollback';

export interface LedgerWitnessEvidenceTable {
  id: string;
  origin: string;
  kind: EvidenceKind;
  evidence: Json<unknown>;
  digest: string;
  received_from: string | null;
  created_at: CreatedAt;
}

export interface LedgerDevicesTable {
  place_id: string;
  id: string;
  name: string;
  kind: 'till' | 'scanner';
  public_key: string;
  created_at: CreatedAt;
  revoked_at: NullableTimestamp;
}

export interface LedgerDeviceNoncesTable {
  place_id: string;
  device_id: string;
  nonce: string;
  seen_at: CreatedAt;
}

/** A hold the expiry job could not void (migration 0019): retried at `retry_at`. */
export interface LedgerHoldExpiryFailuresTable {
  hold_id: string;
  attempts: number;
  last_error: string;
  failed_at: Timestamp;
  retry_at: Timestamp;
}

/** A venue's limits on refunds and payouts from its accounts (0018); no row = DEFAULT_REFUND_LIMITS. */
export interface LedgerRefundLimitsTable {
  place_id: string;
  per_operation: number;
  per_day: number;
  updated_at: CreatedAt;
}

/** A refund or payout from a venue's account authorised by the transfer API (0018): the 24-hour sums. */
export interface LedgerRefundsTable {
  transfer_id: string;
  place_id: string;
  currency_id: string;
  amount: number;
  created_at: CreatedAt;
}

/** A wallet pass spent (0018): its nonce is unique, so a pass pays once. */
export interface LedgerWalletPassesTable {
  nonce: string;
  person_id: string;
  place_id: string;
  max_amount: number;
  expires_at: Timestamp;
  request_sha256: string;
  spent_at: CreatedAt;
}

export interface LedgerTables {
  ledger_federations: LedgerFederationsTable;
  ledger_federation_places: LedgerFederationPlacesTable;
  ledger_currencies: LedgerCurrenciesTable;
  ledger_currency_places: LedgerCurrencyPlacesTable;
  ledger_accounts: LedgerAccountsTable;
  ledger_chain_heads: LedgerChainHeadsTable;
  ledger_transfers: LedgerTransfersTable;
  ledger_payment_references: LedgerPaymentReferencesTable;
  ledger_payouts: LedgerPayoutsTable;
  ledger_debts: LedgerDebtsTable;
  ledger_checkpoints: LedgerCheckpointsTable;
  ledger_settled_items: LedgerSettledItemsTable;
  ledger_settlement_euros: LedgerSettlementEurosTable;
  ledger_unsealed: LedgerUnsealedTable;
  ledger_blocks: LedgerBlocksTable;
  ledger_block_transfers: LedgerBlockTransfersTable;
  ledger_devices: LedgerDevicesTable;
  ledger_device_nonces: LedgerDeviceNoncesTable;
  ledger_hold_expiry_failures: LedgerHoldExpiryFailuresTable;
  ledger_refund_limits: LedgerRefundLimitsTable;
  ledger_refunds: LedgerRefundsTable;
  ledger_wallet_passes: LedgerWalletPassesTable;
  ledger_log_checkpoints: LedgerLogCheckpointsTable;
  ledger_log_witnesses: LedgerLogWitnessesTable;
  ledger_log_cosignatures: LedgerLogCosignaturesTable;
  ledger_witness_logs: LedgerWitnessLogsTable;
  ledger_witness_evidence: LedgerWitnessEvidenceTable;
}
