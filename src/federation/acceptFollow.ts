import { inTransaction } from '../db/database.ts';
import type { FederationData } from './fedify.ts';
import { firstTime } from './inboxSeen.ts';
import { queueAnswer } from './answer.ts';
import { upsertRemoteActor, type RemoteActor } from './remoteActors.ts';
import { actorUrl, INSTANCE_ACTOR } from './urls.ts';

/**
 * A remote Follow of a local actor (docs/FEDERATION.md, "What is accepted from whom"): a venue's is
 * accepted at once; the instance actor's only when the follower's host is on the allow-list
 * (REZO_FEDERATION_ALLOW), else it waits for an operator. The Accept is queued in the same
 * transaction. Returns whether an Accept was queued.
 */
export async function acceptFollow(
  data: Pick<FederationData, 'db' | 'config'>,
  input: { activityId: string; localActor: string; follower: RemoteActor },
): Promise<boolean> {
  const { db, config } = data;
  const host = new URL(input.follower.id).host.toLowerCase();
  const state = input.localActor !== INSTANCE_ACTOR || config.federationAllow.includes(host) ? 'accepted' : 'pending';
  return inTransaction(db, async (trx) => {
    if (!(await firstTime(trx, input.activityId))) return false;
    await upsertRemoteActor(trx, input.follower);
    await trx
      .insertInto('federation_followers')
      .values({
        local_actor: input.localActor,
        remote_actor: input.follower.id,
        state,
        follow_activity_id: input.activityId,
      })
      .onConflict((oc) =>
        oc.columns(['local_actor', 'remote_actor']).doUpdateSet({ state, follow_activity_id: input.activityId }),
      )
      .execute();
    if (state === 'pending') return false;
    await queueAnswer(trx, config.baseUrl, {
      type: 'Accept',
      from: input.localActor,
      to: input.follower,
      object: { id: input.activityId, type: 'Follow', object: actorUrl(config.baseUrl, input.localActor) },
    });
    return true;
  });
}
