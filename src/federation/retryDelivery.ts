import { sql } from 'kysely';
import type { Actor } from '../access/actor.ts';
import type { FederationData } from './fedify.ts';
import { isUuid } from '../shared/ids.ts';
import { requireOperator } from './operators.ts';

/**
 * An operator retries a delivery now (docs/OPERATIONS.md, "Federation"): a failed or late one goes
 * back to pending, due at once, with a fresh count of attempts, and the outbox is asked to send.
 * A delivery already sent is left alone.
 */
export async function retryDelivery(
  data: Pick<FederationData, 'db' | 'kick'>,
  who: Actor,
  input: { id: string },
): Promise<boolean> {
  requireOperator(who);
  if (!isUuid(input.id)) return false;
  const result = await data.db
    .updateTable('federation_outbox')
    .set({ state: 'pending', attempts: 0, next_attempt_at: sql<Date>`now()` })
    .where('id', '=', input.id)
    .where('state', '!=', 'sent')
    .executeTakeFirst();
  const retried = result.numUpdatedRows > 0n;
  if (retried) data.kick();
  return retried;
}
