import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { findPersonByEmail, requireEmail } from '../accounts/index.ts';
import { requireOperator, settledFederation } from './treasurers.ts';

/** Takes the treasurer role of a federation back (operators and the node). Not a treasurer: no change. */
export async function removeTreasurer(
  db: Db,
  actor: Actor,
  input: { federation: unknown; email: unknown },
): Promise<{ removed: boolean }> {
  requireOperator(actor);
  const email = requireEmail(input.email);
  return inTransaction(db, async (trx) => {
    const federation = await settledFederation(trx, input.federation);
    const person = await findPersonByEmail(trx, email);
    if (!person) return { removed: false };
    const removed = await trx
      .deleteFrom('settlement_treasurers')
      .where('federation_id', '=', federation.id)
      .where('person_id', '=', person.id)
      .returning('person_id')
      .executeTakeFirst();
    if (removed)
      await audit(trx, actor, {
        action: 'settlement.treasurer-removed',
        subjectId: person.id,
        data: { federation: federation.slug },
      });
    return { removed: Boolean(removed) };
  });
}
