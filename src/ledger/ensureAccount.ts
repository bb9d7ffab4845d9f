import { inTransaction, type Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { ACCOUNT_COLUMNS, toAccount, type Account } from './ledger.ts';
import type { OwnerKind, SystemRole } from './tables.ts';

export interface EnsureAccountInput {
  currencyId: string;
  ownerKind: OwnerKind;
  /** The owner's id (person, card, place) or the system role. */
  ownerRef: string | SystemRole;
}

/**
 * The account of an owner in a currency, created empty on first use (one per owner and currency).
 * An empty account moves no money, so creating one needs no permission: every movement into or out
 * of it goes through a use case that checks who may do it. Floors: 0 for people, cards, venues and
 * the reserve, clearing and demurrage accounts; none for issuance (it mirrors what was issued) and
 * for a venue's settlement position (`settlement:<place id>`: negative when the venue owes the
 * federation, docs/SETTLEMENT.md).
 */
export async function ensureAccount(db: Db, input: EnsureAccountInput): Promise<Account> {
  const settlement = input.ownerKind === 'system' && isSettlementRole(input.ownerRef);
  if (
    input.ownerKind === 'system' &&
    !settlement &&
    !['issuance', 'reserve', 'clearing', 'demurrage'].includes(input.ownerRef)
  ) {
    throw new DomainError('not-found', 404, { what: 'account' });
  }
  return inTransaction(db, async (trx) => {
    const floor = input.ownerKind === 'system' && (input.ownerRef === 'issuance' || settlement) ? null : 0;
    const inserted = await trx
      .insertInto('ledger_accounts')
      .values({
        id: uuidv7(),
        currency_id: input.currencyId,
        owner_kind: input.ownerKind,
        owner_ref: input.ownerRef,
        floor,
      })
      .onConflict((oc) => oc.columns(['currency_id', 'owner_kind', 'owner_ref']).doNothing())
      .returning(ACCOUNT_COLUMNS)
      .executeTakeFirst();
    if (inserted) return toAccount(inserted);
    const row = await trx
      .selectFrom('ledger_accounts')
      .select(ACCOUNT_COLUMNS)
      .where('currency_id', '=', input.currencyId)
      .where('owner_kind', '=', input.ownerKind)
      .where('owner_ref', '=', input.ownerRef)
      .executeTakeFirstOrThrow();
    return toAccount(row);
  });
}

/** `settlement:<place id>`: the system role of a venue's settlement position. */
export function settlementRole(placeId: string): `settlement:${string}` {
  return `settlement:${placeId}`;
}

function isSettlementRole(ref: string): boolean {
  return ref.startsWith('settlement:') && isUuid(ref.slice('settlement:'.length)) && ref === ref.toLowerCase();
}
