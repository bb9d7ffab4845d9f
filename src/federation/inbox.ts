import {
  Accept,
  type Actor,
  Announce,
  Create,
  Delete,
  Follow,
  Join,
  Leave,
  Reject,
  Undo,
  Update,
  type InboxContext,
} from '@fedify/fedify';
import { inTransaction } from '../db/database.ts';
import type { FederationData, RezoFederation } from './fedify.ts';
import { acceptFollow } from './acceptFollow.ts';
import { receiveAnnounce } from './announce.ts';
import { signedDocumentLoader } from './documentLoader.ts';
import { firstTime } from './inboxSeen.ts';
import { answerJoin, leaveEvent, removeJoin } from './join.ts';
import { isSkip, parseRemoteEvent } from './parseRemoteEvent.ts';
import type { RemoteActor } from './remoteActors.ts';
import { removeRemoteEvent, storeRemoteEvent } from './storeRemoteEvent.ts';
import { addressedToPublic, idOf, originOf } from './urls.ts';

type Ctx = InboxContext<FederationData>;
type Raw = Record<string, unknown>;

/**
 * The inbox's dispatch table (docs/FEDERATION.md, "What is accepted from whom"). Fedify has checked
 * the HTTP signature and that its key belongs to `activity.actor` before any listener runs (401
 * otherwise). A listener cannot choose the status: what it refuses is answered 202, logged, and not
 * stored; a throw is a 500 and the sender retries. Each effect is applied at most once per activity id
 * (federation_inbox_seen, in the effect's transaction), so a delivery repeated days later does nothing.
 */
export function registerInbox(federation: RezoFederation): void {
  federation
    .setInboxListeners('/ap/actors/{identifier}/inbox', '/ap/inbox')
    .on(Follow, onFollow)
    .on(Accept, (ctx, accept) =>
      onFollowAnswer(ctx, accept.id?.href, accept.actorId?.href, accept.objectId?.href, 'accepted'),
    )
    .on(Reject, (ctx, reject) =>
      onFollowAnswer(ctx, reject.id?.href, reject.actorId?.href, reject.objectId?.href, 'rejected'),
    )
    .on(Undo, onUndo)
    .on(Create, onEventActivity)
    .on(Update, onEventActivity)
    .on(Delete, onDelete)
    .on(Join, onJoin)
    .on(Leave, onLeave)
    .on(Announce, onAnnounce)
    .onError((ctx, error) => ctx.data.logger.error({ err: error }, 'federation inbox failed'));
}

/** The activity as received: fields Fedify's typed objects drop (local offsets, Mobilizon's) are read from it. */
function rawOf(ctx: Ctx): Raw {
  return (ctx as unknown as { activity: Raw }).activity;
}

function ignore(ctx: Ctx, why: string, activityId: string | null | undefined): void {
  ctx.data.logger.info({ activityId, why }, 'federation activity ignored');
}

async function onFollow(ctx: Ctx, follow: Follow): Promise<void> {
  const id = follow.id?.href;
  const target = follow.objectId ? ctx.parseUri(follow.objectId) : null;
  if (!id || target?.type !== 'actor') return ignore(ctx, 'follow of no local actor', id);
  const follower = await follow.getActor(ctx);
  if (!follower?.id || !follower.inboxId) return ignore(ctx, 'follower without inbox', id);
  const queued = await acceptFollow(ctx.data, {
    activityId: id,
    localActor: target.identifier,
    follower: remoteActorOf(follower, follower.inboxId),
  });
  if (queued) ctx.data.kick();
}

/** What we keep of a fetched actor: where to deliver to it. */
function remoteActorOf(actor: Actor, inbox: URL): RemoteActor {
  return {
    id: actor.id!.href,
    type: String(actor.constructor.name),
    inbox: inbox.href,
    sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
    handle: actor.preferredUsername?.toString() ?? null,
    name: actor.name?.toString() ?? '',
  };
}

async function onFollowAnswer(
  ctx: Ctx,
  id: string | undefined,
  actor: string | undefined,
  followId: string | undefined,
  state: 'accepted' | 'rejected',
): Promise<void> {
  if (!id || !actor || !followId) return ignore(ctx, 'answer without follow', id);
  await inTransaction(ctx.data.db, async (trx) => {
    if (!(await firstTime(trx, id))) return;
    // Only the followed actor answers its follow: the signature proved `actor`, the row names it.
    await trx
      .updateTable('federation_follows')
      .set({ state })
      .where((eb) => eb.and({ follow_activity_id: followId, remote_actor: actor }))
      .execute();
  });
}

