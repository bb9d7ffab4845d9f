import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { forbidden, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { getPlaceBySlug } from '../places/index.ts';

/** Revokes a key of a place; it stops working at the next request. Revoking twice is harmless. */
export async function revokeApiKey(db: Db, actor: Actor, input: { slug: string; keyId: string }): Promise<void> {
  if (actor.kind === 'apiKey') throw forbidden();
  if (!isUuid(input.keyId)) throw notFound('api-key');
  await inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'place.keys');
    const key = await trx
      .updateTable('api_keys')
      .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
      .where('place_id', '=', place.id)
      .where('id', '=', input.keyId)
      .returning('id')
      .executeTakeFirst();
    if (!key) throw notFound('api-key');
    await audit(trx, actor, { placeId: place.id, action: 'api-key.revoked', subjectId: input.keyId });
  });
}
