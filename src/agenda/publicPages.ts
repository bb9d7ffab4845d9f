import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/database.ts';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf, personOrLogin } from '../http/context.ts';
import { submitForm } from '../http/formRoute.ts';
import { csrfField } from '../http/forms.ts';
import { html, unsafeRaw, type Html } from '../http/html.ts';
import { layout, sendHtml } from '../http/layout.ts';
import { roleOf } from '../access/permissions.ts';
import { getPlaceBySlug, listPlaces, type Place } from '../places/index.ts';
import { DomainError, notFound, type FieldError } from '../shared/errors.ts';
import { agendaSettings } from './agendaSettings.ts';
import {
  countAgenda,
  listAgenda,
  RANGE_NAMES,
  resolveRange,
  type AgendaFilters,
  type AgendaScope,
  type RangeName,
} from './agendaQuery.ts';
import { findEvent, isShownOutside, type AgendaEvent } from './events.ts';
import { eventForm, formFields, valuesAfterError } from './eventForm.ts';
import { plainText } from './markdown.ts';
import { proposeEvent } from './proposeEvent.ts';
import { agendaCard, eventJsonLd, formatPrice, formatWhen, jsonForScript, stateBadge } from './views.ts';
import { localParts, zonedToInstant } from './zonedTime.ts';
import { ticketForm } from '../ticketing/index.ts';
import { schemaOffers, sellableCheckout, type DateOffers } from '../ticketing/index.ts';
import { contentSecurityPolicy } from '../http/securityHeaders.ts';
import { addToCalendar, priceList, shareLinks, whereText } from './eventCalendar.ts';
import { MAP_IMAGE_HOSTS, mapAssetRoutes, mapHead, placeMap } from './mapView.ts';
import { posterImage } from './posterImages.ts';
import { monthGrid } from './monthView.ts';
import { filterForm, tagsOf, VENUE_SELECT_MAX, type AgendaQueryString } from './filterForm.ts';
import { tagsInUse } from './tagsInUse.ts';

/** Ticket prices, when the venue sells some for a date, replace the price hint in its JSON-LD offers. */
function withTicketOffers(ld: Record<string, unknown>[], offers: DateOffers[], url: string): Record<string, unknown>[] {
  return ld.map((entry) => {
    const dateId = String(entry['@id'] ?? '').split('#')[1];
    const date = offers.find((o) => o.dateId === dateId);
    return date ? { ...entry, offers: schemaOffers(date, url) } : entry;
  });
}

/**
 * The territory's zone: the one most venues use ("today" on /agenda means today there), or the
 * node's setting (REZO_TIME_ZONE) while it has no venue.
 */
