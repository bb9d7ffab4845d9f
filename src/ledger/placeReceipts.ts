import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { unauthenticated } from '../shared/errors.ts';
import { pageOfTransfers, type HistoryPage } from './history.ts';

/**
 * The transfers a venue is party to (its accounts, debit or credit side): what it received and paid
 * back. A venue sees nothing else (rule 6). Venue admins, cashiers, or a key with the till scope.
 */
export async function placeReceipts(
  db: Db,
  actor: Actor | null,
  input: { placeId: string; cursor?: string; limit?: number },
): Promise<HistoryPage> {
  if (!actor) throw unauthenticated();
  await authorize(db, actor, input.placeId, 'till');
  const accounts = await db
    .selectFrom('ledger_accounts')
    .select('id')
    .where('owner_kind', '=', 'place')
    .where('owner_ref', '=', input.placeId)
    .execute();
  return pageOfTransfers(
    db,
    accounts.map((a) => a.id),
    input,
  );
}
