import { sql } from 'kysely';
import { eventsChangedSince, findEvent, formatWhen, isListed, type AgendaEvent } from '../agenda/index.ts';
import type { Config } from '../config.ts';
import { inTransaction, type Db, type Trx } from '../db/database.ts';
import { localeOf, translate, type Language } from '../i18n/i18n.ts';
import { findPlaceById, type Place } from '../places/index.ts';
import { uuidv7 } from '../shared/ids.ts';
import { dateFigures, offersOf, placesLeft } from '../ticketing/index.ts';
import { bandOfObject, nextUpdated } from './availabilityBands.ts';
import { buildEventObject, EVENT_CONTEXT, tombstone } from './eventObject.ts';
import { joinsOf } from './join.ts';
import { queueActivity } from './outbox.ts';
import { activityUrl, actorUrl, INSTANCE_ACTOR, PUBLIC } from './urls.ts';

/** Changes re-read behind the cursor: a transaction that committed late with an older `updated_at` is still seen. */
const OVERLAP_MS = 10 * 60_000;
const BATCH = 200;
const CURSOR = ['rezo', 'federation', 'published-until'];

/**
 * Sends what changed in the agenda (docs/FEDERATION.md, "Outgoing activities"): for each event
 * changed since the cursor, each public listed date becomes a Create (first time), an Update (its
 * sequence rose: any change, a cancellation included) or, once no longer public listed, a Delete of
 * a Tombstone. federation_published remembers what each date was last sent as, so reading a change
 * again sends nothing; the activities and that memory are written in one transaction. Sent by the
 * venue's actor to its followers and by the instance actor to its own (Gancio ingests only from the
 * actor it follows). Returns how many activities were queued.
 */
