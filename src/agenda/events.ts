import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { slugify } from '../places/index.ts';
import { datesInUse } from './dateUses.ts';
import type { EventDateFields, EventInput } from './eventInput.ts';
import type { RecurrenceRule } from './recurrence.ts';
import { recurrenceAsInput } from './recurrenceInput.ts';
import type { EventState, EventVisibility, ProposalState } from './tables.ts';
import { localDate } from './zonedTime.ts';

export interface EventDate {
  id: string;
  startsAt: Date;
  endsAt: Date | null;
  timezone: string;
  previousStartsAt: Date | null;
}

/** An event as the module's use cases and views see it. */
export interface AgendaEvent {
  id: string;
  placeId: string;
  slug: string;
  title: string;
  descriptionMd: string;
  descriptionHtml: string;
  state: EventState;
  visibility: EventVisibility;
  atVenue: boolean;
  locationName: string;
  street: string;
  postalCode: string;
  city: string;
  country: string;
  latitude: number | null;
  longitude: number | null;
  organisers: string[];
  performers: string[];
  accessibility: string;
  externalUrl: string;
  capacity: number | null;
  priceFromCents: number | null;
  currency: string;
  imageListMediaId: string | null;
  imagePageMediaId: string | null;
  sequence: number;
  proposedBy: string | null;
  proposalState: ProposalState | null;
  createdAt: Date;
  updatedAt: Date;
  publishedAt: Date | null;
  tags: string[];
  dates: EventDate[];
  /** The rule its dates come from (docs/AGENDA.md, "Recurrence"), or null. */
  recurrence: RecurrenceRule | null;
}

/** Whether anyone outside the venue's team may see the event at all (by direct link for unlisted). */
export function isShownOutside(e: { state: EventState; visibility: EventVisibility }): boolean {
  return e.state !== 'draft' && e.visibility !== 'private';
}

/** Whether the event is listed (agendas, feeds, search, sitemap, embeds, counts). */
export function isListed(e: { state: EventState; visibility: EventVisibility }): boolean {
  return e.state !== 'draft' && e.visibility === 'public';
}

