import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { findProduct, readProductFields, toProductColumns, type MembershipProduct } from './products.ts';

/**
 * Changes a product, or takes it off sale (`active: false`). Memberships already sold keep the
 * dates and price they were sold with: a product change never rewrites them.
 */
export async function updateMembershipProduct(
  db: Db,
  actor: Actor,
  input: { slug: string; productId: string; fields: Record<string, unknown>; active?: boolean },
): Promise<MembershipProduct> {
  if (!isUuid(input.productId)) throw notFound('membership-product');
  const fields = readProductFields(input.fields);
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'memberships.manage');
    const updated = await trx
      .updateTable('membership_products')
      .set({
        ...toProductColumns(fields),
        ...(input.active !== undefined ? { active: input.active } : {}),
        updated_at: sql<Date>`now()`,
      })
      .where('place_id', '=', place.id)
      .where('id', '=', input.productId)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw notFound('membership-product');
    await audit(trx, actor, {
      placeId: place.id,
      action: 'membership-product.updated',
      subjectId: input.productId,
      data: { name: fields.name, active: input.active },
    });
    return (await findProduct(trx, place.id, input.productId))!;
  });
}
