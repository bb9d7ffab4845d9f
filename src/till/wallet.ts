import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { ensureAccount } from '../ledger/ensureAccount.ts';
import type { CurrencyKind, OwnerKind } from '../ledger/tables.ts';

/** The order in which a card payment takes a wallet's currencies (docs/TILL.md, invariant 4). */
export const PAYMENT_ORDER: readonly CurrencyKind[] = ['gift', 'local_euro', 'federated_euro'];

export interface WalletBalance {
  accountId: string;
  currencyId: string;
  code: string;
  name: string;
  kind: CurrencyKind;
  decimals: number;
  euroBacked: boolean;
  issuerPlaceId: string | null;
  balance: number;
  /** What can be spent now: balance − pending − floor. */
  available: number;
  /** The venue accepts it (its issuer, or listed in ledger_currency_places), it is active and a payment currency. */
  usableHere: boolean;
}

const rank = (kind: CurrencyKind) => {
  const i = PAYMENT_ORDER.indexOf(kind);
  return i < 0 ? PAYMENT_ORDER.length : i;
};

/**
 * A wallet's balances (the accounts of one owner), in payment order: usable here first, gift → local
 * euro → federated euro, then code. Acceptance is decided as the ledger does (transferRequest.ts): the
 * venue issues the currency or accepts it in ledger_currency_places.
 */
export async function walletBalances(
  trx: Trx,
  owner: { ownerKind: OwnerKind; ownerRef: string },
  placeId: string,
): Promise<WalletBalance[]> {
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
    where a.owner_kind = ${owner.ownerKind} and a.owner_ref = ${owner.ownerRef}`.execute(trx);
  const list = rows.map((r) => ({
    accountId: r.id,
    currencyId: r.currency_id,
    code: r.code,
    name: r.name,
    kind: r.kind,
    decimals: Number(r.decimals),
    euroBacked: r.euro_backed,
    issuerPlaceId: r.issuer_place_id,
    balance: Number(r.balance),
    available: Number(r.balance) - Number(r.pending_debits) - Number(r.floor ?? 0),
    usableHere:
      Boolean(r.accepted) && r.status === 'active' && PAYMENT_ORDER.includes(r.kind) && Number(r.decimals) === 2,
  }));
  return sortWallet(list);
}

/** Usable here first, then gift → local euro → federated euro, then by code. */
export function sortWallet(list: WalletBalance[]): WalletBalance[] {
  return list.sort(
    (x, y) =>
      Number(y.usableHere) - Number(x.usableHere) || rank(x.kind) - rank(y.kind) || x.code.localeCompare(y.code),
  );
}

// A venue's account of a currency never changes once made: cached for the process.
const venueAccounts = new Map<string, string>();

/**
 * The venue's own account in a currency (created empty on first use). Cached only once seen
 * committed-or-existing: an account created by a transaction that then rolls back is not cached.
 */
export async function venueAccountId(trx: Trx, currencyId: string, placeId: string): Promise<string> {
  const key = `${currencyId}/${placeId}`;
  const cached = venueAccounts.get(key);
  if (cached) return cached;
  const existing = await trx
    .selectFrom('ledger_accounts')
    .select('id')
    .where('currency_id', '=', currencyId)
    .where('owner_kind', '=', 'place')
    .where('owner_ref', '=', placeId)
    .executeTakeFirst();
  if (!existing) return (await ensureAccount(trx, { currencyId, ownerKind: 'place', ownerRef: placeId })).id;
  if (venueAccounts.size > 10_000) venueAccounts.clear();
  venueAccounts.set(key, existing.id);
  return existing.id;
}

/** A wallet account of a currency (created empty on first use: a top-up on a new card). */
export async function walletAccountId(
  trx: Trx,
  currencyId: string,
  owner: { ownerKind: OwnerKind; ownerRef: string },
): Promise<string> {
  return (await ensureAccount(trx, { currencyId, ownerKind: owner.ownerKind, ownerRef: owner.ownerRef })).id;
}
