import { FieldErrors } from '../shared/errors.ts';
import { readCoordinates } from '../shared/coordinates.ts';
import { isTimeZone } from '../config.ts';
import type { EventVisibility } from './tables.ts';
import { renderMarkdown } from './markdown.ts';
import type { RecurrenceRule } from './recurrence.ts';
import { readRecurrence, type RecurrenceInput } from './recurrenceInput.ts';
import { parseLocalDateTime, zonedToInstant } from './zonedTime.ts';

export const MAX_DATES = 50;
export const MAX_TAGS = 20;
export const MAX_TAG_LENGTH = 40;
export const MAX_NAMES = 30;
export const MAX_DESCRIPTION = 20_000;
const VISIBILITIES: readonly EventVisibility[] = ['public', 'unlisted', 'private'];
// Dates far from now are typing mistakes (year 20266), not events.
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2100, 0, 1);

/** One date of an event as given: `id` names an existing date to keep its id (and its iCalendar UID). */
export interface DateInput {
  id?: unknown;
  startsAt?: unknown;
  endsAt?: unknown;
  timezone?: unknown;
}

/**
 * The writable fields of an event, from a form (strings, comma- or line-separated lists) or JSON
 * (typed values). Every field is optional here; `readEventFields` says which are required.
 */
export interface EventInput {
  title?: unknown;
  slug?: unknown;
  description?: unknown;
  visibility?: unknown;
  atVenue?: unknown;
  locationName?: unknown;
  street?: unknown;
  postalCode?: unknown;
  city?: unknown;
  country?: unknown;
  latitude?: unknown;
  longitude?: unknown;
  tags?: unknown;
  organisers?: unknown;
  performers?: unknown;
  accessibility?: unknown;
  externalUrl?: unknown;
  capacity?: unknown;
  /** Price hint in cents: 0 is free, null/empty is "not said". */
  priceFromCents?: unknown;
  dates?: unknown;
  /**
   * A recurrence (recurrenceInput.ts) the dates are written out from, instead of `dates`; null or
   * absent: the dates are the ones given.
   */
  recurrence?: unknown;
}

/** Validated, normalised fields, ready for the events table (dates and tags apart). */
export interface EventFields {
  title: string;
  description_md: string;
  description_html: string;
  visibility: EventVisibility;
  at_venue: boolean;
  location_name: string;
  street: string;
  postal_code: string;
  city: string;
  country: string;
  latitude: number | null;
  longitude: number | null;
  organisers: string[];
  performers: string[];
  accessibility: string;
  external_url: string;
  capacity: number | null;
  price_from_cents: number | null;
}

export interface EventDateFields {
  id: string | null;
  startsAt: Date;
  endsAt: Date | null;
  timezone: string;
}

