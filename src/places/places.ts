import type { Db } from '../db/database.ts';
import type { PlaceRole } from '../db/schema.ts';
import type { Language } from '../i18n/i18n.ts';
import { notFound } from '../shared/errors.ts';

/** A place as the other modules and the views see it. */
export interface Place {
  id: string;
  slug: string;
  name: string;
  description: string;
  street: string;
  postalCode: string;
  city: string;
  country: string;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
  language: Language;
  contactEmail: string;
  contactPhone: string;
  website: string;
  logoMediaId: string | null;
  coverMediaId: string | null;
  modules: string[];
  createdAt: Date;
}

const COLUMNS = [
  'id',
  'slug',
  'name',
  'description',
  'street',
  'postal_code',
  'city',
  'country',
  'latitude',
  'longitude',
  'timezone',
  'language',
  'contact_email',
  'contact_phone',
  'website',
  'logo_media_id',
  'cover_media_id',
  'modules',
  'created_at',
] as const;

type Row = {
  id: string;
  slug: string;
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
  logo_media_id: string | null;
  cover_media_id: string | null;
  modules: string[];
  created_at: Date;
};

function toPlace(r: Row): Place {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    description: r.description,
    street: r.street,
    postalCode: r.postal_code,
    city: r.city,
    country: r.country,
    latitude: r.latitude,
    longitude: r.longitude,
    timezone: r.timezone,
    language: r.language,
    contactEmail: r.contact_email,
    contactPhone: r.contact_phone,
    website: r.website,
    logoMediaId: r.logo_media_id,
    coverMediaId: r.cover_media_id,
    modules: r.modules,
    createdAt: r.created_at,
  };
}

export async function findPlaceBySlug(db: Db, slug: string): Promise<Place | null> {
  const row = await db.selectFrom('places').select(COLUMNS).where('slug', '=', slug.toLowerCase()).executeTakeFirst();
  return row ? toPlace(row) : null;
}

/** A place by id, or null. */
export async function findPlaceById(db: Db, id: string): Promise<Place | null> {
  const row = await db.selectFrom('places').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return row ? toPlace(row) : null;
}

export async function getPlaceBySlug(db: Db, slug: string): Promise<Place> {
  const place = await findPlaceBySlug(db, slug);
  if (!place) throw notFound('place');
  return place;
}

export async function listPlaces(db: Db, options: { limit?: number; search?: string } = {}): Promise<Place[]> {
  let q = db
    .selectFrom('places')
    .select(COLUMNS)
    .orderBy('name')
    .orderBy('id')
    .limit(Math.min(options.limit ?? 500, 500));
  if (options.search) {
    const term = `%${options.search.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
    q = q.where((eb) => eb.or([eb('name', 'ilike', term), eb('city', 'ilike', term), eb('slug', 'ilike', term)]));
  }
  return (await q.execute()).map(toPlace);
}

/** The places with these ids, by name (an unknown id is left out). */
export async function placesByIds(db: Db, ids: string[]): Promise<Place[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('places').select(COLUMNS).where('id', 'in', ids).orderBy('name').execute()).map(toPlace);
}

/** The places where a person has a role, with the role. */
export async function placesOfPerson(db: Db, personId: string): Promise<{ place: Place; role: PlaceRole }[]> {
  const rows = await db
    .selectFrom('place_members')
    .innerJoin('places', 'places.id', 'place_members.place_id')
    .select(COLUMNS.map((c) => `places.${c}` as const))
    .select('place_members.role')
    .where('place_members.person_id', '=', personId)
    .orderBy('places.name')
    .execute();
  return rows.map((r) => ({ place: toPlace(r), role: r.role }));
}

/** The venue's connected Stripe account (acct_…), or null (payments and settlement payouts use it). */
export async function connectedAccountOf(db: Db, placeId: string): Promise<string | null> {
  const row = await db.selectFrom('places').select('stripe_account_id').where('id', '=', placeId).executeTakeFirst();
  return row?.stripe_account_id ?? null;
}

/** A stored image (a venue's logo or cover), to serve it. */
export async function findMedia(db: Db, id: string) {
  return db.selectFrom('media').select(['content_type', 'bytes', 'sha256']).where('id', '=', id).executeTakeFirst();
}

/** The time zone of a place, the default for the dates of its events and of its till's business day. */
export async function placeTimezone(db: Db, placeId: string): Promise<string> {
  const row = await db.selectFrom('places').select('timezone').where('id', '=', placeId).executeTakeFirst();
  if (!row) throw notFound('place');
  return row.timezone;
}

/** The names of places by id (one query; an unknown id is left out). */
export async function placeNamesById(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('places')
    .select(['id', 'name'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Places by id as lists name them, sorted by slug (one query; an unknown id is left out). */
export async function placeSlugsByIds(
  db: Db,
  ids: string[],
): Promise<{ id: string; slug: string; name: string; timezone: string }[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('places')
    .select(['id', 'slug', 'name', 'timezone'])
    .where('id', 'in', [...new Set(ids)])
    .orderBy('slug')
    .execute();
}

/** The ids of the places with these slugs, by slug (an unknown slug is left out). */
export async function placeIdsBySlugs(db: Db, slugs: string[]): Promise<Map<string, string>> {
  if (slugs.length === 0) return new Map();
  const rows = await db.selectFrom('places').select(['id', 'slug']).where('slug', 'in', slugs).execute();
  return new Map(rows.map((r) => [r.slug, r.id]));
}

/** Locks a venue's row for the caller's transaction: changes bounded per venue run one at a time. */
export async function lockPlace(db: Db, placeId: string): Promise<void> {
  await db.selectFrom('places').select('id').where('id', '=', placeId).forUpdate().execute();
}
