import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { requirePerson } from '../access/permissions.ts';
import { ownerBalances } from './accountsOfOwner.ts';

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
  return ownerBalances(db, { ownerKind: 'person', ownerRef: actor.personId });
}
