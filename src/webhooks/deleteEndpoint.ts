import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { forbidden, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { getPlaceBySlug } from '../places/index.ts';

/** Removes an endpoint with its deliveries (sent or not): nothing more goes to that URL. */
export async function deleteEndpoint(db: Db, actor: Actor, input: { slug: string; endpointId: string }): Promise<void> {
  if (actor.kind === 'apiKey') throw forbidden();
  if (!isUuid(input.endpointId)) throw notFound('webhook');
  await inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'place.keys');
    const gone = await trx
      .deleteFrom('webhook_endpoints')
      .where('place_id', '=', place.id)
      .where('id', '=', input.endpointId)
      .returning('url')
      .executeTakeFirst();
    if (!gone) throw notFound('webhook');
    await audit(trx, actor, {
      placeId: place.id,
      action: 'webhook.deleted',
      subjectId: input.endpointId,
      data: { url: gone.url },
    });
  });
}
