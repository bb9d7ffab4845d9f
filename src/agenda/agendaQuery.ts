import { sql, type Expression, type SqlBool } from 'kysely';
import type { Db } from '../db/database.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { normaliseTag } from './eventInput.ts';
import { sanitiseRemoteHtml } from './remoteHtml.ts';
import { remoteSource, TERRITORY_FOLLOWER, type RemoteAgendaEntry } from './remoteSource.ts';
import type { EventState, EventVisibility } from './tables.ts';
import { localParts, zonedToInstant } from './zonedTime.ts';

/**
 * The agendas: which event dates a reader sees, filtered and paged. The visibility rules live here
 * and nowhere else, so every channel (pages, feeds, API, embeds, sitemap, counts) gets the same:
 * - drafts and private events: never listed (the venue's admin lists them with listVenueEventsForAdmin);
 * - unlisted events: never listed (only their own page, by direct link);
 * - public events that are published, postponed or cancelled: listed (cancelled ones marked).
 */

/** Whose agenda: the whole territory, one venue (its own events and, if asked, what it follows), or one tag. */
export type AgendaScope =
  | { kind: 'territory' }
  | { kind: 'venue'; placeId: string; withFollowed: boolean }
  | { kind: 'tag'; tag: string };

export interface AgendaFilters {
  /** Dates that end (or start, without an end) at or after this instant. Default: now. */
  from?: Date;
  /** Dates that start before this instant. */
  to?: Date;
  tag?: string;
  /** Events carrying any one of these tags (with `tag`, any one of them all). */
  tags?: string[];
  /** Only these venues' events (territory agenda). */
  placeIds?: string[];
  /** Free text, searched in French, English and as plain words. */
  text?: string;
  freeOnly?: boolean;
}

/**
 * Why an event is on a venue's agenda: its own, a followed venue's, a followed tag's, or received
 * from another node (a remote actor the venue, or for the territory the instance actor, follows).
 */
export type AgendaOrigin = 'own' | 'followed' | 'tag' | 'remote';

export interface AgendaItem {
  dateId: string;
  eventId: string;
  slug: string;
  title: string;
  startsAt: Date;
  endsAt: Date | null;
  timezone: string;
  previousStartsAt: Date | null;
  state: Exclude<EventState, 'draft'>;
  priceFromCents: number | null;
  currency: string;
  imageListMediaId: string | null;
  imagePageMediaId: string | null;
  descriptionHtml: string;
  locationName: string;
  city: string;
  atVenue: boolean;
  sequence: number;
  updatedAt: Date;
  tags: string[];
  place: { id: string; slug: string; name: string; city: string; timezone: string };
  origin: AgendaOrigin;
  /**
   * A received event (origin 'remote'): what its page and card show. Then dateId and eventId are its
   * local id, slug and place id/slug are '', descriptionHtml is its content sanitised.
   */
  remote: RemoteAgendaEntry | null;
}

export interface AgendaPage {
  items: AgendaItem[];
  /** Opaque cursor of the next page; null on the last page. */
  nextCursor: string | null;
}

export const MAX_PAGE_SIZE = 200;
const MAX_TEXT = 200;
/** Tags one agenda query may ask for at once (any one of them). */
const MAX_TAGS = 10;

