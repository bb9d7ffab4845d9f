import { localParts, type AgendaEvent } from '../agenda/index.ts';
import type { PriceOffer } from '../ticketing/index.ts';
import { availabilityName } from './availabilityBands.ts';
import { actorUrl, AS_CONTEXT, availabilityUrl, eventObjectUrl, PUBLIC, iriTerm } from './urls.ts';

/**
 * The `Event` JSON of one event date, built by hand in the shape Mobilizon, Gancio and FEP-8a8e
 * receivers read (docs/FEDERATION.md, "Event objects"): Fedify's typed Event would drop the
 * PostalAddress, the participation fields and the local offsets, and turn `to` into a string.
 * Pure: the caller reads the event, the venue, the offers and the figures.
 */
export interface EventObjectInput {
  base: string;
  event: AgendaEvent;
  dateId: string;
  venue: { id: string; slug: string; name: string; language: string };
  /** What sells for this date (ticketing), or null when the event sells no tickets. */
  offers: PriceOffer[] | null;
  /**
   * Tickets sold for the date, its capacity (null: unlimited) and the places left (capacity − sold −
   * held: placesLeft; capacity − sold when not given).
   */
  figures: { capacity: number | null; sold: number; remaining?: number | null } | null;
  /** One line with date, place and price, in the venue's language: what Mastodon shows. */
  summary: string;
}

export const EVENT_CONTEXT = [
  AS_CONTEXT,
  'https://w3id.org/security/data-integrity/v1',
  {
    sc: 'http://schema.org#',
    ical: 'http://www.w3.org/2002/12/cal/ical#',
    mz: 'https://joinmobilizon.org/ns#',
    fep8a8e: 'https://w3id.org/fep/8a8e/',
    rezo: 'https://rezo.coop/ns#',
    Hashtag: 'as:Hashtag',
    PostalAddress: 'sc:PostalAddress',
    address: { '@id': 'sc:address', '@type': 'sc:PostalAddress' },
    streetAddress: 'sc:streetAddress',
    postalCode: 'sc:postalCode',
    addressLocality: 'sc:addressLocality',
    addressRegion: 'sc:addressRegion',
    addressCountry: 'sc:addressCountry',
    category: 'sc:category',
    maximumAttendeeCapacity: 'sc:maximumAttendeeCapacity',
    remainingAttendeeCapacity: 'sc:remainingAttendeeCapacity',
    participantCount: 'mz:participantCount',
    offers: 'sc:offers',
    Offer: 'sc:Offer',
    price: 'sc:price',
    priceCurrency: 'sc:priceCurrency',
    availability: iriTerm('sc:availability'),
    joinMode: { '@id': 'mz:joinMode', '@type': 'mz:joinModeType' },
    externalParticipationUrl: { '@id': 'mz:externalParticipationUrl', '@type': 'sc:URL' },
    timezone: { '@id': 'mz:timezone', '@type': 'sc:Text' },
    status: 'ical:status',
    eventStatus: iriTerm('fep8a8e:eventStatus'),
    previousStartTime: 'fep8a8e:previousStartTime',
    displayEndTime: 'fep8a8e:displayEndTime',
    organizers: iriTerm('fep8a8e:organizers'),
    sequence: 'rezo:sequence',
    liveAvailability: iriTerm('rezo:liveAvailability'),
    commentsEnabled: 'mz:commentsEnabled',
    anonymousParticipationEnabled: 'mz:anonymousParticipationEnabled',
    draft: 'mz:draft',
    inLanguage: 'sc:inLanguage',
    latitude: 'sc:latitude',
    longitude: 'sc:longitude',
  },
] as const;

/** Mobilizon's categories, from the first tag that maps (docs/FEDERATION.md: a first fixed table). */
const CATEGORIES: Record<string, string> = {
  musique: 'MUSIC',
  music: 'MUSIC',
  concert: 'MUSIC',
  maloya: 'MUSIC',
  sega: 'MUSIC',
  theatre: 'THEATRE',
  théâtre: 'THEATRE',
  danse: 'ARTS',
  dance: 'ARTS',
  expo: 'ARTS',
  exposition: 'ARTS',
  cinema: 'FILM_MEDIA',
  cinéma: 'FILM_MEDIA',
  film: 'FILM_MEDIA',
  fete: 'PARTY',
  fête: 'PARTY',
  party: 'PARTY',
  festival: 'FESTIVALS',
  atelier: 'WORKSHOPS_SKILL_SHARING',
  workshop: 'WORKSHOPS_SKILL_SHARING',
  conference: 'LEARNING',
  conférence: 'LEARNING',
  cuisine: 'FOOD_DRINK',
  sport: 'SPORTS',
  reunion: 'MEETING',
  réunion: 'MEETING',
};

