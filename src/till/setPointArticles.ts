import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';

/** At most this many articles on one point of sale (a screen of buttons, not a catalogue). */
export const MAX_POINT_ARTICLES = 200;

/**
 * A venue admin chooses which articles a point of sale shows, in order (the list replaces the
 * previous one). Every article must be one of the venue's, not archived, named once.
 */
export async function setPointArticles(
  db: Db,
  actor: Actor,
  input: { placeId: string; pointId: string; articleIds: unknown },
): Promise<{ pointId: string; articleIds: string[] }> {
  const { placeId, pointId } = input;
  if (!isUuid(pointId)) throw notFound('point');
  const errors = new FieldErrors();
  const raw =
    input.articleIds === undefined || input.articleIds === null || input.articleIds === ''
      ? []
      : Array.isArray(input.articleIds)
        ? input.articleIds
        : [input.articleIds];
  const ids: string[] = [];
  if (raw.length > MAX_POINT_ARTICLES) errors.add('articleIds', 'too-many');
  else {
    for (const v of raw) {
      if (typeof v !== 'string' || !isUuid(v)) {
        errors.add('articleIds', 'pos.article');
        break;
      }
      const id = v.toLowerCase();
      if (ids.includes(id)) {
        errors.add('articleIds', 'pos.article-twice');
        break;
      }
      ids.push(id);
    }
  }
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, placeId, 'place.settings');
    const point = await trx
      .selectFrom('pos_points')
      .select('id')
      .where('place_id', '=', placeId)
      .where('id', '=', pointId)
      .forUpdate()
      .executeTakeFirst();
    if (!point) throw notFound('point');
    if (ids.length > 0) {
      const found = await trx
        .selectFrom('pos_articles')
        .select('id')
        .where('place_id', '=', placeId)
        .where('archived', '=', false)
        .where('id', 'in', ids)
        .execute();
      if (found.length !== ids.length) {
        const unknown = new FieldErrors();
        unknown.add('articleIds', 'pos.article');
        unknown.throwIfAny();
      }
    }
    await trx
      .deleteFrom('pos_point_articles')
      .where('place_id', '=', placeId)
      .where('point_id', '=', pointId)
      .execute();
    if (ids.length > 0) {
      await trx
        .insertInto('pos_point_articles')
        .values(
          ids.map((articleId, position) => ({ place_id: placeId, point_id: pointId, article_id: articleId, position })),
        )
        .execute();
    }
    await audit(trx, actor, { placeId, action: 'till.point.articles', subjectId: pointId, data: { articleIds: ids } });
    return { pointId, articleIds: ids };
  });
}
