import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import type { Balance } from './balancesOf.ts';
import type { CurrencyKind, OwnerKind } from './tables.ts';

export interface OwnerAccount {
  id: string;
  currencyId: string;
  /** What can be moved now: balance − pending debits. */
  available: number;
  /**
   * Everything ever credited to the account (single transfers and posted holds): it only grows, so an
   * operation that moves "what arrived so far" can derive its idempotency key from it.
   */
  credited: number;
}

/**
 * The accounts of one owner (a card, a person…), in currency order, with what is available and what was
 * ever credited. For a caller that holds the lock which serialises the owner's credits (a card's row).
 */
export async function accountsOfOwner(
  trx: Trx,
  owner: { ownerKind: OwnerKind; ownerRef: string },
): Promise<OwnerAccount[]> {
  const { rows } = await sql<{ id: string; currency_id: string; available: number; credited: string }>`
    select a.id, a.currency_id, a.balance - a.pending_debits as available,
      (select coalesce(sum(t.amount), 0) from ledger_transfers t
        where t.credit_account_id = a.id and t.phase in ('single', 'post'))::text as credited
    from ledger_accounts a
    where a.owner_kind = ${owner.ownerKind} and a.owner_ref = ${owner.ownerRef}
    order by a.currency_id`.execute(trx);
  return rows.map((r) => ({
    id: r.id,
    currencyId: r.currency_id,
    available: Number(r.available),
    credited: Number(r.credited),
  }));
}

/** Who owns each of these accounts (kind, ref) and in which currency: what never changes on an account. */
export async function ownersOfAccounts(
  trx: Trx,
  ids: string[],
): Promise<Map<string, { ownerKind: OwnerKind; ownerRef: string; currencyId: string }>> {
  if (ids.length === 0) return new Map();
  const rows = await trx
    .selectFrom('ledger_accounts')
    .select(['id', 'owner_kind', 'owner_ref', 'currency_id'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(
    rows.map((r) => [r.id, { ownerKind: r.owner_kind, ownerRef: r.owner_ref, currencyId: r.currency_id }]),
  );
}

/** An owner's account with its currency: what a wallet shows and a till pays with. */
export interface OwnerAccountWithCurrency {
  id: string;
  currencyId: string;
  code: string;
  name: string;
  kind: CurrencyKind;
  decimals: number;
  euroBacked: boolean;
  issuerPlaceId: string | null;
  status: string;
  balance: number;
  pendingDebits: number;
  floor: number | null;
  /** The venue asked about issues the currency or accepts it (ledger_currency_places), as transferRequest.ts decides. */
  acceptedHere: boolean;
}

/** The accounts of one owner with their currencies, and whether `placeId` accepts each (no order). */
export async function ownerAccountsAt(
  db: Db,
  owner: { ownerKind: OwnerKind; ownerRef: string },
  placeId: string,
): Promise<OwnerAccountWithCurrency[]> {
  const { rows } = await sql<{
    id: string;
    currency_id: string;
    code: string;
    name: string;
    kind: CurrencyKind;
    decimals: number;
    euro_backed: boolean;
    issuer_place_id: string | null;
    status: string;
    balance: number;
    pending_debits: number;
    floor: number | null;
    accepted: boolean;
  }>`select a.id, a.currency_id, c.code, c.name, c.kind, c.decimals, c.euro_backed, c.issuer_place_id, c.status,
      a.balance, a.pending_debits, a.floor,
      (c.issuer_place_id = ${placeId} or exists (select 1 from ledger_currency_places cp where cp.currency_id = c.id and cp.place_id = ${placeId})) as accepted
    from ledger_accounts a join ledger_currencies c on c.id = a.currency_id
    where a.owner_kind = ${owner.ownerKind} and a.owner_ref = ${owner.ownerRef}`.execute(db);
  return rows.map((r) => ({
    id: r.id,
    currencyId: r.currency_id,
    code: r.code,
    name: r.name,
    kind: r.kind,
    decimals: r.decimals,
    euroBacked: r.euro_backed,
    issuerPlaceId: r.issuer_place_id,
    status: r.status,
    balance: r.balance,
    pendingDebits: r.pending_debits,
    floor: r.floor,
    acceptedHere: r.accepted,
  }));
}

/** The balances of one owner (a person, a card…), one per currency it holds an account in, by currency code. */
export async function ownerBalances(db: Db, owner: { ownerKind: OwnerKind; ownerRef: string }): Promise<Balance[]> {
  const rows = await db
    .selectFrom('ledger_accounts as a')
    .innerJoin('ledger_currencies as c', 'c.id', 'a.currency_id')
    .select(['a.id', 'a.balance', 'a.pending_debits', 'a.floor', 'c.code', 'c.name', 'c.kind', 'c.decimals'])
    .where('a.owner_kind', '=', owner.ownerKind)
    .where('a.owner_ref', '=', owner.ownerRef)
    .orderBy('c.code')
    .execute();
  return rows.map((r) => ({
    accountId: r.id,
    currencyCode: r.code,
    currencyName: r.name,
    kind: r.kind,
    decimals: r.decimals,
    balance: r.balance,
    pending: r.pending_debits,
    available: r.balance - r.pending_debits - (r.floor ?? 0),
  }));
}

/** The id of an owner's account in a currency, if it exists (ensureAccount.ts makes one). */
export async function findAccountId(
  db: Db,
  account: { currencyId: string; ownerKind: OwnerKind; ownerRef: string },
): Promise<string | undefined> {
  const row = await db
    .selectFrom('ledger_accounts')
    .select('id')
    .where('currency_id', '=', account.currencyId)
    .where('owner_kind', '=', account.ownerKind)
    .where('owner_ref', '=', account.ownerRef)
    .executeTakeFirst();
  return row?.id;
}

/**
 * Locks these accounts' rows (`for update`), sorted by id: the order every writer of accounts takes
 * them in, so two transactions locking overlapping sets queue instead of deadlocking (docs/TILL.md,
 * "Lock order").
 */
export async function lockAccounts(trx: Trx, ids: readonly string[]): Promise<void> {
  await trx
    .selectFrom('ledger_accounts')
    .select('id')
    .where('id', 'in', [...new Set(ids)])
    .orderBy('id')
    .forUpdate()
    .execute();
}

/**
 * Locks these accounts as lockAccounts does (sorted by id, the one order of every writer) and answers
 * each one's balance and what it may still spend (balance − pending debits − floor), as locked: the
 * till checks and shows the balances its transfers will move.
 */
export async function lockAccountBalances(
  trx: Trx,
  ids: readonly string[],
): Promise<Map<string, { balance: number; available: number }>> {
  const rows = await trx
    .selectFrom('ledger_accounts')
    .select(['id', 'balance', 'pending_debits', 'floor'])
    .where('id', 'in', [...new Set(ids)])
    .orderBy('id')
    .forUpdate()
    .execute();
  return new Map(
    rows.map((a) => [
      a.id,
      {
        balance: Number(a.balance),
        available: Number(a.balance) - Number(a.pending_debits) - Number(a.floor ?? 0),
      },
    ]),
  );
}
