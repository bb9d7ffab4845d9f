import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { requirePerson } from '../access/permissions.ts';
import { forbidden } from '../shared/errors.ts';
import { pageOfTransfers, type HistoryPage } from './history.ts';

/**
 * The history of the person asking: all their accounts, or one of them. Nobody reads another
 * person's history, operators included (rule 6): an account of someone else is a 403.
 */
export async function historyOf(
  db: Db,
  actor: Actor | null,
  input: { accountId?: string; cursor?: string; limit?: number },
): Promise<HistoryPage> {
  requirePerson(actor);
  const accounts = await db
    .selectFrom('ledger_accounts')
    .select('id')
    .where('owner_kind', '=', 'person')
    .where('owner_ref', '=', actor.personId)
    .execute();
  let ids = accounts.map((a) => a.id);
  if (input.accountId !== undefined) {
    if (!ids.includes(input.accountId)) throw forbidden();
    ids = [input.accountId];
  }
  return pageOfTransfers(db, ids, input);
}