export async function territoryTimezone(db: Db, nodeTimeZone: string): Promise<string> {
  const row = await db
    .selectFrom('places')
    .select(['timezone', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('timezone')
    .orderBy('n', 'desc')
    .orderBy('timezone')
    .executeTakeFirst();
  return row?.timezone ?? nodeTimeZone;
}

export type { AgendaQueryString } from './filterForm.ts';

/** The filters of an agenda page or feed from its query string, in the reader's zone. */
export async function filtersFromQuery(
  db: Db,
  query: AgendaQueryString,
  timeZone: string,
  now = new Date(),
): Promise<AgendaFilters> {
  const range = (RANGE_NAMES as readonly string[]).includes(query.range ?? '')
    ? (query.range as RangeName)
    : query.from || query.to
      ? 'custom'
      : 'upcoming';
  const { from, to } = resolveRange(range, timeZone, now, { fromDay: query.from, toDay: query.to });
  let placeIds: string[] | undefined;
  if (query.venue) {
    const place = await db
      .selectFrom('places')
      .select('id')
      .where('slug', '=', query.venue.toLowerCase().slice(0, 60))
      .executeTakeFirst();
    if (!place) throw new DomainError('validation', 422, {}, [{ field: 'venue', message: 'choice' }]);
    placeIds = [place.id];
  }
  return {
    from,
    ...(to ? { to } : {}),
    ...(tagsOf(query).length ? { tags: tagsOf(query) } : {}),
    ...(placeIds ? { placeIds } : {}),
    ...(query.q ? { text: query.q } : {}),
    ...(query.free === '1' ? { freeOnly: true } : {}),
  };
}

/** May this reader see the event's page? Listed and unlisted: everyone; draft and private: the venue's team. */
export async function canSee(db: Db, request: FastifyRequest, event: AgendaEvent): Promise<boolean> {
  if (isShownOutside(event)) return true;
  const person = request.ctx.person;
  if (!person) return false;
  if (person.isOperator) return true;
  return (await roleOf(db, person.id, event.placeId)) !== null;
}

function pager(request: FastifyRequest, nextCursor: string | null): Html | '' {
  if (!nextCursor) return '';
  const url = new URL(request.url, 'http://x');
  url.searchParams.set('cursor', nextCursor);
  return html`<p><a class="button" rel="next" href="${url.pathname}${url.search}">${request.ctx.t('agenda.next')}</a></p>`;
}

/**
 * The agenda section of a venue page: its own events and the events of the venues and tags it
 * follows (each marked with its venue), those received from the remote venues it follows, the venues that follow it, and its feeds. Called by the
 * places module's venue page.
 */
export async function renderVenueAgenda(request: FastifyRequest, db: Db, place: Place): Promise<Html> {
  const { t } = request.ctx;
  const scope: AgendaScope = { kind: 'venue', placeId: place.id, withFollowed: true };
  const query = request.query as AgendaQueryString;
  const filters = await filtersFromQuery(db, { ...query, venue: undefined }, place.timezone);
  const [page, total, followers, settings, tags] = await Promise.all([
    // A few dates on the venue's page (its memberships and address come after them); the pager goes on.
    listAgenda(db, scope, filters, {
      limit: 8,
      cursor: query.cursor ?? null,
      withRemote: true,
      readerTimezone: place.timezone,
    }),
    // The count is of the venue's own listed dates: counting the followed ones too would walk
    // every date of every followed venue on each page view.
    countAgenda(db, { kind: 'venue', placeId: place.id, withFollowed: false }, filters),
    db
      .selectFrom('place_follows')
      .innerJoin('places', 'places.id', 'place_follows.place_id')
      .select(['places.slug', 'places.name'])
      .where('place_follows.followed_place_id', '=', place.id)
      .orderBy('places.name')
      .limit(100)
      .execute(),
    agendaSettings(db, place.id),
    tagsInUse(db, { placeId: place.id }),
  ]);
  return html`<section class="venue-agenda" aria-labelledby="agenda-heading">
<h2 id="agenda-heading">${t('agenda.venueHeading')}</h2>
<p>${t('agenda.count', { count: total })} · <a href="/venues/${place.slug}/agenda.ics">${t('agenda.ics')}</a> · <a href="/venues/${place.slug}/agenda.rss">${t('agenda.rss')}</a></p>
${filterForm(request, `/venues/${place.slug}`, query, null, tags, { openWide: false })}
${page.items.length ? html`<ul class="cards">${page.items.map((i) => agendaCard(request, i, { showVenue: false }))}</ul>` : html`<p>${t('agenda.empty')}</p>`}
${pager(request, page.nextCursor)}
${followers.length ? html`<p>${t('agenda.followedBy')} ${followers.map((f, i) => html`${i ? ', ' : ''}<a href="/venues/${f.slug}">${f.name}</a>`)}</p>` : ''}
${settings.acceptsProposals ? html`<p><a class="button" href="/venues/${place.slug}/propose">${t('agenda.propose')}</a></p>` : ''}
</section>`;
}

export async function publicPages(app: ModuleApp, { deps, info }: ModuleOptions) {
  const { config, db } = deps;
  mapAssetRoutes(app);
  const page = (
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    body: Html,
    options: { status?: number; head?: Html; description?: string } = {},
  ) =>
    sendHtml(
      reply,
      layout(request, info, {
        title,
        body,
        ...(options.head ? { head: options.head } : {}),
        ...(options.description ? { description: options.description } : {}),
      }),
      options.status ?? 200,
    );

  app.get('/agenda', async (request, reply) => {
    const { t } = request.ctx;
    const query = request.query as AgendaQueryString;
    const timeZone = await territoryTimezone(db, config.timeZone);
    const [listed, tags] = await Promise.all([listPlaces(db, { limit: VENUE_SELECT_MAX + 1 }), tagsInUse(db)]);
    const places = listed.length > VENUE_SELECT_MAX ? 'input' : listed;
    let body: Html;
    if (query.view === 'month') {
      const now = localParts(new Date(), timeZone);
      const month = /^\d{4}-(0[1-9]|1[0-2])$/.test(query.month ?? '')
        ? query.month!
        : `${now.year}-${String(now.month).padStart(2, '0')}`;
      const [y, m] = month.split('-').map(Number) as [number, number];
      const from = zonedToInstant({ year: y, month: m, day: 1, hour: 0, minute: 0 }, timeZone);
      const to = zonedToInstant(
        { year: m === 12 ? y + 1 : y, month: m === 12 ? 1 : m + 1, day: 1, hour: 0, minute: 0 },
        timeZone,
      );
      const base = await filtersFromQuery(
        db,
        { ...query, range: 'upcoming', from: undefined, to: undefined },
        timeZone,
      );
      const { items } = await listAgenda(
        db,
        { kind: 'territory' },
        { ...base, from, to },
        { limit: 200, now: from, withRemote: true, readerTimezone: timeZone },
      );
      body = monthGrid(request, month, items, timeZone);
    } else {
      const filters = await filtersFromQuery(db, query, timeZone);
      const result = await listAgenda(db, { kind: 'territory' }, filters, {
        limit: 20,
        cursor: query.cursor ?? null,
        withRemote: true,
        readerTimezone: timeZone,
      });
      body = html`${result.items.length ? html`<ul class="cards">${result.items.map((i) => agendaCard(request, i, { showVenue: true }))}</ul>` : html`<p>${t('agenda.empty')}</p>`}
${pager(request, result.nextCursor)}`;
    }
    return page(
      request,
      reply,
      t('agenda.title'),
      html`<section>
<h1>${t('agenda.heading', { territory: config.territoryName })}</h1>
<p><a href="/agenda"${query.view !== 'month' ? html` aria-current="page"` : ''}>${t('agenda.view.list')}</a> · <a href="/agenda?view=month"${query.view === 'month' ? html` aria-current="page"` : ''}>${t('agenda.view.month')}</a> · <a href="/agenda.ics">${t('agenda.ics')}</a> · <a href="/agenda.rss">${t('agenda.rss')}</a></p>
${filterForm(request, '/agenda', query, places, tags)}
${body}
</section>`,
      { head: html`<link rel="alternate" type="application/rss+xml" href="/agenda.rss" title="${t('agenda.title')}">` },
    );
  });

  app.get('/events/:idOrSlug', async (request, reply) => {
    const { t, lang } = request.ctx;
    const event = await findEvent(db, (request.params as { idOrSlug: string }).idOrSlug.toLowerCase());
    // A draft or private event is "not found" for outsiders: its existence is not disclosed.
    if (!event || !(await canSee(db, request, event))) throw notFound('event');
    const place = await db.selectFrom('places').selectAll().where('id', '=', event.placeId).executeTakeFirstOrThrow();
    const placeLd = {
      name: place.name,
      slug: place.slug,
      street: place.street,
      postalCode: place.postal_code,
      city: place.city,
      country: place.country,
      latitude: place.latitude,
      longitude: place.longitude,
    };
    const url = `${config.baseUrl}/events/${event.slug}`;
    const description = plainText(event.descriptionHtml, 200);
    const image = event.imagePageMediaId ? `${config.baseUrl}/media/${event.imagePageMediaId}` : null;
    const listed = event.state !== 'draft' && event.visibility === 'public';
    const checkout =
      event.state === 'published' ? await sellableCheckout(db, deps.stripe, config, event.placeId, event.id) : null;
    const offers = checkout?.offers ?? [];
    const head = html`<link rel="canonical" href="${url}">
${listed ? '' : html`<meta name="robots" content="noindex">`}
<meta property="og:type" content="website">
<meta property="og:title" content="${event.title}">
<meta property="og:url" content="${url}">
${description ? html`<meta property="og:description" content="${description}">` : ''}
${image ? html`<meta property="og:image" content="${image}">` : ''}
<meta property="og:site_name" content="${config.territoryName}">
<script type="application/ld+json">${jsonForScript(withTicketOffers(eventJsonLd(event, placeLd, config.baseUrl), offers, url))}</script>`;
    const where = event.atVenue
      ? html`<a href="/venues/${place.slug}">${place.name}</a>, ${[place.street, place.postal_code, place.city].filter(Boolean).join(' ')}`
      : html`${[event.locationName, event.street, event.postalCode, event.city].filter(Boolean).join(', ')} (${t('agenda.byVenue')} <a href="/venues/${place.slug}">${place.name}</a>)`;
    const point = event.atVenue
      ? { latitude: place.latitude, longitude: place.longitude }
      : { latitude: event.latitude, longitude: event.longitude };
    const hasMap = point.latitude !== null && point.longitude !== null;
    const whereWords = whereText(event, place);
    const organisers = event.organisers.length
      ? html`${event.organisers.join(', ')}`
      : html`<a href="/venues/${place.slug}">${place.name}</a>`;
    // The tiles are the only images from elsewhere, on the pages that show them.
    if (hasMap)
      reply.header(
        'content-security-policy',
        contentSecurityPolicy(config, request.ctx.cspNonce, { imgHosts: MAP_IMAGE_HOSTS }),
      );
    return page(
      request,
      reply,
      event.title,
      html`<article class="event${image ? ' with-poster' : ''}">
<div class="event-head">
<h1>${event.title} ${stateBadge(t, event.state)}</h1>
${event.visibility !== 'public' || event.state === 'draft' ? html`<p class="notice">${t(`agenda.visibilityNotice.${event.state === 'draft' ? 'draft' : event.visibility}`)}</p>` : ''}
<ul class="dates">${event.dates.map((d) => html`<li><time datetime="${d.startsAt.toISOString()}">${formatWhen(lang, d.startsAt, d.endsAt, d.timezone)}</time>${d.previousStartsAt ? html` <span class="hint">${t('agenda.previously', { when: formatWhen(lang, d.previousStartsAt, null, d.timezone) })}</span>` : ''}</li>`)}</ul>
<p class="where">${where}</p>
<p class="organiser">${t('browse.organisedBy')} ${organisers}</p>
${offers.length ? priceList(request, offers, event.currency) : event.priceFromCents !== null ? html`<p class="price">${formatPrice(t, lang, event.priceFromCents, event.currency)}</p>` : ''}
</div>
${image ? html`<div class="event-poster">${posterImage({ list: event.imageListMediaId, page: event.imagePageMediaId }, { sizes: '(max-width: 60rem) calc(100vw - 2rem), 24rem', className: 'poster' })}</div>` : ''}
${offers.length ? html`<div class="event-tickets">${ticketForm(request, event, offers, {}, { onSite: checkout?.onSite ?? false, online: checkout?.online ?? true })}</div>` : ''}
<div class="event-body">
<div class="description">${htmlFromSanitised(event.descriptionHtml)}</div>
<dl class="facts">
${event.performers.length ? html`<dt>${t('agenda.field.performers')}</dt><dd>${event.performers.join(', ')}</dd>` : ''}
${event.accessibility ? html`<dt>${t('agenda.field.accessibility')}</dt><dd>${event.accessibility}</dd>` : ''}
${event.capacity ? html`<dt>${t('agenda.field.capacity')}</dt><dd>${event.capacity}</dd>` : ''}
${event.externalUrl ? html`<dt>${t('agenda.field.externalUrl')}</dt><dd><a href="${event.externalUrl}" rel="noopener nofollow">${event.externalUrl}</a></dd>` : ''}
</dl>
${event.tags.length ? html`<ul class="tags">${event.tags.map((tag) => html`<li><a href="/agenda?tag=${tag}">#${tag}</a></li>`)}</ul>` : ''}
${addToCalendar(request, event, whereWords, url)}
${placeMap(request, { address: whereWords, label: event.atVenue ? place.name : event.locationName || place.name, ...point })}
${shareLinks(request, event.title, url)}
</div>
</article>`,
      { head: hasMap ? html`${head}\n${mapHead()}` : head, ...(description ? { description } : {}) },
    );
  });

  async function proposalPlace(request: FastifyRequest): Promise<Place> {
    const place = await getPlaceBySlug(db, (request.params as { slug: string }).slug);
    if (!(await agendaSettings(db, place.id)).acceptsProposals) throw new DomainError('agenda-proposals-closed', 403);
    return place;
  }

  const proposalPage = (request: FastifyRequest, place: Place, values: Record<string, unknown>, errors: FieldError[]) =>
    html`<section class="narrow">
<p class="breadcrumb"><a href="/venues/${place.slug}">${place.name}</a></p>
<h1>${request.ctx.t('agenda.proposeTitle', { venue: place.name })}</h1>
<p>${request.ctx.t('agenda.proposeIntro')}</p>
${eventForm(request, { action: `/venues/${place.slug}/propose`, values, errors, timezone: place.timezone, proposal: true, csrf: csrfField(request) })}
</section>`;

  app.get('/venues/:slug/propose', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const place = await proposalPlace(request);
    return page(
      request,
      reply,
      request.ctx.t('agenda.proposeTitle', { venue: place.name }),
      proposalPage(request, place, {}, []),
    );
  });

  app.post('/venues/:slug/propose', async (request, reply) => {
    if (!personOrLogin(request, reply)) return reply;
    const place = await proposalPlace(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const title = request.ctx.t('agenda.proposeTitle', { venue: place.name });
    return submitForm(reply, {
      run: () => proposeEvent(db, actorOf(request), { ...formFields(body), placeId: place.id }),
      done: () =>
        page(
          request,
          reply,
          title,
          html`<section class="narrow"><p class="notice" role="status">${request.ctx.t('agenda.proposed')}</p><p><a href="/venues/${place.slug}">${place.name}</a></p></section>`,
        ),
      invalid: (errors) =>
        page(request, reply, title, proposalPage(request, place, valuesAfterError(body), errors), { status: 422 }),
    });
  });
}

/** The description HTML was sanitised with an allow-list when it was written (renderMarkdown). */
function htmlFromSanitised(sanitised: string): Html {
  return unsafeRaw(sanitised);
}
