import type { Db } from '../db/database.ts';
import { DomainError, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import type { CurrencyKind, DeviceSignature, OwnerKind, PaymentProvider, TransferPhase } from './tables.ts';

/**
 * Largest amount of one transfer, in minor units: the project-wide bound of any money input
 * (MAX_AMOUNT_MINOR, 10^9), also a CHECK on ledger_transfers.amount (migration 0018). Kept under this
 * name for the modules that import it.
 */
export const MAX_AMOUNT = MAX_AMOUNT_MINOR;
/** Most transfers in one linked batch. */
export const MAX_BATCH = 20;

export interface Currency {
  id: string;
  code: string;
  name: string;
  kind: CurrencyKind;
  decimals: number;
  euroBacked: boolean;
  issuerFederationId: string | null;
  issuerPlaceId: string | null;
  status: 'active' | 'archived';
}

export interface Account {
  id: string;
  currencyId: string;
  ownerKind: OwnerKind;
  ownerRef: string;
  floor: number | null;
  balance: number;
  pendingDebits: number;
}

export interface Transfer {
  id: string;
  currencyId: string;
  /** Legacy chain position (transfers before migration 0014); null for transfers sealed in blocks. */
  position: number | null;
  /** The transfer's own hash (encoding v2); for legacy transfers, their chain hash (v1). */
  hash: string;
  /** Legacy chain only; null otherwise. */
  prevHash: string | null;
  phase: TransferPhase;
  kind: string;
  debitAccountId: string;
  creditAccountId: string;
  amount: number;
  pendingId: string | null;
  expiresAt: Date | null;
  batchId: string | null;
  authorisedBy: string;
  authoriserId: string;
  placeId: string | null;
  deviceSignature: DeviceSignature | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

type CurrencyRow = {
  id: string;
  code: string;
  name: string;
  kind: CurrencyKind;
  decimals: number;
  euro_backed: boolean;
  issuer_federation_id: string | null;
  issuer_place_id: string | null;
  status: 'active' | 'archived';
};
export const CURRENCY_COLUMNS = [
  'id',
  'code',
  'name',
  'kind',
  'decimals',
  'euro_backed',
  'issuer_federation_id',
  'issuer_place_id',
  'status',
] as const;
export function toCurrency(r: CurrencyRow): Currency {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    kind: r.kind,
    decimals: r.decimals,
    euroBacked: r.euro_backed,
    issuerFederationId: r.issuer_federation_id,
    issuerPlaceId: r.issuer_place_id,
    status: r.status,
  };
}

type AccountRow = {
  id: string;
  currency_id: string;
  owner_kind: OwnerKind;
  owner_ref: string;
  floor: number | null;
  balance: number;
  pending_debits: number;
};
export const ACCOUNT_COLUMNS = [
  'id',
  'currency_id',
  'owner_kind',
  'owner_ref',
  'floor',
  'balance',
  'pending_debits',
] as const;
export function toAccount(r: AccountRow): Account {
  return {
    id: r.id,
    currencyId: r.currency_id,
    ownerKind: r.owner_kind,
    ownerRef: r.owner_ref,
    floor: r.floor,
    balance: r.balance,
    pendingDebits: r.pending_debits,
  };
}

export const TRANSFER_COLUMNS = [
  'id',
  'currency_id',
  'position',
  'hash',
  'prev_hash',
  'phase',
  'kind',
  'debit_account_id',
  'credit_account_id',
  'amount',
  'pending_id',
  'expires_at',
  'batch_id',
  'authorised_by',
  'authoriser_id',
  'place_id',
  'device_signature',
  'metadata',
  'created_at',
] as const;
type TransferRow = {
  id: string;
  currency_id: string;
  position: number | null;
  hash: string;
  prev_hash: string | null;
  phase: TransferPhase;
  kind: string;
  debit_account_id: string;
  credit_account_id: string;
  amount: number;
  pending_id: string | null;
  expires_at: Date | null;
  batch_id: string | null;
  authorised_by: string;
  authoriser_id: string;
  place_id: string | null;
  device_signature: DeviceSignature | null;
  metadata: Record<string, unknown>;
  created_at: Date;
};
export function toTransfer(r: TransferRow): Transfer {
  return {
    id: r.id,
    currencyId: r.currency_id,
    position: r.position,
    hash: r.hash,
    prevHash: r.prev_hash,
    phase: r.phase,
    kind: r.kind,
    debitAccountId: r.debit_account_id,
    creditAccountId: r.credit_account_id,
    amount: r.amount,
    pendingId: r.pending_id,
    expiresAt: r.expires_at,
    batchId: r.batch_id,
    authorisedBy: r.authorised_by,
    authoriserId: r.authoriser_id,
    placeId: r.place_id,
    deviceSignature: r.device_signature,
    metadata: r.metadata,
    createdAt: r.created_at,
  };
}

export async function findCurrency(db: Db, code: string): Promise<Currency | null> {
  const row = await db
    .selectFrom('ledger_currencies')
    .select(CURRENCY_COLUMNS)
    .where('code', '=', code)
    .executeTakeFirst();
  return row ? toCurrency(row) : null;
}

export async function getCurrency(db: Db, code: string): Promise<Currency> {
  const currency = await findCurrency(db, code);
  if (!currency) throw notFound('currency');
  return currency;
}

export async function getCurrencyById(db: Db, id: string): Promise<Currency> {
  const row = await db.selectFrom('ledger_currencies').select(CURRENCY_COLUMNS).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('currency');
  return toCurrency(row);
}

/**
 * Reads an amount of minor units: a JSON integer or a string of digits, > 0 and <= MAX_AMOUNT_MINOR.
 * Floats, signs, exponents and blanks are refused: money never goes through a float.
 */
export function readAmount(errors: FieldErrors, field: string, raw: unknown): number {
  let value: number | null = null;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) value = raw;
  else if (typeof raw === 'string' && /^[0-9]{1,16}$/.test(raw)) value = Number(raw);
  if (raw === undefined || raw === null || raw === '') {
    errors.add(field, 'required');
    return 0;
  }
  if (value === null) {
    errors.add(field, 'ledger.amount');
    return 0;
  }
  if (value <= 0 || value > MAX_AMOUNT_MINOR) {
    errors.add(field, 'ledger.amount-range', { max: MAX_AMOUNT_MINOR });
    return 0;
  }
  return value;
}

