import type { Actor } from '../access/actor.ts';
import { readFollowTags } from '../agenda/index.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { isBlocked } from './blocks.ts';
import type { FederationData, RezoFederation } from './fedify.ts';
import { followRemoteActor } from './followRemoteActor.ts';
import { authorizeLocalActor } from './operators.ts';
import { resolveRemoteActor, type ResolvedActor } from './resolveRemoteActor.ts';

export interface RemoteFollowResult {
  actor: ResolvedActor;
  includeTags: string[];
  excludeTags: string[];
  /** null while only previewed; else the follow's state (a follow already pending or accepted is kept). */
  state: 'pending' | 'accepted' | null;
}

/**
 * A local actor (a venue by its admins, the instance actor by an operator) follows a venue or a node
 * on another node by handle or actor URL, with the same tag rules as a local venue follow
 * (docs/FEDERATION.md, "Following remote venues"). Two steps: without `confirm` the actor is found and
 * shown (name, host, type) and nothing is written; with it the Follow is queued (followRemoteActor).
 * Submitting again while the follow is pending or accepted changes its tags only: no second Follow.
 */
export async function followRemote(
  federation: RezoFederation,
  data: FederationData,
  who: Actor,
  input: { localActor: string; address: unknown; includeTags?: unknown; excludeTags?: unknown; confirm: boolean },
): Promise<RemoteFollowResult> {
  const { db } = data;
  await authorizeLocalActor(db, who, input.localActor);
  const errors = new FieldErrors();
  const tags = readFollowTags(errors, input);
  if (String(input.address ?? '').trim() === '') errors.add('address', 'federation.address');
  errors.throwIfAny();
  const actor = await resolveRemoteActor(federation, data, input.address);
  if (await isBlocked(db, actor.id)) errors.add('address', 'federation.blocked', { host: actor.host });
  errors.throwIfAny();
  if (!input.confirm) return { actor, ...tags, state: null };
  const existing = await db
    .selectFrom('federation_follows')
    .select('state')
    .where('local_actor', '=', input.localActor)
    .where('remote_actor', '=', actor.id)
    .where('state', 'in', ['pending', 'accepted'])
    .executeTakeFirst();
  if (existing) {
    await db
      .updateTable('federation_follows')
      .set({ include_tags: tags.includeTags, exclude_tags: tags.excludeTags })
      .where('local_actor', '=', input.localActor)
      .where('remote_actor', '=', actor.id)
      .execute();
    return { actor, ...tags, state: existing.state as 'pending' | 'accepted' };
  }
  try {
    await followRemoteActor(federation, data, who, { localActor: input.localActor, remoteActorUrl: actor.id, ...tags });
  } catch (error) {
    if (error instanceof DomainError && error.code === 'federation-actor-unreachable')
      throw new DomainError('validation', 422, {}, [
        { field: 'address', message: 'federation.unreachable', params: { address: actor.id } },
      ]);
    throw error;
  }
  data.kick();
  return { actor, ...tags, state: 'pending' };
}