export interface ValidEvent {
  slug: string | null;
  fields: EventFields;
  tags: string[];
  dates: EventDateFields[];
  /** The rule the dates come from, or null when they were given one by one. */
  recurrence: RecurrenceRule | null;
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

/** A list from JSON (array) or a form (one string, items separated by commas or new lines). */
function list(v: unknown, separator: RegExp): string[] {
  const items = Array.isArray(v) ? v.map(text) : typeof v === 'string' ? v.split(separator) : [];
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Tags are lowercase words of [a-z0-9-]: accents are dropped and spaces become hyphens ("Musique
 * Électro" → "musique-electro"); anything else left (punctuation, emoji) makes the tag invalid.
 */
export function normaliseTag(raw: string): string | null {
  const tag = raw
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim()
    .replace(/[\s_]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return /^[a-z0-9]+(-[a-z0-9]+)*$/.test(tag) && tag.length <= MAX_TAG_LENGTH ? tag : null;
}

/** Reads a list of tags; reports the first bad one. Duplicates collapse. */
export function readTags(errors: FieldErrors, field: string, raw: unknown, max = MAX_TAGS): string[] {
  const tags: string[] = [];
  for (const item of list(raw, /[,\n]/)) {
    const tag = normaliseTag(item);
    if (!tag) {
      if (!errors.has(field)) errors.add(field, 'agenda.tag', { tag: item.slice(0, 50), max: MAX_TAG_LENGTH });
      continue;
    }
    if (!tags.includes(tag)) tags.push(tag);
  }
  if (tags.length > max) errors.add(field, 'agenda.too-many-tags', { max });
  return tags;
}

function integer(errors: FieldErrors, field: string, raw: unknown, max: number, min = 0): number | null {
  if (raw === undefined || raw === null || raw === '') return null;
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    errors.add(field, 'range');
    return null;
  }
  return value;
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * An instant from "2026-12-05T20:00" (wall-clock time in `timezone`) or a full ISO 8601 time with
 * an offset or Z (an instant as such).
 */
function readInstant(errors: FieldErrors, field: string, raw: unknown, timezone: string | null): Date | null {
  const value = raw instanceof Date ? raw.toISOString() : text(raw);
  if (!value) return null;
  let instant: Date | null = null;
  if (/[zZ]$|[+-]\d{2}:?\d{2}$/.test(value) && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    const ms = Date.parse(value);
    instant = Number.isNaN(ms) ? null : new Date(ms);
  } else {
    const parts = parseLocalDateTime(value);
    if (parts && timezone) instant = zonedToInstant(parts, timezone);
    else if (parts) return null; // the zone is wrong and already reported
  }
  if (!instant || instant.getTime() < EARLIEST || instant.getTime() >= LATEST) {
    errors.add(field, 'agenda.datetime');
    return null;
  }
  return instant;
}

function readDates(errors: FieldErrors, raw: unknown, defaultTimezone: string): EventDateFields[] {
  const items = Array.isArray(raw) ? raw : [];
  if (items.length === 0) {
    errors.add('dates', 'agenda.dates-required');
    return [];
  }
  if (items.length > MAX_DATES) {
    errors.add('dates', 'agenda.too-many-dates', { max: MAX_DATES });
    return [];
  }
  const dates: EventDateFields[] = [];
  items.forEach((item: DateInput, i) => {
    const prefix = `dates.${i}`;
    if (typeof item !== 'object' || item === null) {
      errors.add(prefix, 'type');
      return;
    }
    const timezone = text(item.timezone) || defaultTimezone;
    const zoneOk = isTimeZone(timezone);
    if (!zoneOk) errors.add(`${prefix}.timezone`, 'timezone');
    const startsAt = readInstant(errors, `${prefix}.startsAt`, item.startsAt, zoneOk ? timezone : null);
    if (!startsAt && zoneOk && !errors.has(`${prefix}.startsAt`)) errors.add(`${prefix}.startsAt`, 'required');
    const endsAt = readInstant(errors, `${prefix}.endsAt`, item.endsAt, zoneOk ? timezone : null);
    if (startsAt && endsAt && endsAt.getTime() < startsAt.getTime())
      errors.add(`${prefix}.endsAt`, 'agenda.ends-before-start');
    const id = text(item.id) || null;
    if (startsAt) dates.push({ id, startsAt, endsAt, timezone });
  });
  return dates;
}

/**
 * Validates a whole event. `current` (for updates) fills the fields the input leaves out, so PATCH
 * and full forms share the rules. Every problem is reported with its field.
 */
export function readEvent(input: EventInput, defaults: { timezone: string }): ValidEvent {
  const errors = new FieldErrors();
  const limited = (field: keyof EventInput, max: number, required = false) => {
    const value = text(input[field]);
    if (required && !value) errors.add(field, 'required');
    if (value.length > max) errors.add(field, 'too-long', { max });
    return value;
  };
  const title = limited('title', 200, true);
  const slugRaw = text(input.slug).toLowerCase();
  if (slugRaw && (slugRaw.length < 2 || slugRaw.length > 80 || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slugRaw)))
    errors.add('slug', 'agenda.slug');
  const description_md = typeof input.description === 'string' ? input.description.replace(/\r\n/g, '\n').trim() : '';
  if (description_md.length > MAX_DESCRIPTION) errors.add('description', 'too-long', { max: MAX_DESCRIPTION });
  const visibility = (text(input.visibility) || 'public') as EventVisibility;
  if (!VISIBILITIES.includes(visibility)) errors.add('visibility', 'choice');
  const atVenueRaw = input.atVenue;
  const at_venue =
    atVenueRaw === undefined ||
    atVenueRaw === true ||
    atVenueRaw === 'true' ||
    atVenueRaw === 'on' ||
    atVenueRaw === '1';
  const location_name = limited('locationName', 200);
  const street = limited('street', 200);
  const postal_code = limited('postalCode', 20);
  const city = limited('city', 100);
  const country = (text(input.country) || 'FR').toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) errors.add('country', 'country');
  const { latitude, longitude } = readCoordinates(errors, input.latitude, input.longitude);
  if (!at_venue && !location_name && !street && !city) errors.add('locationName', 'agenda.location-required');
  const names = (field: 'organisers' | 'performers') => {
    const values = list(input[field], /\n/);
    if (values.length > MAX_NAMES) errors.add(field, 'agenda.too-many', { max: MAX_NAMES });
    if (values.some((v) => v.length > 200)) errors.add(field, 'too-long', { max: 200 });
    return values;
  };
  const organisers = names('organisers');
  const performers = names('performers');
  const accessibility = limited('accessibility', 2000);
  const external_url = limited('externalUrl', 500);
  if (external_url && !isHttpUrl(external_url)) errors.add('externalUrl', 'url');
  const capacity = integer(errors, 'capacity', input.capacity, 1_000_000, 1);
  const price_from_cents = integer(errors, 'priceFromCents', input.priceFromCents, 100_000_000);
  const tags = readTags(errors, 'tags', input.tags);
  const ruled =
    typeof input.recurrence === 'object' && input.recurrence !== null
      ? readRecurrence(errors, input.recurrence as RecurrenceInput, defaults.timezone)
      : null;
  const dates = ruled
    ? ruled.occurrences.map((o) => ({
        id: null,
        startsAt: o.startsAt,
        endsAt: o.endsAt,
        timezone: ruled.rule.timezone,
      }))
    : input.recurrence
      ? []
      : readDates(errors, input.dates, defaults.timezone);
  errors.throwIfAny();
  return {
    slug: slugRaw || null,
    fields: {
      title,
      description_md,
      description_html: renderMarkdown(description_md),
      visibility,
      at_venue,
      location_name: at_venue ? '' : location_name,
      street: at_venue ? '' : street,
      postal_code: at_venue ? '' : postal_code,
      city: at_venue ? '' : city,
      country,
      latitude: at_venue ? null : latitude,
      longitude: at_venue ? null : longitude,
      organisers,
      performers,
      accessibility,
      external_url,
      capacity,
      price_from_cents,
    },
    tags,
    dates: dates.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime()),
    recurrence: ruled?.rule ?? null,
  };
}