export function readUuid(errors: FieldErrors, field: string, raw: unknown): string {
  if (raw === undefined || raw === null || raw === '') errors.add(field, 'required');
  else if (typeof raw !== 'string' || !isUuid(raw)) errors.add(field, 'format');
  else return raw.toLowerCase();
  return '';
}

const KIND_RE = /^[a-z_]{2,30}$/;
export function readKind(errors: FieldErrors, field: string, raw: unknown, allowed: readonly string[]): string {
  if (typeof raw !== 'string' || !KIND_RE.test(raw) || !allowed.includes(raw)) {
    errors.add(field, 'choice');
    return '';
  }
  return raw;
}

/** Metadata is a small flat-ish JSON object (order, sale, payment reference…), bounded in size. */
export function readMetadata(errors: FieldErrors, field: string, raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    errors.add(field, 'type');
    return {};
  }
  if (JSON.stringify(raw).length > 2000) {
    errors.add(field, 'too-long', { max: 2000 });
    return {};
  }
  return raw as Record<string, unknown>;
}

export const insufficientFunds = (accountId: string) =>
  new DomainError('ledger-insufficient-funds', 422, { account: accountId });

/** The transfers with these ids that exist, by id. */
export async function transfersById(db: Db, ids: readonly string[]): Promise<Map<string, Transfer>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('ledger_transfers').select(TRANSFER_COLUMNS).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, toTransfer(r)]));
}

/** The payment provider behind a euro-backed mint (its ledger_payment_references row, which must exist). */
export async function paymentProviderOfMint(db: Db, transferId: string): Promise<PaymentProvider> {
  const row = await db
    .selectFrom('ledger_payment_references')
    .select('provider')
    .where('transfer_id', '=', transferId)
    .executeTakeFirstOrThrow();
  return row.provider;
}