async function loadEvent(
  db: Db,
  where: { id?: string; slug?: string },
  forUpdate: boolean,
): Promise<AgendaEvent | null> {
  let q = db.selectFrom('events').selectAll();
  if (where.id) q = q.where('id', '=', where.id);
  else q = q.where('slug', '=', where.slug!);
  const row = await (forUpdate ? q.forUpdate() : q).executeTakeFirst();
  if (!row) return null;
  const [tags, dates, recurrence] = await Promise.all([
    db
      .selectFrom('event_tags')
      .select('tag')
      .where('place_id', '=', row.place_id)
      .where('event_id', '=', row.id)
      .orderBy('tag')
      .execute(),
    db
      .selectFrom('event_dates')
      .select(['id', 'starts_at', 'ends_at', 'timezone', 'previous_starts_at'])
      .where('place_id', '=', row.place_id)
      .where('event_id', '=', row.id)
      .orderBy('starts_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('event_recurrences')
      .select('rule')
      .where('place_id', '=', row.place_id)
      .where('event_id', '=', row.id)
      .executeTakeFirst(),
  ]);
  return {
    id: row.id,
    placeId: row.place_id,
    slug: row.slug,
    title: row.title,
    descriptionMd: row.description_md,
    descriptionHtml: row.description_html,
    state: row.state,
    visibility: row.visibility,
    atVenue: row.at_venue,
    locationName: row.location_name,
    street: row.street,
    postalCode: row.postal_code,
    city: row.city,
    country: row.country,
    latitude: row.latitude,
    longitude: row.longitude,
    organisers: row.organisers,
    performers: row.performers,
    accessibility: row.accessibility,
    externalUrl: row.external_url,
    capacity: row.capacity,
    priceFromCents: row.price_from_cents,
    currency: row.currency,
    imageListMediaId: row.image_list_media_id,
    imagePageMediaId: row.image_page_media_id,
    sequence: row.sequence,
    proposedBy: row.proposed_by,
    proposalState: row.proposal_state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    publishedAt: row.published_at,
    tags: tags.map((t) => t.tag),
    dates: dates.map((d) => ({
      id: d.id,
      startsAt: d.starts_at,
      endsAt: d.ends_at,
      timezone: d.timezone,
      previousStartsAt: d.previous_starts_at,
    })),
    recurrence: recurrence?.rule ?? null,
  };
}

/** An event by id or slug, whatever its state: callers decide who may see it. */
export async function findEvent(db: Db, idOrSlug: string): Promise<AgendaEvent | null> {
  if (isUuid(idOrSlug)) return loadEvent(db, { id: idOrSlug.toLowerCase() }, false);
  if (!/^[a-z0-9-]{1,80}$/.test(idOrSlug)) return null;
  return loadEvent(db, { slug: idOrSlug }, false);
}

/** Loads and locks an event for a change inside the caller's transaction (changes to one event run one at a time). */
export async function lockEvent(trx: Trx, eventId: string): Promise<AgendaEvent> {
  const event = isUuid(eventId) ? await loadEvent(trx, { id: eventId.toLowerCase() }, true) : null;
  if (!event) throw notFound('event');
  return event;
}

/** The input that would recreate the event as it is: the base that a partial update is merged onto. */
export function eventAsInput(e: AgendaEvent): EventInput & { dates: unknown[] } {
  return {
    title: e.title,
    slug: e.slug,
    description: e.descriptionMd,
    visibility: e.visibility,
    atVenue: e.atVenue,
    locationName: e.locationName,
    street: e.street,
    postalCode: e.postalCode,
    city: e.city,
    country: e.country,
    latitude: e.latitude,
    longitude: e.longitude,
    tags: e.tags,
    organisers: e.organisers,
    performers: e.performers,
    accessibility: e.accessibility,
    externalUrl: e.externalUrl,
    capacity: e.capacity,
    priceFromCents: e.priceFromCents,
    dates: e.dates.map((d) => ({
      id: d.id,
      startsAt: d.startsAt.toISOString(),
      endsAt: d.endsAt?.toISOString() ?? '',
      timezone: d.timezone,
    })),
    recurrence: e.recurrence ? recurrenceAsInput(e.recurrence) : null,
  };
}

/**
 * A slug free in the node: the requested one (an error if taken), or one made from the title with
 * a short suffix when the plain one is taken.
 */
export async function chooseSlug(trx: Trx, requested: string | null, title: string, eventId: string): Promise<string> {
  const taken = async (slug: string) =>
    Boolean(
      await trx
        .selectFrom('events')
        .select('id')
        .where('slug', '=', slug)
        .where('id', '<>', eventId)
        .executeTakeFirst(),
    );
  if (requested) {
    if (await taken(requested))
      throw new DomainError('validation', 422, {}, [{ field: 'slug', message: 'agenda.slug-taken' }]);
    return requested;
  }
  let base = slugify(title).slice(0, 70).replace(/-+$/, '');
  if (base.length < 2) base = 'event';
  if (!(await taken(base))) return base;
  // The id's random tail makes a collision between two events of the same title unlikely; retry a few times.
  for (let i = 0; i < 5; i++) {
    const candidate = `${base}-${uuidv7().replace(/-/g, '').slice(-6)}`;
    if (!(await taken(candidate))) return candidate;
  }
  return `${base}-${eventId.replace(/-/g, '')}`;
}

export async function writeTags(trx: Trx, placeId: string, eventId: string, tags: string[]): Promise<void> {
  await trx.deleteFrom('event_tags').where('place_id', '=', placeId).where('event_id', '=', eventId).execute();
  if (tags.length)
    await trx
      .insertInto('event_tags')
      .values(tags.map((tag) => ({ place_id: placeId, event_id: eventId, tag })))
      .execute();
}

/**
 * Replaces the dates of an event. A date given with the id of one of its dates keeps that id, so
 * its iCalendar UID (and calendar subscribers' copy) survives the edit; other ids get new ones.
 * With `matchDays` (dates written out from a rule, without ids), a date takes the id of the existing
 * date on the same local day.
 *
 * Invariant: a date another module still needs (tickets sold, a booking in progress: dateUses.ts) is
 * never deleted, nor moved by a rule — it stays as it was, and its day counts as covered. Returns the
 * ids of the dates so kept that the new dates do not name.
 */
export async function writeDates(
  trx: Trx,
  placeId: string,
  eventId: string,
  dates: EventDateFields[],
  options: { matchDays?: boolean } = {},
): Promise<{ kept: string[] }> {
  const existing = await trx
    .selectFrom('event_dates')
    .select(['id', 'starts_at', 'ends_at', 'timezone'])
    .where('place_id', '=', placeId)
    .where('event_id', '=', eventId)
    .orderBy('starts_at')
    .execute();
  const known = new Set(existing.map((d) => d.id));
  const kept = new Set<string>();
  const unchanged = (e: (typeof existing)[number], d: EventDateFields) =>
    e.starts_at.getTime() === d.startsAt.getTime() && (e.ends_at?.getTime() ?? null) === (d.endsAt?.getTime() ?? null);
  const used = options.matchDays ? await datesInUse(trx, placeId, eventId, [...known]) : new Set<string>();
  const keptAsWas = new Set<string>();
  for (const d of dates) {
    let id = d.id && known.has(d.id) && !kept.has(d.id) ? d.id : null;
    if (!id && options.matchDays) {
      const day = localDate(d.startsAt, d.timezone);
      const same = existing.find((e) => !kept.has(e.id) && localDate(e.starts_at, e.timezone) === day);
      if (same && used.has(same.id) && !unchanged(same, d)) {
        kept.add(same.id);
        keptAsWas.add(same.id);
        continue;
      }
      id = same?.id ?? null;
    }
    if (id) {
      kept.add(id);
      await trx
        .updateTable('event_dates')
        .set({ starts_at: d.startsAt, ends_at: d.endsAt, timezone: d.timezone })
        .where('place_id', '=', placeId)
        .where('id', '=', id)
        .execute();
    } else {
      await trx
        .insertInto('event_dates')
        .values({
          place_id: placeId,
          event_id: eventId,
          id: uuidv7(),
          starts_at: d.startsAt,
          ends_at: d.endsAt,
          timezone: d.timezone,
        })
        .execute();
    }
  }
  const gone = [...known].filter((id) => !kept.has(id));
  const inUse = options.matchDays ? used : await datesInUse(trx, placeId, eventId, gone);
  const deleted = gone.filter((id) => !inUse.has(id));
  if (deleted.length)
    await trx.deleteFrom('event_dates').where('place_id', '=', placeId).where('id', 'in', deleted).execute();
  return { kept: [...keptAsWas, ...gone.filter((id) => inUse.has(id))] };
}

/** Stores the rule an event's dates come from, or forgets it (dates given one by one). */
export async function writeRecurrence(
  trx: Trx,
  placeId: string,
  eventId: string,
  rule: RecurrenceRule | null,
): Promise<void> {
  if (!rule) {
    await trx.deleteFrom('event_recurrences').where('place_id', '=', placeId).where('event_id', '=', eventId).execute();
    return;
  }
  const json = JSON.stringify(rule);
  await trx
    .insertInto('event_recurrences')
    .values({ place_id: placeId, event_id: eventId, rule: json })
    .onConflict((oc) => oc.columns(['place_id', 'event_id']).doUpdateSet({ rule: json, updated_at: sql`now()` }))
    .execute();
}

/** Marks an event changed: iCalendar SEQUENCE + 1 and updated_at now. */
export async function bumpSequence(trx: Trx, placeId: string, eventId: string): Promise<void> {
  await trx
    .updateTable('events')
    .set({ sequence: sql<number>`sequence + 1`, updated_at: sql<Date>`now()` })
    .where('place_id', '=', placeId)
    .where('id', '=', eventId)
    .execute();
}

/**
 * An event of this venue, with the capacity it declares, or undefined when the venue has no such event:
 * ticketing checks an event is the venue's before it sells, prices or cancels for it.
 */
export async function eventOfPlace(
  db: Db,
  placeId: string,
  eventId: string,
): Promise<{ id: string; title: string; slug: string; capacity: number | null } | undefined> {
  return db
    .selectFrom('events')
    .select(['id', 'title', 'slug', 'capacity'])
    .where('place_id', '=', placeId)
    .where('id', '=', eventId)
    .executeTakeFirst();
}

/** The ids of an event's dates. */
export async function eventDateIds(db: Db, placeId: string, eventId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('event_dates')
    .select('id')
    .where('place_id', '=', placeId)
    .where('event_id', '=', eventId)
    .execute();
  return rows.map((r) => r.id);
}

/** An event as lists and tickets name, link and locate it. */
export interface EventSummary {
  id: string;
  title: string;
  slug: string;
  /** At the venue (its address), or at the location below. */
  atVenue: boolean;
  locationName: string;
  street: string;
  postalCode: string;
  city: string;
}

/** Events by id (one query; an unknown id is left out). */
export async function eventsByIds(db: Db, ids: string[]): Promise<Map<string, EventSummary>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('events')
    .select(['id', 'title', 'slug', 'at_venue', 'location_name', 'street', 'postal_code', 'city'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        title: r.title,
        slug: r.slug,
        atVenue: r.at_venue,
        locationName: r.location_name,
        street: r.street,
        postalCode: r.postal_code,
        city: r.city,
      },
    ]),
  );
}