/** Opaque cursor: base64url of the last item's (starts_at, date id). */
export function encodeCursor(item: { startsAt: Date; dateId: string }): string {
  return Buffer.from(JSON.stringify([item.startsAt.toISOString(), item.dateId]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { startsAt: Date; dateId: string } {
  const bad = () => new DomainError('validation', 422, {}, [{ field: 'cursor', message: 'invalid' }]);
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string')
    throw bad();
  const startsAt = new Date(parsed[0]);
  if (Number.isNaN(startsAt.getTime()) || !isUuid(parsed[1])) throw bad();
  return { startsAt, dateId: parsed[1].toLowerCase() };
}

export type RangeName = 'upcoming' | 'today' | 'weekend' | 'month' | 'custom';
export const RANGE_NAMES: readonly RangeName[] = ['upcoming', 'today', 'weekend', 'month', 'custom'];

/**
 * A named date range as instants, computed in the reader's zone (the venue's or the territory's):
 * "today" in Indian/Reunion starts at local midnight, not UTC midnight. Custom days are inclusive.
 */
export function resolveRange(
  name: RangeName,
  timeZone: string,
  now: Date,
  custom: { fromDay?: string; toDay?: string } = {},
): { from: Date; to?: Date } {
  const p = localParts(now, timeZone);
  const midnight = (y: number, m: number, d: number) =>
    zonedToInstant({ year: y, month: m, day: d, hour: 0, minute: 0 }, timeZone);
  const dayAfter = (y: number, m: number, d: number, n: number) => {
    const u = new Date(Date.UTC(y, m - 1, d + n));
    return midnight(u.getUTCFullYear(), u.getUTCMonth() + 1, u.getUTCDate());
  };
  switch (name) {
    case 'upcoming':
      return { from: now };
    case 'today':
      return { from: now, to: dayAfter(p.year, p.month, p.day, 1) };
    case 'weekend': {
      const weekday = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay(); // 0 Sunday … 6 Saturday
      const toSaturday = weekday === 0 ? -1 : 6 - weekday;
      const saturday = toSaturday <= 0 ? now : dayAfter(p.year, p.month, p.day, toSaturday);
      const toMonday = weekday === 0 ? 1 : 8 - weekday;
      return { from: saturday, to: dayAfter(p.year, p.month, p.day, toMonday) };
    }
    case 'month':
      return { from: now, to: p.month === 12 ? midnight(p.year + 1, 1, 1) : midnight(p.year, p.month + 1, 1) };
    case 'custom': {
      const errors = new FieldErrors();
      const day = (field: string, v: string | undefined) => {
        if (!v) return null;
        const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
        if (!m) {
          errors.add(field, 'agenda.date');
          return null;
        }
        return [Number(m[1]), Number(m[2]), Number(m[3])] as const;
      };
      const f = day('from', custom.fromDay);
      const t = day('to', custom.toDay);
      if (f && t && custom.toDay! < custom.fromDay!) errors.add('to', 'agenda.ends-before-start');
      errors.throwIfAny();
      return { from: f ? midnight(...f) : now, ...(t ? { to: dayAfter(t[0], t[1], t[2], 1) } : {}) };
    }
  }
}

/** A tsquery matching French stems, English stems or plain words: either language finds the event. */
function textQuery(text: string) {
  return sql`(websearch_to_tsquery('simple', ${text}) || websearch_to_tsquery('french', ${text}) || websearch_to_tsquery('english', ${text}))`;
}

/** SQL: the event e is listed (public, not a draft). */
const LISTED = sql<SqlBool>`e.visibility = 'public' and e.state <> 'draft'`;

/** SQL: event e carries one of the tags in the array expression. */
function hasAnyTag(tags: Expression<string[]> | ReturnType<typeof sql>) {
  return sql<SqlBool>`exists (select 1 from event_tags t where t.place_id = e.place_id and t.event_id = e.id and t.tag = any(${tags}))`;
}

/**
 * SQL: venue V follows e's venue and the tag rules let e through: with an include list, e has one
 * of its tags; with an exclude list, e has none of them.
 */
function followedMatch(viewer: string) {
  return sql<SqlBool>`exists (
    select 1 from place_follows f
    where f.place_id = ${viewer} and f.followed_place_id = e.place_id
      and (cardinality(f.include_tags) = 0 or ${hasAnyTag(sql`f.include_tags`)})
      and not ${hasAnyTag(sql`f.exclude_tags`)})`;
}

/**
 * SQL: e carries a tag V follows, and V has not excluded one of e's tags for e's venue (an exclusion
 * on a followed venue is the more precise wish, so it wins over a tag follow).
 */
function tagMatch(viewer: string) {
  return sql<SqlBool>`(exists (
      select 1 from event_tags t join tag_follows tf on tf.place_id = ${viewer} and tf.tag = t.tag
      where t.place_id = e.place_id and t.event_id = e.id)
    and not exists (
      select 1 from place_follows f
      where f.place_id = ${viewer} and f.followed_place_id = e.place_id and ${hasAnyTag(sql`f.exclude_tags`)}))`;
}

function scopeCondition(scope: AgendaScope) {
  switch (scope.kind) {
    case 'territory':
      return sql<SqlBool>`true`;
    case 'tag':
      return hasAnyTag(sql`array[${scope.tag}]::text[]`);
    case 'venue':
      if (!scope.withFollowed) return sql<SqlBool>`e.place_id = ${scope.placeId}`;
      return sql<SqlBool>`(e.place_id = ${scope.placeId} or ${followedMatch(scope.placeId)} or ${tagMatch(scope.placeId)})`;
  }
}

function originColumn(scope: AgendaScope) {
  if (scope.kind !== 'venue') return sql<AgendaOrigin>`'own'`;
  return sql<AgendaOrigin>`case when e.place_id = ${scope.placeId} then 'own' when ${followedMatch(scope.placeId)} then 'followed' else 'tag' end`;
}

/** Reads and checks the filters common to pages and API; normalises the tag and the text. */
export function checkFilters(filters: AgendaFilters): AgendaFilters {
  const errors = new FieldErrors();
  const asked = [...(filters.tag ? [filters.tag] : []), ...(filters.tags ?? [])].filter((t) => t !== '');
  if (asked.length > MAX_TAGS) errors.add('tag', 'agenda.too-many-tags', { max: MAX_TAGS });
  const tags: string[] = [];
  for (const raw of asked.slice(0, MAX_TAGS)) {
    const tag = normaliseTag(raw);
    if (!tag) errors.add('tag', 'agenda.tag', { tag: raw.slice(0, 50), max: 40 });
    else if (!tags.includes(tag)) tags.push(tag);
  }
  const text = filters.text?.trim();
  if (text && text.length > MAX_TEXT) errors.add('q', 'too-long', { max: MAX_TEXT });
  if (filters.placeIds && filters.placeIds.some((id) => !isUuid(id))) errors.add('venue', 'choice');
  errors.throwIfAny();
  return {
    ...filters,
    tag: undefined,
    tags: tags.length ? tags : undefined,
    ...(text ? { text } : { text: undefined }),
  };
}

/** The conditions of a scope and its filters, the lower time bound apart (see timeBranches). */
function whereClauses(scope: AgendaScope, filters: AgendaFilters) {
  const parts = [LISTED, scopeCondition(scope)];
  if (filters.to) parts.push(sql<SqlBool>`d.starts_at < ${filters.to}`);
  if (filters.tags?.length) parts.push(hasAnyTag(sql`${filters.tags}::text[]`));
  if (filters.placeIds?.length) parts.push(sql<SqlBool>`e.place_id = any(${filters.placeIds}::uuid[])`);
  if (filters.text) parts.push(sql<SqlBool>`e.search @@ ${textQuery(filters.text)}`);
  if (filters.freeOnly) parts.push(sql<SqlBool>`e.price_from_cents = 0`);
  return sql.join(parts, sql` and `);
}

/**
 * A date belongs to an agenda from `from` on if it starts then or later, or if it started before and
 * is still going on. Written as one condition (coalesce(ends_at, starts_at) >= from), no index can
 * serve it in starts_at order, and every page would scan from the oldest date. So the two cases are
 * two branches: dates starting from `from` (a range scan of the (starts_at, id) index, already in
 * page order) and dates in progress at `from` (the GiST index on their time range; few).
 */
function timeBranches(from: Date) {
  return [
    sql<SqlBool>`d.starts_at >= ${from}`,
    sql<SqlBool>`d.starts_at < ${from} and tstzrange(d.starts_at, coalesce(d.ends_at, d.starts_at), '[]') @> ${from}::timestamptz`,
  ];
}

/**
 * One page of an agenda, in date order. Keyset pagination on (starts_at, date id): the cost of a
 * page does not grow with its depth. `now` is a parameter so tests and feeds agree on "upcoming".
 */
export async function listAgenda(
  db: Db,
  scope: AgendaScope,
  filters: AgendaFilters,
  page: {
    limit?: number;
    cursor?: string | null;
    now?: Date;
    /**
     * With the events received from other nodes that this scope follows (remoteScope): the pages and
     * feeds that can show them ask; the API, counts, sitemap and embeds stay local.
     */
    withRemote?: boolean;
    /** The zone remote events without one are shown in (the venue's, the territory's). */
    readerTimezone?: string;
  } = {},
): Promise<AgendaPage> {
  const checked = checkFilters(filters);
  const limit = Math.max(1, Math.min(page.limit ?? 20, MAX_PAGE_SIZE));
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  const from = checked.from ?? page.now ?? new Date();
  const keyset = after ? sql`and (d.starts_at, d.id) > (${after.startsAt}, ${after.dateId}::uuid)` : sql``;
  const where = whereClauses(scope, checked);
  const branch = (time: ReturnType<typeof sql<SqlBool>>) => sql`(
    select d.id as date_id, e.id as event_id, e.slug, e.title, d.starts_at, d.ends_at, d.timezone, d.previous_starts_at,
      e.state, e.price_from_cents, e.currency, e.image_list_media_id, e.image_page_media_id, e.description_html, e.location_name, e.city,
      e.at_venue, e.sequence, e.updated_at, p.id as place_id, p.slug as place_slug, p.name as place_name,
      p.city as place_city, p.timezone as place_timezone, ${originColumn(scope)} as origin
    from event_dates d
    join events e on e.place_id = d.place_id and e.id = d.event_id
    join places p on p.id = e.place_id
    where ${time} and ${where} ${keyset}
    order by d.starts_at, d.id
    limit ${limit + 1})`;
  const [upcoming, ongoing] = timeBranches(from);
  const { rows } = await sql<Row>`
    select * from (${branch(upcoming!)} union all ${branch(ongoing!)}) x
    order by starts_at, date_id
    limit ${limit + 1}`.execute(db);
  const local = await withTags(db, rows);
  const follower = page.withRemote ? remoteFollower(scope, checked) : null;
  const source = follower ? remoteSource() : null;
  const remote = source
    ? (
        await source.list(db, {
          follower: follower!,
          from,
          ...(checked.to ? { to: checked.to } : {}),
          ...(checked.tags ? { tags: checked.tags } : {}),
          ...(checked.text ? { text: checked.text } : {}),
          after: after ? { startsAt: after.startsAt, id: after.dateId } : null,
          limit: limit + 1,
        })
      ).map((entry) => remoteItem(entry, page.readerTimezone ?? 'UTC'))
    : [];
  // Both lists are in (start, id) order from the same cursor: merged, the first limit + 1 decide the page.
  const merged = [...local, ...remote].sort(byStartThenId).slice(0, limit + 1);
  const more = merged.length > limit;
  const items = merged.slice(0, limit);
  return { items, nextCursor: more ? encodeCursor(items[items.length - 1]!) : null };
}

/** Agenda order: by start, then by id (uuid text order is PostgreSQL's uuid order). */
const byStartThenId = (a: AgendaItem, b: AgendaItem) =>
  a.startsAt.getTime() - b.startsAt.getTime() || (a.dateId < b.dateId ? -1 : a.dateId > b.dateId ? 1 : 0);

/**
 * Whose follows of remote actors feed a scope: the venue's own (when it shows what it follows), the
 * instance actor's for the territory; none for a tag page or filters remote events cannot meet
 * (a venue of this node, free only: a received event has no price).
 */
function remoteFollower(scope: AgendaScope, filters: AgendaFilters): string | null {
  if (filters.placeIds?.length || filters.freeOnly) return null;
  if (scope.kind === 'territory') return TERRITORY_FOLLOWER;
  if (scope.kind === 'venue' && scope.withFollowed) return scope.placeId;
  return null;
}

/** A received event as an agenda item (see AgendaItem.remote). */
export function remoteItem(entry: RemoteAgendaEntry, readerTimezone: string): AgendaItem {
  const timezone = entry.timezone ?? readerTimezone;
  return {
    dateId: entry.localId,
    eventId: entry.localId,
    slug: '',
    title: entry.title,
    startsAt: entry.startsAt,
    endsAt: entry.endsAt,
    timezone,
    previousStartsAt: null,
    state: entry.status === 'cancelled' ? 'cancelled' : 'published',
    priceFromCents: null,
    currency: 'EUR',
    imageListMediaId: null,
    imagePageMediaId: null,
    descriptionHtml: sanitiseRemoteHtml(entry.contentHtml || entry.summary),
    locationName: entry.placeName,
    city: entry.address,
    atVenue: false,
    sequence: entry.sequence ?? 0,
    updatedAt: entry.updatedAt,
    tags: entry.tags,
    place: { id: '', slug: '', name: entry.originName, city: '', timezone },
    origin: 'remote',
    remote: entry,
  };
}

/**
 * How many dates an agenda has (same rules and filters), for counters. Counting walks every
 * matching date: keep it to narrow scopes (one venue's own events) or bounded ones on busy pages.
 */
export async function countAgenda(
  db: Db,
  scope: AgendaScope,
  filters: AgendaFilters,
  now = new Date(),
): Promise<number> {
  const checked = checkFilters(filters);
  const where = whereClauses(scope, checked);
  let total = 0;
  for (const time of timeBranches(checked.from ?? now)) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from event_dates d join events e on e.place_id = d.place_id and e.id = d.event_id
      where ${time} and ${where}`.execute(db);
    total += Number(rows[0]?.n ?? 0);
  }
  return total;
}

interface Row {
  date_id: string;
  event_id: string;
  slug: string;
  title: string;
  starts_at: Date;
  ends_at: Date | null;
  timezone: string;
  previous_starts_at: Date | null;
  state: Exclude<EventState, 'draft'>;
  price_from_cents: number | null;
  currency: string;
  image_list_media_id: string | null;
  image_page_media_id: string | null;
  description_html: string;
  location_name: string;
  city: string;
  at_venue: boolean;
  sequence: number;
  updated_at: Date;
  place_id: string;
  place_slug: string;
  place_name: string;
  place_city: string;
  place_timezone: string;
  origin: AgendaOrigin;
}

async function withTags(db: Db, rows: Row[]): Promise<AgendaItem[]> {
  const eventIds = [...new Set(rows.map((r) => r.event_id))];
  const placeIds = [...new Set(rows.map((r) => r.place_id))];
  // place_id leads the tags' primary key: without it, this lookup would scan every tag of the node.
  const tags = eventIds.length
    ? await db
        .selectFrom('event_tags')
        .select(['event_id', 'tag'])
        .where('place_id', 'in', placeIds)
        .where('event_id', 'in', eventIds)
        .orderBy('tag')
        .execute()
    : [];
  const byEvent = new Map<string, string[]>();
  for (const t of tags) byEvent.set(t.event_id, [...(byEvent.get(t.event_id) ?? []), t.tag]);
  return rows.map((r) => ({
    dateId: r.date_id,
    eventId: r.event_id,
    slug: r.slug,
    title: r.title,
    startsAt: new Date(r.starts_at),
    endsAt: r.ends_at ? new Date(r.ends_at) : null,
    timezone: r.timezone,
    previousStartsAt: r.previous_starts_at ? new Date(r.previous_starts_at) : null,
    state: r.state,
    priceFromCents: r.price_from_cents,
    currency: r.currency,
    imageListMediaId: r.image_list_media_id,
    imagePageMediaId: r.image_page_media_id,
    descriptionHtml: r.description_html,
    locationName: r.location_name,
    city: r.city,
    atVenue: r.at_venue,
    sequence: r.sequence,
    updatedAt: new Date(r.updated_at),
    tags: byEvent.get(r.event_id) ?? [],
    place: { id: r.place_id, slug: r.place_slug, name: r.place_name, city: r.place_city, timezone: r.place_timezone },
    origin: r.origin,
    remote: null,
  }));
}

export interface AdminEventRow {
  id: string;
  slug: string;
  title: string;
  state: EventState;
  visibility: EventVisibility;
  proposalState: string | null;
  firstStartsAt: Date | null;
  /** The event's next date (the first that has not ended yet), or null when all its dates are past or it has none. */
  nextDateId: string | null;
  nextStartsAt: Date | null;
  dateCount: number;
}

/**
 * Every event of a venue for its team (drafts, private, proposals included), soonest first: events with
 * a date to come by their next date, then events without any date, then past events, latest first.
 * Callers check the reader's role: this is the one listing without the visibility rules.
 */
export async function listVenueEventsForAdmin(
  db: Db,
  placeId: string,
  filters: { state?: EventState; proposals?: boolean; text?: string } = {},
  limit = 200,
  now: Date = new Date(),
): Promise<AdminEventRow[]> {
  const upcoming = sql<SqlBool>`coalesce(d.ends_at, d.starts_at) >= ${now}`;
  let q = db
    .selectFrom('events as e')
    .leftJoin('event_dates as d', (j) => j.onRef('d.place_id', '=', 'e.place_id').onRef('d.event_id', '=', 'e.id'))
    .select(['e.id', 'e.slug', 'e.title', 'e.state', 'e.visibility', 'e.proposal_state'])
    .select((eb) => [
      eb.fn.min('d.starts_at').as('first_starts_at'),
      eb.fn.count<number>('d.id').as('date_count'),
      sql<Date | null>`min(d.starts_at) filter (where ${upcoming})`.as('next_starts_at'),
      sql<string | null>`(select n.id from event_dates n where n.place_id = e.place_id and n.event_id = e.id
        and coalesce(n.ends_at, n.starts_at) >= ${now} order by n.starts_at, n.id limit 1)`.as('next_date_id'),
    ])
    .where('e.place_id', '=', placeId)
    .groupBy(['e.place_id', 'e.id'])
    .orderBy(
      sql`case when min(d.starts_at) filter (where ${upcoming}) is not null then 0 when count(d.id) = 0 then 1 else 2 end`,
    )
    .orderBy(sql`min(d.starts_at) filter (where ${upcoming}) asc`)
    .orderBy(sql`max(d.starts_at) desc`)
    .orderBy('e.id', 'desc')
    .limit(Math.min(limit, 500));
  if (filters.state) q = q.where('e.state', '=', filters.state);
  if (filters.proposals) q = q.where('e.proposal_state', '=', 'pending');
  else q = q.where((eb) => eb.or([eb('e.proposal_state', 'is', null), eb('e.proposal_state', '<>', 'pending')]));
  if (filters.text) q = q.where(sql<SqlBool>`e.search @@ ${textQuery(filters.text.slice(0, MAX_TEXT))}`);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    slug: r.slug,
    title: r.title,
    state: r.state,
    visibility: r.visibility,
    proposalState: r.proposal_state,
    firstStartsAt: r.first_starts_at ? new Date(r.first_starts_at as Date) : null,
    nextDateId: r.next_date_id ?? null,
    nextStartsAt: r.next_starts_at ? new Date(r.next_starts_at) : null,
    dateCount: Number(r.date_count),
  }));
}
