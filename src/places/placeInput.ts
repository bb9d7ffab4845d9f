import { isEmail, isTimeZone } from '../config.ts';
import { isLanguage, type Language } from '../i18n/i18n.ts';
import { FieldErrors } from '../shared/errors.ts';
import { readCoordinates } from '../shared/coordinates.ts';

/** Modules a place can switch on or off. */
export const PLACE_MODULES = ['agenda', 'ticketing', 'memberships', 'cashless'] as const;
export type PlaceModule = (typeof PLACE_MODULES)[number];

/** The editable fields of a place, validated and normalised. */
export interface PlaceFields {
  name: string;
  description: string;
  street: string;
  postal_code: string;
  city: string;
  country: string;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
  language: Language;
  contact_email: string;
  contact_phone: string;
  website: string;
  modules: PlaceModule[];
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

/**
 * A latitude or longitude: a JSON number, or a form string in plain decimal notation (a French
 * decimal comma is accepted). `Number()` alone would read a blank field as 0 (a point in the ocean)
 * and accept "0x10" or "1e1", so the string form is checked first.
 */

/**
 * Reads the place fields from a form or JSON body. Forms send strings and checkbox lists; JSON sends
 * typed values: both are accepted, and every problem is reported with its field. A place given no
 * zone gets `defaultTimeZone`, the node's territory zone (REZO_TIME_ZONE).
 */
export function readPlaceFields(raw: Record<string, unknown>, defaultTimeZone: string): PlaceFields {
  const errors = new FieldErrors();
  const limited = (field: string, max: number, required = false) => {
    const value = text(raw[field]);
    if (required && !value) errors.add(field, 'required');
    if (value.length > max) errors.add(field, 'too-long', { max });
    return value;
  };
  const name = limited('name', 120, true);
  const description = limited('description', 5000);
  const street = limited('street', 200);
  const postal_code = limited('postal_code', 20);
  const city = limited('city', 100);
  const country = (text(raw.country) || 'FR').toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) errors.add('country', 'country');
  const { latitude, longitude } = readCoordinates(errors, raw.latitude, raw.longitude);
  const timezone = text(raw.timezone) || defaultTimeZone;
  if (!isTimeZone(timezone)) errors.add('timezone', 'timezone');
  const language = text(raw.language) || 'fr';
  if (!isLanguage(language)) errors.add('language', 'choice');
  const contact_email = text(raw.contact_email).toLowerCase();
  if (contact_email && !isEmail(contact_email)) errors.add('contact_email', 'email');
  const contact_phone = limited('contact_phone', 40);
  if (contact_phone && !/^[+0-9 ().-]{4,40}$/.test(contact_phone)) errors.add('contact_phone', 'phone');
  const website = limited('website', 300);
  if (website && !isHttpUrl(website)) errors.add('website', 'url');
  const modulesRaw = raw.modules === undefined ? [] : Array.isArray(raw.modules) ? raw.modules : [raw.modules];
  const modules: PlaceModule[] = [];
  for (const m of modulesRaw) {
    if (typeof m === 'string' && (PLACE_MODULES as readonly string[]).includes(m)) {
      if (!modules.includes(m as PlaceModule)) modules.push(m as PlaceModule);
    } else errors.add('modules', 'choice');
  }
  errors.throwIfAny();
  return {
    name,
    description,
    street,
    postal_code,
    city,
    country,
    latitude,
    longitude,
    timezone,
    language: language as Language,
    contact_email,
    contact_phone,
    website,
    modules,
  };
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Slugs: lowercase letters, digits and single hyphens, 2 to 60 characters; some are reserved for routes. */
const RESERVED_SLUGS = new Set([
  'new',
  'admin',
  'api',
  'embed',
  'agenda',
  'login',
  'logout',
  'account',
  'dev',
  'media',
  'static',
]);
export function checkSlug(errors: FieldErrors, field: string, raw: unknown): string {
  const slug = text(raw).toLowerCase();
  if (!slug) errors.add(field, 'required');
  else if (slug.length < 2 || slug.length > 60 || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug)) errors.add(field, 'slug');
  else if (RESERVED_SLUGS.has(slug)) errors.add(field, 'slug-reserved');
  return slug;
}

/** A slug proposal from a name: "Le Kabardock !" → "le-kabardock". */
export function slugify(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
}
