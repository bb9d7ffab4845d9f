import type { Trx } from '../db/database.ts';
import { findAccountId, ownerAccountsAt, ensureAccount, type CurrencyKind, type OwnerKind } from '../ledger/index.ts';

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
 * euro → federated euro, then code. Acceptance is the ledger's (ownerAccountsAt): the venue issues the
 * currency or accepts it.
 */
export async function walletBalances(
  trx: Trx,
  owner: { ownerKind: OwnerKind; ownerRef: string },
  placeId: string,
): Promise<WalletBalance[]> {
  const rows = await ownerAccountsAt(trx, owner, placeId);
  const list = rows.map((r) => ({
    accountId: r.id,
    currencyId: r.currencyId,
    code: r.code,
    name: r.name,
    kind: r.kind,
    decimals: Number(r.decimals),
    euroBacked: r.euroBacked,
    issuerPlaceId: r.issuerPlaceId,
    balance: Number(r.balance),
    available: Number(r.balance) - Number(r.pendingDebits) - Number(r.floor ?? 0),
    usableHere:
      Boolean(r.acceptedHere) && r.status === 'active' && PAYMENT_ORDER.includes(r.kind) && Number(r.decimals) === 2,
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
  const existing = await findAccountId(trx, { currencyId, ownerKind: 'place', ownerRef: placeId });
  if (!existing) return (await ensureAccount(trx, { currencyId, ownerKind: 'place', ownerRef: placeId })).id;
  if (venueAccounts.size > 10_000) venueAccounts.clear();
  venueAccounts.set(key, existing);
  return existing;
}

/** A wallet account of a currency (created empty on first use: a top-up on a new card). */
export async function walletAccountId(
  trx: Trx,
  currencyId: string,
  owner: { ownerKind: OwnerKind; ownerRef: string },
): Promise<string> {
  return (await ensureAccount(trx, { currencyId, ownerKind: owner.ownerKind, ownerRef: owner.ownerRef })).id;
}