export async function publishChanges(db: Db, config: Config): Promise<number> {
  const cursor = await db
    .selectFrom('federation_kv')
    .select('value')
    .where('key', '=', sql<string[]>`${CURSOR}::text[]`)
    .executeTakeFirst();
  let since: { at: Date; afterId?: string } = { at: new Date((cursor ? Number(cursor.value) : 0) - OVERLAP_MS) };
  let queued = 0;
  for (;;) {
    const changed = await eventsChangedSince(db, since, BATCH);
    for (const change of changed) queued += await publishEvent(db, config, change.id, change.placeId);
    const last = changed.at(-1);
    if (!last) break;
    since = { at: last.updatedAt, afterId: last.id };
    const value = JSON.stringify(last.updatedAt.getTime());
    await db
      .insertInto('federation_kv')
      .values({ key: sql<string[]>`${CURSOR}::text[]`, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
    if (changed.length < BATCH) break;
  }
  return queued;
}

async function publishEvent(db: Db, config: Config, eventId: string, placeId: string): Promise<number> {
  const [event, venue] = await Promise.all([findEvent(db, eventId), findPlaceById(db, placeId)]);
  if (!venue) return 0;
  const live = event && isListed(event) ? event : null;
  const objects = live ? await objectsOf(db, config, live, venue) : new Map<string, Record<string, unknown>>();
  return inTransaction(db, async (trx) => {
    const sent = await trx
      .selectFrom('federation_published')
      .select(['object_id', 'sequence', 'deleted_at', 'object_updated'])
      .where('event_id', '=', eventId)
      .forUpdate()
      .execute();
    const before = new Map(sent.map((s) => [s.object_id, s]));
    const activities: { type: 'Create' | 'Update' | 'Delete'; object: Record<string, unknown> }[] = [];
    for (const [dateId, object] of objects) {
      const prev = before.get(dateId);
      if (prev && !prev.deleted_at && prev.sequence >= live!.sequence) continue;
      activities.push({ type: prev && !prev.deleted_at ? 'Update' : 'Create', object });
      await recordSent(trx, object, prev?.object_updated ?? null, {
        object_id: dateId,
        place_id: placeId,
        event_id: eventId,
        sequence: live!.sequence,
        starts_at: live!.dates.find((d) => d.id === dateId)?.startsAt ?? null,
      });
    }
    for (const prev of sent) {
      if (prev.deleted_at || objects.has(prev.object_id)) continue;
      const now = new Date();
      activities.push({ type: 'Delete', object: tombstone(config.baseUrl, prev.object_id, now) });
      await trx
        .updateTable('federation_published')
        .set({ deleted_at: now, updated_at: now })
        .where('object_id', '=', prev.object_id)
        .execute();
    }
    let queued = 0;
    for (const a of activities)
      for (const sender of [placeId, INSTANCE_ACTOR]) queued += await queueToFollowers(trx, config, sender, a);
    return queued;
  });
}

/** The Event object of each date of a public listed event, by date id. */
export async function objectsOf(
  db: Db,
  config: Config,
  event: AgendaEvent,
  venue: Place,
): Promise<Map<string, Record<string, unknown>>> {
  const dateIds = event.dates.map((d) => d.id);
  const [offers, figures, left, joins] = await Promise.all([
    offersOf(db, venue.id, event.id),
    dateFigures(db, venue.id, dateIds),
    placesLeft(
      db,
      dateIds.map((dateId) => ({ placeId: venue.id, dateId })),
    ),
    joinsOf(db, dateIds),
  ]);
  const objects = new Map<string, Record<string, unknown>>();
  for (const date of event.dates) {
    const prices = offers.find((o) => o.dateId === date.id)?.prices ?? [];
    const figure = figures.get(date.id);
    const lowest = prices.length ? Math.min(...prices.map((p) => p.priceCents)) : event.priceFromCents;
    const object = buildEventObject({
      base: config.baseUrl,
      event,
      dateId: date.id,
      venue: { id: venue.id, slug: venue.slug, name: venue.name, language: venue.language },
      offers: prices.length ? prices : null,
      // Participants are ticket holders and those who joined a free date from the fediverse.
      figures: figure ? figuresOf(figure, left.get(date.id)?.remaining ?? null, joins.get(date.id) ?? 0) : null,
      summary: summaryOf(venue.language, date.startsAt, date.timezone, venue, lowest, event.currency),
    });
    // The activity carries the @context.
    delete object['@context'];
    objects.set(date.id, object);
  }
  return objects;
}

/**
 * A date's figures as its Event object shows them: participants are ticket holders and those who joined
 * the free date from the fediverse (join.ts); the places left (ticketing's, held places counted) less the joins.
 */
function figuresOf(
  figure: { capacity: number | null; sold: number },
  remaining: number | null,
  joined: number,
): { capacity: number | null; sold: number; remaining: number | null } {
  return {
    capacity: figure.capacity,
    sold: figure.sold + joined,
    remaining: remaining === null ? null : Math.max(0, remaining - joined),
  };
}

/** "samedi 5 décembre 2026, 20:00 · La Raffinerie, Saint-Paul · dès 12,00 €", in the venue's language. */
function summaryOf(
  lang: Language,
  startsAt: Date,
  timeZone: string,
  venue: Place,
  lowestCents: number | null,
  currency: string,
): string {
  const when = formatWhen(lang, startsAt, null, timeZone);
  const where = venue.city ? `${venue.name}, ${venue.city}` : venue.name;
  if (lowestCents === null) return `${when} · ${where}`;
  const price =
    lowestCents === 0
      ? translate(lang, 'federation.summary.free')
      : translate(lang, 'federation.summary.priceFrom', {
          price: new Intl.NumberFormat(localeOf(lang), { style: 'currency', currency }).format(lowestCents / 100),
        });
  return `${when} · ${where} · ${price}`;
}

/**
 * Remembers that `object` is being sent for its date, in the sending transaction: its sequence, its
 * availability band (so a threshold is crossed from what peers were told), and its `updated`, set here
 * later than the last one sent — an Update of the agenda and one of availability may follow each
 * other within a millisecond, and receivers apply only a newer `updated` (docs, "Live availability").
 */
export async function recordSent(
  trx: Trx,
  object: Record<string, unknown>,
  lastUpdated: Date | null,
  row: { object_id: string; place_id: string; event_id: string; sequence: number; starts_at: Date | null },
  thresholdSentAt?: Date,
): Promise<void> {
  const now = new Date();
  const updated = nextUpdated(lastUpdated, now);
  object.updated = updated.toISOString();
  const fields = {
    sequence: row.sequence,
    deleted_at: null,
    updated_at: now,
    availability_band: bandOfObject(object),
    object_updated: updated,
    ...(row.starts_at ? { starts_at: row.starts_at } : {}),
    ...(thresholdSentAt ? { availability_sent_at: thresholdSentAt } : {}),
  };
  await trx
    .insertInto('federation_published')
    .values({ ...row, ...fields })
    .onConflict((oc) => oc.column('object_id').doUpdateSet(fields))
    .execute();
}

/** Queues one activity from `sender` to the (shared) inboxes of its accepted followers. */
export async function queueToFollowers(
  trx: Trx,
  config: Config,
  sender: string,
  a: { type: string; object: Record<string, unknown> },
): Promise<number> {
  const followers = await trx
    .selectFrom('federation_followers as f')
    .innerJoin('federation_remote_actors as r', 'r.id', 'f.remote_actor')
    .select(['r.inbox', 'r.shared_inbox'])
    .where('f.local_actor', '=', sender)
    .where('f.state', '=', 'accepted')
    .where('r.blocked', '=', false)
    .execute();
  if (followers.length === 0) return 0;
  const actor = actorUrl(config.baseUrl, sender);
  const inboxes = [...new Set(followers.map((f) => f.shared_inbox ?? f.inbox))];
  await queueActivity(trx, {
    sender,
    inboxes,
    activity: {
      '@context': EVENT_CONTEXT,
      id: activityUrl(config.baseUrl, uuidv7()),
      type: a.type,
      actor,
      object: a.object,
      to: [PUBLIC],
      cc: [`${actor}/followers`],
      published: new Date().toISOString(),
    },
  });
  return inboxes.length;
}
