import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import type { OwnerKind } from './tables.ts';

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
