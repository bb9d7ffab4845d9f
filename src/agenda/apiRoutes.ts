import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { ModuleApp, ModuleOptions } from '../http/module.ts';
import { actorOf } from '../http/context.ts';
import { responses } from '../http/schemas.ts';
import { roleOf } from '../access/permissions.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { listAgenda, MAX_PAGE_SIZE, RANGE_NAMES, type AgendaItem } from './agendaQuery.ts';
import { cancelEvent } from './cancelEvent.ts';
import { createEvent } from './createEvent.ts';
import { deleteDraftEvent } from './deleteDraftEvent.ts';
import { findEvent, isShownOutside, type AgendaEvent } from './events.ts';
import { publishEvent } from './publishEvent.ts';
import { filtersFromQuery, territoryTimezone } from './publicPages.ts';
import { updateEvent } from './updateEvent.ts';

const STATUS: Record<string, string> = {
  published: 'EventScheduled',
  cancelled: 'EventCancelled',
  postponed: 'EventRescheduled',
  draft: 'EventScheduled',
};

const VenueRef = Type.Object({ slug: Type.String(), name: Type.String(), url: Type.String() });

/** One date of an event in a list: schema.org Event names (name, startDate, endDate, eventStatus). */
const EventDateItem = Type.Object(
  {
    '@type': Type.Literal('Event'),
    id: Type.String({ format: 'uuid', description: 'The event id.' }),
    dateId: Type.String({ format: 'uuid' }),
    slug: Type.String(),
    name: Type.String(),
    url: Type.String(),
    startDate: Type.String({ format: 'date-time' }),
    endDate: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    previousStartDate: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    timezone: Type.String(),
    eventStatus: Type.String(),
    isAccessibleForFree: Type.Union([Type.Boolean(), Type.Null()]),
    priceFromCents: Type.Union([Type.Integer(), Type.Null()]),
    currency: Type.String(),
    keywords: Type.Array(Type.String()),
    image: Type.Union([Type.String(), Type.Null()]),
    venue: VenueRef,
  },
  { $id: 'EventDate', title: 'EventDate' },
);

const EventItem = Type.Object(
  {
    '@type': Type.Literal('Event'),
    id: Type.String({ format: 'uuid' }),
    slug: Type.String(),
    name: Type.String(),
    url: Type.String(),
    description: Type.String({ description: 'Sanitised HTML.' }),
    descriptionMarkdown: Type.String(),
    state: Type.String(),
    visibility: Type.String(),
    eventStatus: Type.String(),
    eventAttendanceMode: Type.String(),
    location: Type.Object({
      atVenue: Type.Boolean(),
      name: Type.String(),
      streetAddress: Type.String(),
      postalCode: Type.String(),
      addressLocality: Type.String(),
      addressCountry: Type.String(),
      geo: Type.Union([Type.Object({ latitude: Type.Number(), longitude: Type.Number() }), Type.Null()]),
    }),
    dates: Type.Array(
      Type.Object({
        id: Type.String({ format: 'uuid' }),
        startDate: Type.String({ format: 'date-time' }),
        endDate: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
        previousStartDate: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
        timezone: Type.String(),
      }),
    ),
    keywords: Type.Array(Type.String()),
    organizer: Type.Array(Type.String()),
    performer: Type.Array(Type.String()),
    accessibility: Type.String(),
    externalUrl: Type.String(),
    capacity: Type.Union([Type.Integer(), Type.Null()]),
    priceFromCents: Type.Union([Type.Integer(), Type.Null()]),
    currency: Type.String(),
    image: Type.Union([Type.String(), Type.Null()]),
    sequence: Type.Integer(),
    venue: VenueRef,
  },
  { $id: 'AgendaEvent', title: 'AgendaEvent' },
);

const DateBody = Type.Object(
  {
    id: Type.Optional(
      Type.String({ maxLength: 36, description: 'An existing date id, to keep it (and its iCalendar UID).' }),
    ),
    startsAt: Type.String({
      maxLength: 40,
      description: 'Local "2026-12-05T20:00" in `timezone`, or ISO 8601 with offset.',
    }),
    endsAt: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Null()])),
    timezone: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

