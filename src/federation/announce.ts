import type { DocumentLoader } from '@fedify/fedify';
import type { Db } from '../db/database.ts';
import { isSkip, parseRemoteEvent } from './parseRemoteEvent.ts';
import { storeRemoteEvent } from './storeRemoteEvent.ts';
import { addressedToPublic, idOf, originOf } from './urls.ts';

/** What an Announce became: stored, or why nothing was (202 and logged either way). */
export type AnnounceResult = 'stored' | 'seen' | 'not-followed' | 'out-of-range' | `ignored: ${string}`;

/**
 * An Announce of an Event by an actor a local actor follows (docs/FEDERATION.md, "What is accepted
 * from whom", step 4): the object embedded in the Announce is not trusted — it is fetched from its
 * own origin with `load` (a GET signed by the instance actor, documentLoader.ts), and stored only
 * when the copy's `id` and the URL it came from have the origin (scheme, host, port) of the id
 * announced, when its origin actor (`attributedTo`, else `actor`) is of that origin too, and when it
 * is public. Then it is stored as a Create from its origin actor (storeRemoteEvent, the follow of the
 * announcer allowing it). An Announce of anything else is ignored. Nothing is fetched for an
 * announcer nobody follows.
 */
export async function receiveAnnounce(
  db: Db,
  load: DocumentLoader,
  input: { activityId: string; announcer: string; objectId: string; ownOrigin: string },
): Promise<AnnounceResult> {
  const followed = await db
    .selectFrom('federation_follows')
    .select('local_actor')
    .where('remote_actor', '=', input.announcer)
    .where('state', '=', 'accepted')
    .executeTakeFirst();
  if (!followed) return 'not-followed';
  const origin = originOf(input.objectId);
  if (!origin) return 'ignored: object without id';
  if (origin === input.ownOrigin) return 'ignored: one of our own objects';
  let fetched: { document: unknown; documentUrl: string };
  try {
    fetched = await load(input.objectId);
  } catch (error) {
    return `ignored: fetch failed (${(error as Error).message.slice(0, 200)})`;
  }
  const object = fetched.document as Record<string, unknown>;
  if (!object || typeof object !== 'object' || Array.isArray(object)) return 'ignored: not an object';
  if (originOf(fetched.documentUrl) !== origin || originOf(object.id) !== origin)
    return 'ignored: object from another origin';
  if (object.type !== 'Event') return 'ignored: not an Event';
  const event = parseRemoteEvent(object);
  if (isSkip(event)) return `ignored: ${event.skip}`;
  const actor = idOf(object.attributedTo) ?? idOf(object.actor);
  if (!actor || originOf(actor) !== origin) return 'ignored: origin actor of another origin';
  if (!addressedToPublic(object)) return 'ignored: not public';
  return storeRemoteEvent(db, { activityId: input.activityId, actor, object, event, via: input.announcer });
}
