import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';

/**
 * A venue admin deletes a category no article on sale uses (409 `pos-category-in-use` otherwise).
 * Archived articles of that category lose it: the journal froze its name on every line sold.
 */
export async function deleteCategory(
  db: Db,
  actor: Actor,
  input: { placeId: string; categoryId: string },
): Promise<void> {
  if (!isUuid(input.categoryId)) throw notFound('category');
  await inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'place.settings');
    const category = await trx
      .selectFrom('pos_categories')
      .select(['id', 'name'])
      .where('place_id', '=', input.placeId)
      .where('id', '=', input.categoryId)
      .forUpdate()
      .executeTakeFirst();
    if (!category) throw notFound('category');
    const used = await trx
      .selectFrom('pos_articles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('place_id', '=', input.placeId)
      .where('category_id', '=', input.categoryId)
      .where('archived', '=', false)
      .executeTakeFirstOrThrow();
    if (Number(used.n) > 0) throw new DomainError('pos-category-in-use', 409, { count: Number(used.n) });
    await trx
      .updateTable('pos_articles')
      .set({ category_id: null })
      .where('place_id', '=', input.placeId)
      .where('category_id', '=', input.categoryId)
      .execute();
    await trx
      .deleteFrom('pos_categories')
      .where('place_id', '=', input.placeId)
      .where('id', '=', input.categoryId)
      .execute();
    await audit(trx, actor, {
      placeId: input.placeId,
      action: 'till.category.deleted',
      subjectId: category.id,
      data: { name: category.name },
    });
  });
}
