import { findEvent, isListed } from '../agenda/index.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { findPlaceById, listPlaces } from '../places/index.ts';
import { EVENT_CONTEXT, tombstone } from './eventObject.ts';
import { objectsOf } from './publishChanges.ts';
import { eventObjectUrl, type ActorCollection } from './urls.ts';

/**
 * The `Event` of a date as it was last sent: the object (200), its Tombstone once removed (410), or
 * nothing (404) — a date never sent (draft, private, unlisted) is not revealed.
 */
export async function eventDocument(
  db: Db,
  config: Config,
  dateId: string,
): Promise<{ status: 200 | 410; body: Record<string, unknown> } | null> {
  const row = await db
    .selectFrom('federation_published')
    .selectAll()
    .where('object_id', '=', dateId)
    .executeTakeFirst();
  if (!row) return null;
  if (row.deleted_at) return { status: 410, body: tombstone(config.baseUrl, dateId, row.deleted_at) };
  const [event, venue] = await Promise.all([findEvent(db, row.event_id), findPlaceById(db, row.place_id)]);
  if (!event || !venue || !isListed(event)) return null;
  const object = (await objectsOf(db, config, event, venue)).get(dateId);
  return object ? { status: 200, body: { ...object, '@context': EVENT_CONTEXT } } : null;
}

/** The items of an actor's collection: the venue's live Event ids for events/upcoming, a count of followers. */
export async function collectionItems(
  db: Db,
  config: Config,
  actor: string,
  collection: ActorCollection,
): Promise<{ items: string[]; total: number }> {
  if (collection === 'followers') {
    const row = await db
      .selectFrom('federation_followers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('local_actor', '=', actor)
      .where('state', '=', 'accepted')
      .executeTakeFirst();
    // Followers are counted, not listed: who follows a venue is not public.
    return { items: [], total: Number(row?.n ?? 0) };
  }
  if (collection !== 'events' && collection !== 'upcoming') return { items: [], total: 0 };
  const rows = await db
    .selectFrom('federation_published')
    .select('object_id')
    .where('place_id', '=', actor)
    .where('deleted_at', 'is', null)
    .orderBy('object_id')
    .limit(50)
    .execute();
  const items = rows.map((r) => eventObjectUrl(config.baseUrl, r.object_id));
  return { items, total: items.length };
}

/** Venues and events sent, for NodeInfo's usage. */
export async function usageCounts(db: Db): Promise<{ venues: number; events: number }> {
  const [venues, events] = await Promise.all([
    listPlaces(db, { limit: 10_000 }),
    db
      .selectFrom('federation_published')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('deleted_at', 'is', null)
      .executeTakeFirst(),
  ]);
  return { venues: venues.length, events: Number(events?.n ?? 0) };
}