/** A date as lists of orders and tickets show it. */
export interface DateSummary {
  id: string;
  eventId: string;
  startsAt: Date;
  timezone: string;
}

/** Event dates by id (one query; an unknown id is left out). */
export async function eventDatesByIds(db: Db, ids: string[]): Promise<Map<string, DateSummary>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('event_dates')
    .select(['id', 'event_id', 'starts_at', 'timezone'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(
    rows.map((r) => [r.id, { id: r.id, eventId: r.event_id, startsAt: r.starts_at, timezone: r.timezone }]),
  );
}

/** An event's dates still to come (starting after now, by the database's clock), earliest first. */
export async function upcomingDatesOf(db: Db, placeId: string, eventId: string): Promise<DateSummary[]> {
  const rows = await db
    .selectFrom('event_dates')
    .select(['id', 'event_id', 'starts_at', 'timezone'])
    .where('place_id', '=', placeId)
    .where('event_id', '=', eventId)
    .where('starts_at', '>', sql<Date>`now()`)
    .orderBy('starts_at')
    .execute();
  return rows.map((r) => ({ id: r.id, eventId: r.event_id, startsAt: r.starts_at, timezone: r.timezone }));
}

/** All the dates of an event, earliest first. */
export async function datesOfEvent(db: Db, placeId: string, eventId: string): Promise<DateSummary[]> {
  const rows = await db
    .selectFrom('event_dates')
    .select(['id', 'event_id', 'starts_at', 'timezone'])
    .where('place_id', '=', placeId)
    .where('event_id', '=', eventId)
    .orderBy('starts_at')
    .execute();
  return rows.map((r) => ({ id: r.id, eventId: r.event_id, startsAt: r.starts_at, timezone: r.timezone }));
}

/** A date with what a sale or an offer on it checks: its event's title, state and visibility. */
export interface DateForSale {
  placeId: string;
  eventId: string;
  dateId: string;
  startsAt: Date;
  timezone: string;
  title: string;
  state: EventState;
  visibility: EventVisibility;
}

/** A date of an event (by the event's id or the venue's), with its event, or undefined. */
export async function eventDateForSale(
  db: Db,
  where: { dateId: string; eventId?: string; placeId?: string },
): Promise<DateForSale | undefined> {
  let q = db
    .selectFrom('event_dates as d')
    .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'd.place_id').onRef('e.id', '=', 'd.event_id'))
    .select(['d.place_id', 'd.event_id', 'd.id', 'd.starts_at', 'd.timezone', 'e.title', 'e.state', 'e.visibility'])
    .where('d.id', '=', where.dateId);
  if (where.eventId !== undefined) q = q.where('d.event_id', '=', where.eventId);
  if (where.placeId !== undefined) q = q.where('d.place_id', '=', where.placeId);
  const r = await q.executeTakeFirst();
  return (
    r && {
      placeId: r.place_id,
      eventId: r.event_id,
      dateId: r.id,
      startsAt: r.starts_at,
      timezone: r.timezone,
      title: r.title,
      state: r.state,
      visibility: r.visibility,
    }
  );
}

