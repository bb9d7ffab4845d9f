/**
 * A received Event's raw JSON → the fields Rezo keeps (docs/FEDERATION.md, "What is accepted from whom",
 * tolerant parsing, and "Moderation and limits"). Pure; never Fedify's typed getters (they drop
 * Mobilizon's fields and local offsets). Tolerates what Mobilizon, Gancio and older servers send:
 * strings or arrays, language maps, missing arrays, attachments without `mediaType`.
 */
export const LIMITS = { name: 500, content: 50_000, tags: 50, tag: 100, attachments: 10, locations: 5 } as const;

export type RemoteStatus = 'confirmed' | 'tentative' | 'cancelled';
export type RemoteAvailability = 'in_stock' | 'limited' | 'sold_out';

export interface RemotePlace {
  name: string;
  /** One line: the text address, or a PostalAddress's parts joined. */
  address: string;
  latitude: number | null;
  longitude: number | null;
}

export interface RemoteEvent {
  id: string;
  url: string | null;
  name: string;
  summary: string;
  /** As received (HTML); sanitised by whoever shows it. */
  content: string;
  startsAt: string;
  endsAt: string | null;
  /** The IANA zone the event gave, when it is one. */
  timezone: string | null;
  status: RemoteStatus;
  place: RemotePlace | null;
  onlineUrl: string | null;
  tags: string[];
  images: { url: string; mediaType: string | null; name: string }[];
  ticketUrl: string | null;
  maximumCapacity: number | null;
  remainingCapacity: number | null;
  availability: RemoteAvailability | null;
  updated: string | null;
  sequence: number | null;
}

export interface Skip {
  skip: 'not-an-event' | 'no-id' | 'draft' | 'no-start';
}

type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** The first string in a string, an array, a language map or `{ "@value" }`; else ''. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = textOf(item);
      if (text) return text;
    }
    return '';
  }
  if (isObject(value)) return textOf(value['@value'] ?? Object.values(value));
  return '';
}

/** A language map (`nameMap`) read after the plain field; the first non-empty wins. */
const localised = (raw: Raw, key: string) => textOf(raw[key]) || textOf(raw[`${key}Map`]);

/** A URL from a string, a `Link` (`href`), an object with `url`/`id`, or an array of those. */
export function urlOf(value: unknown): string | null {
  for (const item of list(value)) {
    if (typeof item === 'string' && /^https?:\/\//i.test(item)) return item;
    if (isObject(item)) {
      const found = urlOf(item.href) ?? urlOf(item.url) ?? urlOf(item.id);
      if (found) return found;
    }
  }
  return null;
}

function instantOf(value: unknown): string | null {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const when = new Date(value);
  return Number.isNaN(when.getTime()) ? null : when.toISOString();
}

function numberOf(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}

const countOf = (value: unknown) => {
  const n = numberOf(value);
  return n !== null && n >= 0 ? Math.floor(n) : null;
};

function zoneOf(value: unknown): string | null {
  if (typeof value !== 'string' || !value) return null;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return value;
  } catch {
    return null;
  }
}

