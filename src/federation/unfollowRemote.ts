import type { Actor } from '../access/actor.ts';
import type { Config } from '../config.ts';
import { inTransaction, type Trx } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { FederationData } from './fedify.ts';
import { authorizeLocalActor } from './operators.ts';
import { queueActivity } from './outbox.ts';
import { activityUrl, actorUrl, AS_CONTEXT } from './urls.ts';

/**
 * A local actor stops following a remote one: an `Undo(Follow)` is queued to the remote inbox (the
 * durable outbox, like the Follow) and the follow is deleted. Unfollowing what is not followed does nothing.
 */
export async function unfollowRemote(
  data: Pick<FederationData, 'db' | 'config' | 'kick'>,
  who: Actor,
  input: { localActor: string; remoteActor: string },
): Promise<void> {
  await authorizeLocalActor(data.db, who, input.localActor);
  const undone = await inTransaction(data.db, (trx) =>
    undoFollows(trx, data.config, { localActor: input.localActor, remoteActors: [input.remoteActor] }),
  );
  if (undone > 0) data.kick();
}

/**
 * Deletes follows of remote actors (those of `localActor`, or of every local actor), queueing an
 * `Undo(Follow)` for each, in the caller's transaction. Returns how many were undone.
 */
export async function undoFollows(
  trx: Trx,
  config: Config,
  which: { localActor?: string; remoteActors: readonly string[] },
): Promise<number> {
  if (which.remoteActors.length === 0) return 0;
  let query = trx
    .deleteFrom('federation_follows')
    .where('remote_actor', 'in', [...which.remoteActors])
    .returning(['local_actor', 'remote_actor', 'follow_activity_id']);
  if (which.localActor) query = query.where('local_actor', '=', which.localActor);
  const rows = await query.execute();
  for (const row of rows) {
    const remote = await trx
      .selectFrom('federation_remote_actors')
      .select('inbox')
      .where('id', '=', row.remote_actor)
      .executeTakeFirst();
    if (!remote) continue;
    const actor = actorUrl(config.baseUrl, row.local_actor);
    await queueActivity(trx, {
      sender: row.local_actor,
      inboxes: [remote.inbox],
      activity: {
        '@context': AS_CONTEXT,
        id: activityUrl(config.baseUrl, uuidv7()),
        type: 'Undo',
        actor,
        object: { id: row.follow_activity_id, type: 'Follow', actor, object: row.remote_actor },
        to: [row.remote_actor],
      },
    });
  }
  return rows.length;
}