/** The published events' dates of a venue starting from `from`, soonest first (the door's list: at most 200). */
export async function publishedDatesFrom(
  db: Db,
  placeId: string,
  from: Date,
): Promise<{ id: string; title: string; starts_at: Date; timezone: string }[]> {
  return db
    .selectFrom('events as e')
    .innerJoin('event_dates as d', (j) => j.onRef('d.place_id', '=', 'e.place_id').onRef('d.event_id', '=', 'e.id'))
    .select(['e.id', 'e.title', 'd.starts_at', 'd.timezone'])
    .where('e.place_id', '=', placeId)
    .where('e.state', '=', 'published')
    .where('d.starts_at', '>=', from)
    .orderBy('d.starts_at')
    .limit(200)
    .execute();
}

/**
 * Events changed since an instant (any use case that changes an event raises its sequence and
 * `updated_at`, bumpSequence), oldest change first: how the federation module learns what to send
 * without the agenda knowing it exists (docs/FEDERATION.md, "Outgoing activities").
 */
export async function eventsChangedSince(
  db: Db,
  since: { at: Date; afterId?: string },
  limit: number,
): Promise<{ id: string; placeId: string; sequence: number; updatedAt: Date }[]> {
  // Keyset on (updated_at to the millisecond — what a Date holds —, id): a page may end between two events
  // changed at the same instant without losing one or reading one again.
  const rows = await db
    .selectFrom('events')
    .select(['id', 'place_id', 'sequence', 'updated_at'])
    // Implied by the keyset below (since.at is on the millisecond grid, so trunc(u) >= at ⇔ u >= at), and
    // what lets the planner use events_updated_at (migration 0031) instead of reading every event each round.
    .where('updated_at', '>=', since.at)
    .where(
      sql<boolean>`(date_trunc('milliseconds', updated_at), id) > (${since.at}, ${since.afterId ?? '00000000-0000-0000-0000-000000000000'}::uuid)`,
    )
    .orderBy(sql`date_trunc('milliseconds', updated_at)`)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, placeId: r.place_id, sequence: r.sequence, updatedAt: r.updated_at }));
}