/** An instant as local time with the zone's offset at that instant: 2026-12-05T20:00:00+04:00. */
export function localIso(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  const offsetMin = Math.round(
    (Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant.getTime() / 1000) * 1000) /
      60_000,
  );
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return (
    `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

const SCHEMA = 'https://schema.org/';
/** InStock above 20 % left (or unlimited), LimitedAvailability at or below 20 % or 10 places, SoldOut at 0: as an IRI. */
export function availabilityOf(remaining: number | null, capacity: number | null): string {
  return `${SCHEMA}${availabilityName(remaining, capacity)}`;
}

const STATUS = {
  published: ['CONFIRMED', 'EventScheduled'],
  postponed: ['TENTATIVE', 'EventPostponed'],
  cancelled: ['CANCELLED', 'EventCancelled'],
  draft: ['TENTATIVE', 'EventScheduled'],
} as const;

const cents = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;

/** The Event object of one date (the same object in a Create and in an Update). */
export function buildEventObject(input: EventObjectInput): Record<string, unknown> {
  const { base, event, venue } = input;
  const date = event.dates.find((d) => d.id === input.dateId);
  if (!date) throw new Error(`date ${input.dateId} is not one of event ${event.id}`);
  const venueActor = actorUrl(base, venue.id);
  const page = `${base}/events/${event.slug}`;
  const tickets = `${page}#tickets`;
  const [status, eventStatus] =
    date.previousStartsAt && event.state === 'published'
      ? (['CONFIRMED', 'EventRescheduled'] as const)
      : STATUS[event.state];
  const image = event.imagePageMediaId ? `${base}/media/${event.imagePageMediaId}` : null;
  const endsAt = date.endsAt ?? new Date(date.startsAt.getTime() + 3 * 3600_000);
  const capacity = input.figures?.capacity ?? event.capacity ?? null;
  const remaining =
    capacity === null || !input.figures ? null : Math.max(0, input.figures.remaining ?? capacity - input.figures.sold);
  const category = event.tags.map((t) => CATEGORIES[t.toLowerCase()]).find(Boolean);
  return {
    '@context': EVENT_CONTEXT,
    id: eventObjectUrl(base, date.id),
    type: 'Event',
    url: page,
    attributedTo: venueActor,
    actor: venueActor,
    organizers: null,
    to: [PUBLIC],
    cc: [`${venueActor}/followers`],
    name: event.title,
    summary: input.summary,
    content: event.descriptionHtml,
    mediaType: 'text/html',
    source: { content: event.descriptionMd, mediaType: 'text/markdown' },
    inLanguage: venue.language,
    startTime: localIso(date.startsAt, date.timezone),
    endTime: localIso(endsAt, date.timezone),
    ...(date.endsAt ? {} : { displayEndTime: false }),
    ...(date.previousStartsAt ? { previousStartTime: localIso(date.previousStartsAt, date.timezone) } : {}),
    timezone: date.timezone,
    location: {
      type: 'Place',
      name: event.atVenue ? venue.name : event.locationName || venue.name,
      address: {
        type: 'PostalAddress',
        streetAddress: event.street,
        postalCode: event.postalCode,
        addressLocality: event.city,
        addressCountry: event.country,
      },
      ...(event.latitude !== null && event.longitude !== null
        ? { latitude: event.latitude, longitude: event.longitude }
        : {}),
    },
    attachment: image ? [{ type: 'Document', mediaType: 'image/webp', url: image, name: 'Banner' }] : [],
    ...(image ? { image: { type: 'Image', mediaType: 'image/webp', url: image } } : {}),
    tag: event.tags.map((t) => ({ type: 'Hashtag', name: `#${t}`, href: `${base}/tags/${encodeURIComponent(t)}` })),
    ...(category ? { category } : {}),
    status,
    'ical:status': status,
    eventStatus: `https://w3id.org/fep/8a8e/${eventStatus}`,
    joinMode: 'external',
    externalParticipationUrl: input.offers ? tickets : event.externalUrl || page,
    ...(capacity !== null ? { maximumAttendeeCapacity: capacity } : {}),
    ...(remaining !== null ? { remainingAttendeeCapacity: remaining } : {}),
    participantCount: input.figures?.sold ?? 0,
    // Rezo's signed-GET endpoint of the live numbers: how a peer knows it may poll (docs, "Live availability").
    ...(input.offers ? { liveAvailability: availabilityUrl(base, date.id) } : {}),
    ...(input.offers
      ? {
          offers: input.offers.map((o) => ({
            type: 'Offer',
            name: o.name,
            price: cents(o.priceCents),
            priceCurrency: event.currency,
            availability: availabilityOf(
              remaining === null ? o.remaining : Math.min(remaining, o.remaining ?? remaining),
              capacity,
            ),
            url: tickets,
          })),
        }
      : {}),
    published: (event.publishedAt ?? event.createdAt).toISOString(),
    updated: event.updatedAt.toISOString(),
    sequence: event.sequence,
    commentsEnabled: false,
    anonymousParticipationEnabled: false,
    draft: false,
  };
}

/** The Tombstone a removed date becomes (Delete's object, and what its URL answers with 410). */
export function tombstone(base: string, dateId: string, deletedAt: Date): Record<string, unknown> {
  return { type: 'Tombstone', id: eventObjectUrl(base, dateId), formerType: 'Event', deleted: deletedAt.toISOString() };
}
