import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { uuidv7 } from '../shared/ids.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { findProduct, readProductFields, toProductColumns, type MembershipProduct } from './products.ts';

/** A venue admin creates a membership product (validity rule, price, approval, reminders). */
export async function createMembershipProduct(
  db: Db,
  actor: Actor,
  slug: string,
  input: Record<string, unknown>,
): Promise<MembershipProduct> {
  const fields = readProductFields(input);
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, slug);
    await authorize(trx, actor, place.id, 'memberships.manage');
    const id = uuidv7();
    await trx
      .insertInto('membership_products')
      .values({ place_id: place.id, id, ...toProductColumns(fields) })
      .execute();
    await audit(trx, actor, {
      placeId: place.id,
      action: 'membership-product.created',
      subjectId: id,
      data: { name: fields.name },
    });
    return (await findProduct(trx, place.id, id))!;
  });
}