async function onUndo(ctx: Ctx, undo: Undo): Promise<void> {
  const id = undo.id?.href;
  const actor = undo.actorId?.href;
  const object = undo.objectId?.href;
  if (!id || !actor || !object) return ignore(ctx, 'undo without object', id);
  await inTransaction(ctx.data.db, async (trx) => {
    if (!(await firstTime(trx, id))) return;
    // Undo(Follow) by the follower itself: its follow is removed, whoever it followed here.
    await trx
      .deleteFrom('federation_followers')
      .where('remote_actor', '=', actor)
      .where('follow_activity_id', '=', object)
      .execute();
    // Undo(Join) by the joiner itself: uncounted.
    await removeJoin(trx, { actor, joinActivityId: object });
  });
}

/** Join of one of our Event objects: free date → Accept and counted, else Reject (join.ts). */
async function onJoin(ctx: Ctx, join: Join): Promise<void> {
  const id = join.id?.href;
  const objectId = join.objectId?.href;
  if (!id || !objectId) return ignore(ctx, 'join without object', id);
  const joiner = await join.getActor(ctx);
  if (!joiner?.id || !joiner.inboxId) return ignore(ctx, 'joiner without inbox', id);
  const answer = await answerJoin(ctx.data, {
    activityId: id,
    objectId,
    joiner: remoteActorOf(joiner, joiner.inboxId),
  });
  if (answer === 'accepted' || answer === 'rejected') ctx.data.kick();
  else ignore(ctx, `join ${answer}`, id);
}

async function onLeave(ctx: Ctx, leave: Leave): Promise<void> {
  const id = leave.id?.href;
  const actor = leave.actorId?.href;
  const objectId = leave.objectId?.href;
  if (!id || !actor || !objectId) return ignore(ctx, 'leave without object', id);
  await leaveEvent(ctx.data.db, { activityId: id, actor, objectId, base: ctx.data.config.baseUrl });
}

/** Create or Update of an Event: from a followed actor, same origin as the object, public, not a draft. */
async function onEventActivity(ctx: Ctx): Promise<void> {
  const raw = rawOf(ctx);
  const id = idOf(raw.id);
  const actor = idOf(raw.actor);
  const object = raw.object as Raw | undefined;
  if (!id || !actor || !object || typeof object !== 'object') return ignore(ctx, 'no object', id);
  const event = parseRemoteEvent(object);
  if (isSkip(event)) return ignore(ctx, event.skip, id);
  if (originOf(event.id) !== originOf(actor)) return ignore(ctx, 'object from another origin', id);
  if (!addressedToPublic(object, raw)) return ignore(ctx, 'not public', id);
  const stored = await storeRemoteEvent(ctx.data.db, { activityId: id, actor, object, event });
  if (stored === 'not-followed') ignore(ctx, 'actor not followed', id);
  if (stored === 'out-of-range') ignore(ctx, 'dates out of range', id);
}

async function onDelete(ctx: Ctx): Promise<void> {
  const raw = rawOf(ctx);
  const id = idOf(raw.id);
  const actor = idOf(raw.actor);
  const objectId = idOf(raw.object);
  if (!id || !actor || !objectId) return ignore(ctx, 'delete without object', id);
  if (originOf(objectId) !== originOf(actor)) return ignore(ctx, 'object from another origin', id);
  await removeRemoteEvent(ctx.data.db, { activityId: id, actor, objectId });
}

/** Announce of an Event by a followed actor: the object fetched from its origin (announce.ts), never the embedded copy. */
async function onAnnounce(ctx: Ctx, announce: Announce): Promise<void> {
  const id = announce.id?.href;
  const announcer = announce.actorId?.href;
  const objectId = announce.objectId?.href;
  if (!id || !announcer || !objectId) return ignore(ctx, 'announce without object', id);
  const { db, config } = ctx.data;
  // Not Fedify's cached loader: an Update announced again must be fetched again.
  const load = signedDocumentLoader(db, config.baseUrl, config.federationAllowPrivate);
  const result = await receiveAnnounce(db, load, {
    activityId: id,
    announcer,
    objectId,
    ownOrigin: new URL(config.baseUrl).origin,
  });
  if (result !== 'stored') ignore(ctx, result, id);
}
