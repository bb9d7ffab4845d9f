import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import {
  DEFAULT_CATEGORY_COLOUR,
  readColour,
  readName,
  positionFor,
  readPosition,
  updatePosRow,
  type PosCategory,
} from './posSetup.ts';

/** A venue admin creates a category of articles ("Boissons", "Cuisine") with its colour, or changes one. */
export async function saveCategory(
  db: Db,
  actor: Actor,
  input: { placeId: string; categoryId?: string; name?: unknown; colour?: unknown; position?: unknown },
): Promise<PosCategory> {
  const { placeId, categoryId } = input;
  if (categoryId !== undefined && !isUuid(categoryId)) throw notFound('category');
  const creating = categoryId === undefined;
  const errors = new FieldErrors();
  const name = creating || input.name !== undefined ? readName(errors, input.name) : undefined;
  const colour =
    creating || input.colour !== undefined ? readColour(errors, input.colour, DEFAULT_CATEGORY_COLOUR) : undefined;
  const position = readPosition(errors, input.position);
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, placeId, 'place.settings');
    let row;
    let unchanged = false;
    if (creating) {
      row = await trx
        .insertInto('pos_categories')
        .values({
          place_id: placeId,
          id: uuidv7(),
          name: name!,
          colour: colour!,
          position: await positionFor(trx, 'pos_categories', placeId, position),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } else {
      const changes = {
        ...(name !== undefined ? { name } : {}),
        ...(colour !== undefined ? { colour } : {}),
        ...(position !== undefined ? { position } : {}),
      };
      // Nothing sent (an empty PATCH): the category as it is, without an empty UPDATE or an audit entry.
      const updated = await updatePosRow(trx, 'pos_categories', placeId, categoryId, changes);
      if (!updated) throw notFound('category');
      row = updated.row;
      unchanged = !updated.changed;
    }
    if (!unchanged)
      await audit(trx, actor, {
        placeId,
        action: creating ? 'till.category.created' : 'till.category.updated',
        subjectId: row.id,
        data: { name: row.name, colour: row.colour },
      });
    return { id: row.id, name: row.name, colour: row.colour, position: row.position };
  });
}
