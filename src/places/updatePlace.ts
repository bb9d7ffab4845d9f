import { sql } from 'kysely';
import { DEFAULT_TIME_ZONE } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { readPlaceFields } from './placeInput.ts';
import { getPlaceBySlug, type Place } from './places.ts';

/**
 * Changes a place's settings (everything but the slug, which stays stable because public URLs,
 * feeds and embeds use it). Admins, and API keys with `place:write`. A zone sent blank becomes
 * `defaultTimeZone`, the node's territory zone, as at creation.
 */
export async function updatePlace(
  db: Db,
  actor: Actor,
  slug: string,
  input: Record<string, unknown>,
  defaultTimeZone = DEFAULT_TIME_ZONE,
): Promise<Place> {
  return inTransaction(db, async (trx) => {
    // Lock the row before reading it: two partial changes at once (one the city, the other the
    // description) would otherwise each write back the other's old value.
    await trx.selectFrom('places').select('id').where('slug', '=', slug.toLowerCase()).forUpdate().execute();
    const place = await getPlaceBySlug(trx, slug);
    await authorize(trx, actor, place.id, 'place.settings');
    // A partial body (PATCH) keeps the fields it does not mention.
    const current: Record<string, unknown> = {
      name: place.name,
      description: place.description,
      street: place.street,
      postal_code: place.postalCode,
      city: place.city,
      country: place.country,
      latitude: place.latitude,
      longitude: place.longitude,
      timezone: place.timezone,
      language: place.language,
      contact_email: place.contactEmail,
      contact_phone: place.contactPhone,
      website: place.website,
      modules: place.modules,
    };
    const fields = readPlaceFields({ ...current, ...input }, defaultTimeZone);
    await trx
      .updateTable('places')
      .set({ ...fields, updated_at: sql<Date>`now()` })
      .where('id', '=', place.id)
      .execute();
    await audit(trx, actor, {
      placeId: place.id,
      action: 'place.updated',
      subjectId: place.id,
      data: fields as unknown as Record<string, unknown>,
    });
    return getPlaceBySlug(trx, slug);
  });
}
