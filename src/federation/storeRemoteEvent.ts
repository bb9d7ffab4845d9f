import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { firstTime } from './inboxSeen.ts';

/**
 * Stores an Event received in a Create or Update, raw as received (the agenda's union of remote
 * events comes later: docs/FEDERATION.md, "Following remote venues"). Only from an actor a local
 * actor follows (accepted); an Update whose `updated` is not newer than the stored copy changes
 * nothing (deliveries retried arrive out of order); an event removed by an operator stays removed.
 */
export async function storeRemoteEvent(
  db: Db,
  input: { activityId: string; actor: string; objectId: string; object: Record<string, unknown> },
): Promise<'stored' | 'not-followed' | 'seen'> {
  return inTransaction(db, async (trx) => {
    const followed = await trx
      .selectFrom('federation_follows')
      .select('local_actor')
      .where('remote_actor', '=', input.actor)
      .where('state', '=', 'accepted')
      .executeTakeFirst();
    if (!followed) return 'not-followed';
    if (!(await firstTime(trx, input.activityId))) return 'seen';
    const updated = typeof input.object.updated === 'string' ? new Date(input.object.updated) : null;
    const when = updated && !Number.isNaN(updated.getTime()) ? updated : null;
    const raw = JSON.stringify(input.object);
    await trx
      .insertInto('federation_remote_events')
      .values({ id: input.objectId, origin_actor: input.actor, raw, updated: when })
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({ raw, updated: when, received_at: sql<Date>`now()` })
          .where('federation_remote_events.origin_actor', '=', input.actor)
          .where('federation_remote_events.removed_by_operator', '=', false)
          .where((eb) =>
            eb.or([
              eb('federation_remote_events.updated', 'is', null),
              eb('federation_remote_events.updated', '<', sql<Date>`excluded.updated`),
            ]),
          ),
      )
      .execute();
    return 'stored';
  });
}

/** A Delete from the event's origin actor: the remote event is removed. */
export async function removeRemoteEvent(
  db: Db,
  input: { activityId: string; actor: string; objectId: string },
): Promise<void> {
  await inTransaction(db, async (trx) => {
    if (!(await firstTime(trx, input.activityId))) return;
    await trx
      .deleteFrom('federation_remote_events')
      .where('id', '=', input.objectId)
      .where('origin_actor', '=', input.actor)
      .execute();
  });
}
