import type { ExpressionBuilder } from 'kysely';
import type { Actor } from '../access/actor.ts';
import { inTransaction } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import { queueAnswer } from './answer.ts';
import type { FederationData } from './fedify.ts';
import { requireOperator } from './operators.ts';
import { actorUrl, INSTANCE_ACTOR } from './urls.ts';

/**
 * An operator answers a remote Follow of the instance actor that waits (not on REZO_FEDERATION_ALLOW):
 * accepted → `Accept` queued, the follower gets the territory's events; rejected → `Reject` queued and
 * the request deleted. Answering a request no longer pending does nothing (a form sent twice).
 */
export async function answerFollowRequest(
  data: Pick<FederationData, 'db' | 'config' | 'kick'>,
  who: Actor,
  input: { follower: string; accept: boolean },
): Promise<'accepted' | 'rejected' | 'none'> {
  requireOperator(who);
  const answered = await inTransaction(data.db, async (trx) => {
    const pending = (eb: ExpressionBuilder<DB, 'federation_followers'>) =>
      eb.and({ local_actor: INSTANCE_ACTOR, remote_actor: input.follower, state: 'pending' });
    // The row changes only while pending: a second answer finds nothing and sends nothing.
    const request = input.accept
      ? await trx
          .updateTable('federation_followers')
          .set({ state: 'accepted' })
          .where(pending)
          .returning('follow_activity_id')
          .executeTakeFirst()
      : await trx.deleteFrom('federation_followers').where(pending).returning('follow_activity_id').executeTakeFirst();
    const remote = await trx
      .selectFrom('federation_remote_actors')
      .select('inbox')
      .where('id', '=', input.follower)
      .executeTakeFirst();
    if (!request || !remote) return 'none' as const;
    const type = input.accept ? 'Accept' : 'Reject';
    await queueAnswer(trx, data.config.baseUrl, {
      type,
      from: INSTANCE_ACTOR,
      to: { id: input.follower, inbox: remote.inbox },
      object: { id: request.follow_activity_id, type: 'Follow', object: actorUrl(data.config.baseUrl, INSTANCE_ACTOR) },
    });
    return input.accept ? ('accepted' as const) : ('rejected' as const);
  });
  if (answered !== 'none') data.kick();
  return answered;
}
