import type { Actor } from '../access/actor.ts';
import type { Db } from '../db/database.ts';
import { requireOperator } from './operators.ts';

/**
 * An operator removes one received event from the territory's agenda (docs/FEDERATION.md,
 * "Moderation"): it is kept marked `removed_by_operator`, so a later Update of it changes nothing
 * (storeRemoteEvent) and it is never shown again (remoteAgendaSource). Removing it again does nothing.
 */
export async function removeEventByOperator(db: Db, who: Actor, input: { eventId: string }): Promise<boolean> {
  requireOperator(who);
  const result = await db
    .updateTable('federation_remote_events')
    .set({ removed_by_operator: true })
    .where('id', '=', input.eventId)
    .where('removed_by_operator', '=', false)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
