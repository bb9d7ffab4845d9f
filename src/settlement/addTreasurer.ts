import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { ensurePerson, requireEmail } from '../accounts/index.ts';
import { requireOperator, settledFederation } from './treasurers.ts';

/**
 * Makes a person a treasurer of a federation (runs settlements, records payouts). Operators and the
 * node only; the account is created for an unknown address, ready at its first login. Again: no change.
 */
export async function addTreasurer(
  db: Db,
  actor: Actor,
  input: { federation: unknown; email: unknown },
): Promise<{ personId: string; added: boolean }> {
  requireOperator(actor);
  const email = requireEmail(input.email);
  return inTransaction(db, async (trx) => {
    const federation = await settledFederation(trx, input.federation);
    const person = await ensurePerson(trx, email, 'fr');
    const inserted = await trx
      .insertInto('settlement_treasurers')
      .values({
        federation_id: federation.id,
        person_id: person.id,
        added_by: actor.kind === 'person' ? actor.personId : null,
      })
      .onConflict((oc) => oc.columns(['federation_id', 'person_id']).doNothing())
      .returning('person_id')
      .executeTakeFirst();
    if (inserted)
      await audit(trx, actor, {
        action: 'settlement.treasurer-added',
        subjectId: person.id,
        data: { federation: federation.slug },
      });
    return { personId: person.id, added: Boolean(inserted) };
  });
}
