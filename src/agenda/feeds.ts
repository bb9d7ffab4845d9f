import type { FastifyReply, FastifyRequest } from 'fastify';
import ical, { ICalEventStatus } from 'ical-generator';
import type { Db } from '../db/database.ts';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { html, type Html } from '../http/html.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { listAgenda, type AgendaFilters, type AgendaItem, type AgendaScope } from './agendaQuery.ts';
import { normaliseTag } from './eventInput.ts';
import { plainText } from './markdown.ts';
import { canSee, filtersFromQuery, territoryTimezone, type AgendaQueryString } from './publicPages.ts';
import { icsEntries } from './eventCalendar.ts';
import { findEvent, isShownOutside } from './events.ts';
import { agendaCard, itemPath } from './views.ts';
import { localeOf } from '../i18n/i18n.ts';
import { fixedOffsetVtimezone, wallClock } from './vtimezone.ts';

/** Dates a feed carries at most: a calendar subscription is re-read often, keep it bounded. */
export const FEED_MAX_ITEMS = 500;
export const RSS_MAX_ITEMS = 50;
// Calendars keep the last month, so a cancellation a few days after the fact still reaches them.
const ICS_PAST_MS = 31 * 86_400_000;

/** Every listed date of a scope from `from`, up to `max`, through the same query as the pages. */
async function collect(
  db: Db,
  scope: AgendaScope,
  filters: AgendaFilters,
  max: number,
  readerTimezone: string,
): Promise<AgendaItem[]> {
  const items: AgendaItem[] = [];
  let cursor: string | null = null;
  do {
    const page = await listAgenda(db, scope, filters, {
      limit: Math.min(200, max - items.length),
      cursor,
      // Received events too (the territory's and a venue's feeds): their own UID and page (feedUid).
      withRemote: true,
      readerTimezone,
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return items;
}

/** What an iCalendar entry needs of an agenda date (an AgendaItem, or a date of one event's page). */
export type IcsEntry = Pick<
  AgendaItem,
  | 'dateId'
  | 'startsAt'
  | 'endsAt'
  | 'title'
  | 'descriptionHtml'
  | 'atVenue'
  | 'locationName'
  | 'city'
  | 'slug'
  | 'sequence'
  | 'updatedAt'
  | 'state'
  | 'tags'
  | 'timezone'
> & { place: Pick<AgendaItem['place'], 'name' | 'city'>; remote?: AgendaItem['remote'] };

/**
 * The UID of a date in the feeds: `<date id>@<this node's host>`, or for a received event
 * `<hash of its remote id>@<its origin's host>` (the same on every node that shows it, none of them
 * the origin's own UID scheme, so a calendar that subscribes to two nodes keeps one entry).
 */
export function feedUid(item: Pick<IcsEntry, 'dateId' | 'remote'>, baseUrl: string): string {
  if (item.remote) return `${item.remote.localId.replace(/-/g, '')}@${item.remote.originHost}`;
  return `${item.dateId}@${new URL(baseUrl).host}`;
}

/**
 * iCalendar (RFC 5545) of agenda items. UID = date id @ host: stable across edits (the date keeps
 * its id), so a subscribed calendar updates its entry; SEQUENCE = the event's, raised on every change;
 * times in UTC (exact whatever the reader's zone), the event's zone kept as X-REZO-TZID.
 * `zoned` (one event's download): DTSTART/DTEND in the event's zone with its TZID and VTIMEZONE,
 * when that zone has one offset all year (see vtimezone.ts); UTC otherwise.
 */
export function icsOf(
  items: IcsEntry[],
  o: { name: string; baseUrl: string; timezone: string; zoned?: boolean },
): string {
  const cal = ical({
    name: o.name,
    prodId: { company: 'Rezo', product: 'agenda', language: 'FR' },
    url: o.baseUrl,
    ttl: 3600,
    x: { 'X-WR-TIMEZONE': o.timezone },
  });
  const zones = new Map<string, string>();
  for (const i of items) {
    const end = i.endsAt ?? new Date(i.startsAt.getTime() + 2 * 3_600_000);
    const vtimezone = o.zoned ? fixedOffsetVtimezone(i.timezone, i.startsAt) : null;
    if (vtimezone) zones.set(i.timezone, vtimezone);
    cal.createEvent({
      id: feedUid(i, o.baseUrl),
      // ical-generator writes a zoned time from the Date's UTC fields: give it the wall-clock time.
      start: vtimezone ? wallClock(i.startsAt, i.timezone) : i.startsAt,
      end: vtimezone ? wallClock(end, i.timezone) : end,
      ...(vtimezone ? { timezone: i.timezone } : {}),
      summary: i.title,
      description: plainText(i.descriptionHtml, 2000),
      location: i.atVenue ? `${i.place.name}, ${i.place.city}` : [i.locationName, i.city].filter(Boolean).join(', '),
      url: `${o.baseUrl}${itemPath({ slug: i.slug, remote: i.remote ?? null })}`,
      sequence: i.sequence,
      stamp: i.updatedAt,
      lastModified: i.updatedAt,
      status: i.state === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      categories: i.tags.map((name) => ({ name })),
      x: { 'X-REZO-TZID': i.timezone },
    });
  }
  const text = cal.toString();
  if (zones.size === 0) return text;
  // Each TZID used is defined once, before the events (RFC 5545 §3.6.5).
  const at = text.indexOf('BEGIN:VEVENT');
  return text.slice(0, at) + [...zones.values()].join('') + text.slice(at);
}

const xml = (s: string) =>
  s
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    // Characters XML 1.0 forbids would make the whole feed unreadable.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** RSS 2.0 of agenda items: one item per date; guid = the date's id (not a permalink). */
export function rssOf(
  items: AgendaItem[],
  o: {
    title: string;
    link: string;
    description: string;
    baseUrl: string;
    lang: string;
    whenText: (i: AgendaItem) => string;
  },
): string {
  const entries = items.map(
    (i) => `<item>
<title>${xml(i.title)}</title>
<link>${xml(`${o.baseUrl}${itemPath(i)}`)}</link>
<guid isPermaLink="false">${xml(feedUid(i, o.baseUrl))}</guid>
<pubDate>${i.updatedAt.toUTCString()}</pubDate>
<description>${xml(`${o.whenText(i)} — ${i.place.name}. ${plainText(i.descriptionHtml, 500)}`)}</description>
${i.tags.map((tag) => `<category>${xml(tag)}</category>`).join('')}
</item>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>${xml(o.title)}</title>
<link>${xml(o.link)}</link>
<description>${xml(o.description)}</description>
<language>${xml(o.lang)}</language>
${entries.join('\n')}
</channel>
</rss>
`;
}

/** Feeds, embeds, sitemap and robots.txt. */
export async function feedRoutes(app: ModuleApp, { deps }: ModuleOptions) {
  const { config, db } = deps;

  async function sendIcs(
    reply: FastifyReply,
    scope: AgendaScope,
    name: string,
    timezone: string,
    query: AgendaQueryString,
  ) {
    const filters = await filtersFromQuery(
      db,
      { ...query, range: 'upcoming', from: undefined, to: undefined },
      timezone,
    );
    const items = await collect(
      db,
      scope,
      { ...filters, from: new Date(Date.now() - ICS_PAST_MS) },
      FEED_MAX_ITEMS,
      timezone,
    );
    return reply
      .type('text/calendar; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(icsOf(items, { name, baseUrl: config.baseUrl, timezone }));
  }

  app.get('/agenda.ics', async (request, reply) =>
    sendIcs(
      reply,
      { kind: 'territory' },
      request.ctx.t('agenda.heading', { territory: config.territoryName }),
      await territoryTimezone(db, config.timeZone),
      request.query as AgendaQueryString,
    ),
  );

  // One event's dates, for "add to my calendar": the same UIDs as the feeds, times in the event's zone.
  app.get('/events/:idOrSlug/calendar.ics', async (request, reply) => {
    const event = await findEvent(db, (request.params as { idOrSlug: string }).idOrSlug.toLowerCase());
    if (!event || !(await canSee(db, request, event))) throw notFound('event');
    const place = await db
      .selectFrom('places')
      .select(['name', 'city', 'timezone'])
      .where('id', '=', event.placeId)
      .executeTakeFirstOrThrow();
    return reply
      .type('text/calendar; charset=utf-8')
      .header('content-disposition', `attachment; filename="${event.slug}.ics"`)
      .header('cache-control', isShownOutside(event) ? 'public, max-age=300' : 'private, no-store')
      .send(
        icsOf(icsEntries(event, place), {
          name: event.title,
          baseUrl: config.baseUrl,
          timezone: place.timezone,
          zoned: true,
        }),
      );
  });

  app.get('/venues/:slug/agenda.ics', async (request, reply) => {
    const place = await getPlaceBySlug(db, (request.params as { slug: string }).slug);
    return sendIcs(reply, { kind: 'venue', placeId: place.id, withFollowed: true }, place.name, place.timezone, {});
  });

  app.get('/tags/:tag/agenda.ics', async (request, reply) => {
    const tag = normaliseTag((request.params as { tag: string }).tag.slice(0, 60));
    if (!tag) throw new DomainError('not-found', 404, { what: 'tag' });
    return sendIcs(
      reply,
      { kind: 'tag', tag },
      `#${tag} · ${config.territoryName}`,
      await territoryTimezone(db, config.timeZone),
      {},
    );
  });

  async function sendRss(
    request: FastifyRequest,
    reply: FastifyReply,
    scope: AgendaScope,
    title: string,
    link: string,
    timezone: string,
  ) {
    const { t, lang } = request.ctx;
    const items = await collect(db, scope, {}, RSS_MAX_ITEMS, timezone);
    const when = new Intl.DateTimeFormat(localeOf(lang), {
      dateStyle: 'full',
      timeStyle: 'short',
      timeZone: timezone,
    });
    return reply
      .type('application/rss+xml; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(
        rssOf(items, {
          title,
          link,
          description: t('agenda.rssDescription', { name: title }),
          baseUrl: config.baseUrl,
          lang,
          whenText: (i) => when.format(i.startsAt),
        }),
      );
  }

  app.get('/agenda.rss', async (request, reply) =>
    sendRss(
      request,
      reply,
      { kind: 'territory' },
      request.ctx.t('agenda.heading', { territory: config.territoryName }),
      `${config.baseUrl}/agenda`,
      await territoryTimezone(db, config.timeZone),
    ),
  );

  app.get('/venues/:slug/agenda.rss', async (request, reply) => {
    const place = await getPlaceBySlug(db, (request.params as { slug: string }).slug);
    return sendRss(
      request,
      reply,
      { kind: 'venue', placeId: place.id, withFollowed: true },
      place.name,
      `${config.baseUrl}/venues/${place.slug}`,
      place.timezone,
    );
  });

  // The widget is made to be framed by the venue's own site: it says so with frame-ancestors *,
  // which also keeps the node's default X-Frame-Options: SAMEORIGIN off this one answer.
  app.get('/venues/:slug/embed', async (request, reply) => {
    const { t, lang } = request.ctx;
    const place = await getPlaceBySlug(db, (request.params as { slug: string }).slug);
    const query = request.query as { count?: string; tags?: string; theme?: string };
    const count = Math.max(1, Math.min(Number.parseInt(query.count ?? '5', 10) || 5, 50));
    const tags = (query.tags ?? '')
      .split(',')
      .map((s) => normaliseTag(s))
      .filter((s): s is string => Boolean(s))
      .slice(0, 10);
    const theme = query.theme === 'dark' ? 'dark' : 'light';
    // With tags: the dates carrying any of them (one query per tag, merged in date order).
    let items: AgendaItem[];
    const scope: AgendaScope = { kind: 'venue', placeId: place.id, withFollowed: true };
    if (tags.length === 0) items = (await listAgenda(db, scope, {}, { limit: count })).items;
    else {
      const lists = await Promise.all(tags.map((tag) => listAgenda(db, scope, { tag }, { limit: count })));
      const seen = new Set<string>();
      items = lists
        .flatMap((l) => l.items)
        .filter((i) => !seen.has(i.dateId) && seen.add(i.dateId))
        .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.dateId.localeCompare(b.dateId))
        .slice(0, count);
    }
    const page: Html = html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${place.name}</title><link rel="stylesheet" href="${config.baseUrl}/static/style.css"><base target="_blank"></head>
<body class="embed theme-${theme}">
<main>
<h1><a href="${config.baseUrl}/venues/${place.slug}">${place.name}</a></h1>
${items.length ? html`<ul class="cards">${items.map((i) => agendaCard(request, i, { showVenue: false, target: '_blank' }))}</ul>` : html`<p>${t('agenda.empty')}</p>`}
<p><a href="${config.baseUrl}/venues/${place.slug}">${t('agenda.embedMore')}</a></p>
</main></body></html>`;
    return reply
      .type('text/html; charset=utf-8')
      .header(
        'content-security-policy',
        "frame-ancestors *; default-src 'none'; img-src 'self' " +
          config.baseUrl +
          "; style-src 'self' " +
          config.baseUrl,
      )
      .header('cache-control', 'public, max-age=300')
      .send(page.value);
  });

  app.get('/robots.txt', async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(`User-agent: *
Disallow: /api/
Disallow: /account
Disallow: /admin
Disallow: /venues/*/admin
Disallow: /venues/*/propose
Disallow: /login
Allow: /

Sitemap: ${config.baseUrl}/sitemap.xml
`),
  );

  app.get('/sitemap.xml', async (_request, reply) => {
    // Listed events only (public, not draft), recent or upcoming, bounded by the sitemap limit.
    const [places, events] = await Promise.all([
      db.selectFrom('places').select(['slug', 'created_at']).orderBy('slug').limit(10_000).execute(),
      db
        .selectFrom('events')
        .select(['slug', 'updated_at'])
        .where('visibility', '=', 'public')
        .where('state', '<>', 'draft')
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('event_dates as d')
              .select('d.id')
              .whereRef('d.place_id', '=', 'events.place_id')
              .whereRef('d.event_id', '=', 'events.id')
              .where('d.starts_at', '>=', new Date(Date.now() - 365 * 86_400_000)),
          ),
        )
        .orderBy('updated_at', 'desc')
        .limit(40_000)
        .execute(),
    ]);
    const url = (loc: string, lastmod?: Date) =>
      `<url><loc>${xml(loc)}</loc>${lastmod ? `<lastmod>${lastmod.toISOString()}</lastmod>` : ''}</url>`;
    const body = [
      url(`${config.baseUrl}/`),
      url(`${config.baseUrl}/agenda`),
      ...places.map((p) => url(`${config.baseUrl}/venues/${p.slug}`)),
      ...events.map((e) => url(`${config.baseUrl}/events/${e.slug}`, e.updated_at)),
    ];
    return reply.type('application/xml; charset=utf-8').send(`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${body.join('\n')}
</urlset>
`);
  });
}