/** The last word of an IRI or a prefixed name: `ical:CANCELLED`, `https://schema.org/EventCancelled`. */
const lastWord = (value: unknown) => (textOf(value).split(/[#/:]/).pop() ?? '').toLowerCase();

function statusOf(raw: Raw): RemoteStatus {
  for (const value of [raw.status, raw['ical:status'], raw.eventStatus, raw['schema:eventStatus']]) {
    const word = lastWord(value);
    if (word === 'cancelled' || word === 'canceled' || word === 'eventcancelled') return 'cancelled';
    if (word === 'tentative' || word === 'eventpostponed') return 'tentative';
    if (word === 'confirmed' || word === 'eventscheduled' || word === 'eventrescheduled') return 'confirmed';
  }
  return 'confirmed';
}

function addressOf(value: unknown): string {
  if (!isObject(value)) return textOf(value).trim();
  const street = textOf(value.streetAddress);
  const town = [textOf(value.postalCode), textOf(value.addressLocality)].filter(Boolean).join(' ');
  return [street, town, textOf(value.addressRegion), textOf(value.addressCountry)]
    .map((part) => part.trim())
    .filter(Boolean)
    .join(', ');
}

/** The first `Place` (or untyped object with a name/address); a `VirtualLocation` gives the online URL. */
function locationOf(value: unknown): { place: RemotePlace | null; onlineUrl: string | null } {
  let place: RemotePlace | null = null;
  let onlineUrl: string | null = null;
  for (const item of list(value).slice(0, LIMITS.locations)) {
    if (typeof item === 'string') {
      place ??= { name: item, address: '', latitude: null, longitude: null };
      continue;
    }
    if (!isObject(item)) continue;
    if (list(item.type).includes('VirtualLocation')) {
      onlineUrl ??= urlOf(item.url);
      continue;
    }
    const name = localised(item, 'name').trim();
    const address = addressOf(item.address);
    if (!place && (name || address)) {
      const latitude = numberOf(item.latitude);
      const longitude = numberOf(item.longitude);
      const valid = latitude !== null && longitude !== null && Math.abs(latitude) <= 90 && Math.abs(longitude) <= 180;
      place = { name, address, latitude: valid ? latitude : null, longitude: valid ? longitude : null };
    }
  }
  return { place, onlineUrl };
}

const IMAGE_EXTENSION = /\.(jpe?g|png|gif|webp|avif)(\?|#|$)/i;

function imagesOf(raw: Raw): RemoteEvent['images'] {
  const images: RemoteEvent['images'] = [];
  for (const item of [...list(raw.attachment), ...list(raw.image)]) {
    if (images.length >= LIMITS.attachments) break;
    if (!isObject(item)) continue;
    const url = urlOf(item.url) ?? urlOf(item.href);
    if (!url || images.some((image) => image.url === url)) continue;
    const mediaType = typeof item.mediaType === 'string' ? item.mediaType : null;
    const image = mediaType ? mediaType.startsWith('image/') : item.type === 'Image' || IMAGE_EXTENSION.test(url);
    if (image) images.push({ url, mediaType, name: textOf(item.name) });
  }
  return images;
}

function tagsOf(raw: Raw): string[] {
  const tags: string[] = [];
  for (const item of list(raw.tag)) {
    if (tags.length >= LIMITS.tags) break;
    if (!isObject(item) || (item.type !== undefined && item.type !== 'Hashtag')) continue;
    const tag = textOf(item.name).replace(/^#/, '').trim().toLowerCase().slice(0, LIMITS.tag);
    if (tag && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

function availabilityOf(raw: Raw, remaining: number | null): RemoteAvailability | null {
  const words = list(raw.offers).flatMap((offer) => (isObject(offer) ? [lastWord(offer.availability)] : []));
  if (words.includes('instock')) return 'in_stock';
  if (words.includes('limitedavailability')) return 'limited';
  if (words.length > 0 && words.every((w) => w === 'soldout')) return 'sold_out';
  return remaining === 0 ? 'sold_out' : null;
}

/** Mobilizon puts an online event's address in a `Link` attachment (`text/html`, named "Website"). */
function onlineLinkOf(raw: Raw): string | null {
  for (const item of list(raw.attachment)) {
    if (isObject(item) && item.type === 'Link' && item.mediaType === 'text/html' && textOf(item.name) === 'Website') {
      return urlOf(item.href);
    }
  }
  return null;
}

const cut = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

export function parseRemoteEvent(raw: unknown): RemoteEvent | Skip {
  if (!isObject(raw) || !list(raw.type).includes('Event')) return { skip: 'not-an-event' };
  const id = urlOf(raw.id);
  if (!id) return { skip: 'no-id' };
  if (raw.draft === true || raw.draft === 'true') return { skip: 'draft' };
  const startsAt = instantOf(raw.startTime);
  if (!startsAt) return { skip: 'no-start' };
  const end = instantOf(raw.endTime);
  const content = localised(raw, 'content');
  const remainingCapacity = countOf(raw.remainingAttendeeCapacity);
  const { place, onlineUrl } = locationOf(raw.location);
  const url =
    list(raw.url)
      .map((u) => urlOf(u))
      .find((u) => u !== null) ?? null;
  return {
    id,
    url,
    name: cut(localised(raw, 'name').trim(), LIMITS.name),
    summary: cut(localised(raw, 'summary').trim(), LIMITS.name),
    content: content.length > LIMITS.content ? '' : content,
    startsAt,
    endsAt: end && end >= startsAt ? end : null,
    timezone: zoneOf(raw.timezone),
    status: statusOf(raw),
    place,
    onlineUrl: onlineUrl ?? onlineLinkOf(raw),
    tags: tagsOf(raw),
    images: imagesOf(raw),
    ticketUrl: urlOf(raw.externalParticipationUrl),
    maximumCapacity: countOf(raw.maximumAttendeeCapacity),
    remainingCapacity,
    availability: availabilityOf(raw, remainingCapacity),
    updated: instantOf(raw.updated),
    sequence: countOf(raw.sequence ?? raw['rezo:sequence']),
  };
}

export const isSkip = (parsed: RemoteEvent | Skip): parsed is Skip => 'skip' in parsed;