const EventBody = Type.Object(
  {
    title: Type.Optional(Type.String({ maxLength: 200 })),
    slug: Type.Optional(Type.String({ maxLength: 80 })),
    description: Type.Optional(Type.String({ maxLength: 20_000, description: 'Markdown; HTML in it is neutralised.' })),
    visibility: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('unlisted'), Type.Literal('private')])),
    atVenue: Type.Optional(Type.Boolean()),
    locationName: Type.Optional(Type.String({ maxLength: 200 })),
    street: Type.Optional(Type.String({ maxLength: 200 })),
    postalCode: Type.Optional(Type.String({ maxLength: 20 })),
    city: Type.Optional(Type.String({ maxLength: 100 })),
    country: Type.Optional(Type.String({ maxLength: 2 })),
    latitude: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    longitude: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 60 }), { maxItems: 40 })),
    organisers: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 30 })),
    performers: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 30 })),
    accessibility: Type.Optional(Type.String({ maxLength: 2000 })),
    externalUrl: Type.Optional(Type.String({ maxLength: 500 })),
    capacity: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    priceFromCents: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    dates: Type.Optional(Type.Array(DateBody, { maxItems: 60 })),
  },
  { additionalProperties: false },
);

const CreateBody = Type.Object(
  {
    ...EventBody.properties,
    venue: Type.Optional(
      Type.String({ maxLength: 60, description: "The venue's slug (optional with a venue API key)." }),
    ),
    title: Type.String({ maxLength: 200 }),
    dates: Type.Array(DateBody, { maxItems: 60 }),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object({
  range: Type.Optional(Type.Union(RANGE_NAMES.map((r) => Type.Literal(r)))),
  from: Type.Optional(Type.String({ maxLength: 10, description: 'YYYY-MM-DD, in the territory zone.' })),
  to: Type.Optional(Type.String({ maxLength: 10 })),
  tag: Type.Optional(Type.String({ maxLength: 60 })),
  venue: Type.Optional(Type.String({ maxLength: 60 })),
  q: Type.Optional(Type.String({ maxLength: 200 })),
  free: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0')])),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE })),
});

const IdParams = Type.Object({ id: Type.String({ maxLength: 80, description: 'Event id or slug.' }) });

/** JSON API of the agenda: read (public rules) and write (venue editors or a key with events:write). */
export async function agendaApiRoutes(app: ModuleApp, { deps }: ModuleOptions) {
  const { config, db } = deps;
  const base = config.baseUrl;
  const venueRef = async (placeId: string) => {
    const p = await db
      .selectFrom('places')
      .select(['slug', 'name'])
      .where('id', '=', placeId)
      .executeTakeFirstOrThrow();
    return { slug: p.slug, name: p.name, url: `${base}/venues/${p.slug}` };
  };

  function presentItem(i: AgendaItem): Static<typeof EventDateItem> {
    return {
      '@type': 'Event',
      id: i.eventId,
      dateId: i.dateId,
      slug: i.slug,
      name: i.title,
      url: `${base}/events/${i.slug}`,
      startDate: i.startsAt.toISOString(),
      endDate: i.endsAt?.toISOString() ?? null,
      previousStartDate: i.previousStartsAt?.toISOString() ?? null,
      timezone: i.timezone,
      eventStatus: `https://schema.org/${STATUS[i.state]}`,
      isAccessibleForFree: i.priceFromCents === null ? null : i.priceFromCents === 0,
      priceFromCents: i.priceFromCents,
      currency: i.currency,
      keywords: i.tags,
      image: i.imageListMediaId ? `${base}/media/${i.imageListMediaId}` : null,
      venue: { slug: i.place.slug, name: i.place.name, url: `${base}/venues/${i.place.slug}` },
    };
  }

  async function presentEvent(e: AgendaEvent): Promise<Static<typeof EventItem>> {
    const venue = await venueRef(e.placeId);
    const place = await db.selectFrom('places').selectAll().where('id', '=', e.placeId).executeTakeFirstOrThrow();
    const loc = e.atVenue
      ? {
          name: place.name,
          streetAddress: place.street,
          postalCode: place.postal_code,
          addressLocality: place.city,
          addressCountry: place.country,
          lat: place.latitude,
          lon: place.longitude,
        }
      : {
          name: e.locationName,
          streetAddress: e.street,
          postalCode: e.postalCode,
          addressLocality: e.city,
          addressCountry: e.country,
          lat: e.latitude,
          lon: e.longitude,
        };
    return {
      '@type': 'Event',
      id: e.id,
      slug: e.slug,
      name: e.title,
      url: `${base}/events/${e.slug}`,
      description: e.descriptionHtml,
      descriptionMarkdown: e.descriptionMd,
      state: e.state,
      visibility: e.visibility,
      eventStatus: `https://schema.org/${STATUS[e.state]}`,
      eventAttendanceMode: 'https://schema.org/OfflineEventAttendanceMode',
      location: {
        atVenue: e.atVenue,
        name: loc.name,
        streetAddress: loc.streetAddress,
        postalCode: loc.postalCode,
        addressLocality: loc.addressLocality,
        addressCountry: loc.addressCountry,
        geo: loc.lat !== null && loc.lon !== null ? { latitude: loc.lat, longitude: loc.lon } : null,
      },
      dates: e.dates.map((d) => ({
        id: d.id,
        startDate: d.startsAt.toISOString(),
        endDate: d.endsAt?.toISOString() ?? null,
        previousStartDate: d.previousStartsAt?.toISOString() ?? null,
        timezone: d.timezone,
      })),
      keywords: e.tags,
      organizer: e.organisers,
      performer: e.performers,
      accessibility: e.accessibility,
      externalUrl: e.externalUrl,
      capacity: e.capacity,
      priceFromCents: e.priceFromCents,
      currency: e.currency,
      image: e.imagePageMediaId ? `${base}/media/${e.imagePageMediaId}` : null,
      sequence: e.sequence,
      venue,
    };
  }

  /** Drafts and private events exist only for their venue's team and keys: 404 for everyone else. */
  async function visibleEvent(request: FastifyRequest, idOrSlug: string): Promise<AgendaEvent> {
    const event = await findEvent(db, idOrSlug.toLowerCase());
    if (!event) throw notFound('event');
    if (isShownOutside(event)) return event;
    const actor = request.ctx.actor;
    if (actor?.kind === 'apiKey' && actor.placeId === event.placeId) return event;
    if (actor?.kind === 'person' && (actor.isOperator || (await roleOf(db, actor.personId, event.placeId))))
      return event;
    throw notFound('event');
  }

  app.get(
    '/api/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Agenda of the territory (public, listed events), one item per date, cursor-paged',
        querystring: ListQuery,
        response: responses(
          {
            200: Type.Object({
              items: Type.Array(EventDateItem),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
          },
          [422],
        ),
      },
    },
    async (request) => {
      const q = request.query;
      const filters = await filtersFromQuery(db, q, await territoryTimezone(db, config.timeZone));
      const page = await listAgenda(db, { kind: 'territory' }, filters, {
        limit: q.limit ?? 50,
        cursor: q.cursor ?? null,
      });
      return { items: page.items.map(presentItem), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/events/:id',
    {
      schema: {
        tags: ['events'],
        summary: 'One event (public or unlisted; drafts and private ones for their venue only)',
        params: IdParams,
        response: responses({ 200: EventItem }, [404]),
      },
    },
    async (request) => presentEvent(await visibleEvent(request, request.params.id)),
  );

  app.post(
    '/api/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Create an event (a draft)',
        description: 'Venue editors, or a venue API key with the `events:write` scope.',
        security: [{ apiKey: [] }, { session: [] }],
        body: CreateBody,
        response: responses({ 201: EventItem }),
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { venue, ...input } = request.body;
      let placeId: string;
      if (venue) placeId = (await getPlaceBySlug(db, venue)).id;
      else if (actor.kind === 'apiKey') placeId = actor.placeId;
      else throw new DomainError('validation', 422, {}, [{ field: 'venue', message: 'required' }]);
      const event = await createEvent(db, actor, { ...input, placeId });
      return reply
        .status(201)
        .header('location', `/api/v1/events/${event.id}`)
        .send(await presentEvent(event));
    },
  );

  app.patch(
    '/api/v1/events/:id',
    {
      schema: {
        tags: ['events'],
        summary: 'Change an event (fields left out keep their value)',
        security: [{ apiKey: [] }, { session: [] }],
        params: IdParams,
        body: EventBody,
        response: responses({ 200: EventItem }),
      },
    },
    async (request) => {
      const event = await visibleEvent(request, request.params.id);
      return presentEvent(await updateEvent(db, actorOf(request), { ...request.body, eventId: event.id }));
    },
  );

  app.delete(
    '/api/v1/events/:id',
    {
      schema: {
        tags: ['events'],
        summary: 'Delete a draft (a published event is cancelled instead)',
        security: [{ apiKey: [] }, { session: [] }],
        params: IdParams,
        response: responses({ 204: Type.Null() }, [401, 403, 404, 409]),
      },
    },
    async (request, reply) => {
      const event = await visibleEvent(request, request.params.id);
      await deleteDraftEvent(db, actorOf(request), { eventId: event.id });
      return reply.status(204).send();
    },
  );

  for (const action of ['publish', 'cancel'] as const) {
    app.post(
      `/api/v1/events/:id/${action}`,
      {
        schema: {
          tags: ['events'],
          summary: action === 'publish' ? 'Publish a draft (or a cancelled event again)' : 'Cancel a published event',
          security: [{ apiKey: [] }, { session: [] }],
          params: IdParams,
          response: responses({ 200: EventItem }, [401, 403, 404, 409]),
        },
      },
      async (request) => {
        const event = await visibleEvent(request, (request.params as { id: string }).id);
        const run = action === 'publish' ? publishEvent : cancelEvent;
        return presentEvent(await run(db, actorOf(request), { eventId: event.id }));
      },
    );
  }
}
