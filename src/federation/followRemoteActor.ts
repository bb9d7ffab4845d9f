import { isActor } from '@fedify/fedify';
import type { Actor } from '../access/actor.ts';
import { inTransaction } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { FederationData, RezoFederation } from './fedify.ts';
import { authorizeLocalActor } from './operators.ts';
import { queueActivity } from './outbox.ts';
import { upsertRemoteActor } from './remoteActors.ts';
import { activityUrl, actorUrl, AS_CONTEXT } from './urls.ts';

/**
 * A local actor follows a remote one by its actor URL (docs/FEDERATION.md, "Following remote venues"):
 * a venue by its admins, the instance actor ("the whole territory") by an operator. The remote actor is
 * fetched (Fedify's document loader: private addresses only outside production), stored, and a Follow
 * queued; the follow stays pending until the remote Accept. Following again re-sends the Follow.
 */
export async function followRemoteActor(
  federation: RezoFederation,
  data: FederationData,
  who: Actor,
  input: { localActor: string; remoteActorUrl: string; includeTags?: string[]; excludeTags?: string[] },
): Promise<{ followId: string; remoteActor: string }> {
  const { db, config } = data;
  await authorizeLocalActor(db, who, input.localActor);
  const url = URL.canParse(input.remoteActorUrl) ? new URL(input.remoteActorUrl) : null;
  if (!url || !['http:', 'https:'].includes(url.protocol))
    throw new DomainError('federation-actor-unreachable', 422, { url: input.remoteActorUrl.slice(0, 200) });
  const ctx = federation.createContext(new URL(config.baseUrl), data);
  const remote = await ctx.lookupObject(url).catch(() => null);
  if (!remote || !isActor(remote) || !remote.id || !remote.inboxId || remote.id.origin !== url.origin)
    throw new DomainError('federation-actor-unreachable', 422, { url: url.href });
  const followId = activityUrl(config.baseUrl, uuidv7());
  const local = actorUrl(config.baseUrl, input.localActor);
  await inTransaction(db, async (trx) => {
    await upsertRemoteActor(trx, {
      id: remote.id!.href,
      type: String(remote.constructor.name),
      inbox: remote.inboxId!.href,
      sharedInbox: remote.endpoints?.sharedInbox?.href ?? null,
      handle: remote.preferredUsername?.toString() ?? null,
      name: remote.name?.toString() ?? '',
    });
    const values = {
      state: 'pending' as const,
      follow_activity_id: followId,
      include_tags: input.includeTags ?? [],
      exclude_tags: input.excludeTags ?? [],
    };
    await trx
      .insertInto('federation_follows')
      .values({ local_actor: input.localActor, remote_actor: remote.id!.href, ...values })
      .onConflict((oc) => oc.columns(['local_actor', 'remote_actor']).doUpdateSet(values))
      .execute();
    await queueActivity(trx, {
      sender: input.localActor,
      inboxes: [remote.inboxId!.href],
      activity: { '@context': AS_CONTEXT, id: followId, type: 'Follow', actor: local, object: remote.id!.href },
    });
  });
  return { followId, remoteActor: remote.id.href };
}
