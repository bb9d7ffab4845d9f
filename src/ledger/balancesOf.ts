import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { requirePerson } from '../access/permissions.ts';

export interface Balance {
  accountId: string;
  currencyCode: string;
  currencyName: string;
  kind: string;
  decimals: number;
  balance: number;
  /** Reserved by holds not yet posted or voided. */
  pending: number;
  /** What can be spent now: balance - pending - floor. */
  available: number;
}

/** The balances of the person asking, one per currency they hold an account in. Read-only. */
export async function balancesOf(db: Db, actor: Actor | null): Promise<Balance[]> {
  requirePerson(actor);
  const rows = await db
    .selectFrom('ledger_accounts as a')
    .innerJoin('ledger_currencies as c', 'c.id', 'a.currency_id')
    .select(['a.id', 'a.balance', 'a.pending_debits', 'a.floor', 'c.code', 'c.name', 'c.kind', 'c.decimals'])
    .where('a.owner_kind', '=', 'person')
    .where('a.owner_ref', '=', actor.personId)
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
