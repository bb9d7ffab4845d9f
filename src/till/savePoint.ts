import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import {
  bool,
  pointArticleIds,
  readName,
  readPaymentMethods,
  positionFor,
  readPosition,
  updatePosRow,
  type PosPoint,
} from './posSetup.ts';

export interface PointInput {
  name?: unknown;
  /** Any of card, cash, bank_card: one string (a form with one box ticked) or a list. */
  paymentMethods?: unknown;
  position?: unknown;
  archived?: unknown;
}

/**
 * A venue admin creates a point of sale (no `pointId`: "Bar", "Accueil") or changes one: its name,
 * the payment methods it takes, its order, archived or not. On an update, what is not sent keeps its
 * value. Archived points disappear from the tills; their sales and closures stay.
 */
export async function savePoint(
  db: Db,
  actor: Actor,
  input: { placeId: string; pointId?: string } & PointInput,
): Promise<PosPoint> {
  const { placeId, pointId } = input;
  if (pointId !== undefined && !isUuid(pointId)) throw notFound('point');
  const creating = pointId === undefined;
  const errors = new FieldErrors();
  const name = creating || input.name !== undefined ? readName(errors, input.name) : undefined;
  const paymentMethods =
    creating || input.paymentMethods !== undefined
      ? readPaymentMethods(errors, input.paymentMethods ?? ['card', 'cash', 'bank_card'])
      : undefined;
  const position = readPosition(errors, input.position);
  const archived = input.archived === undefined ? undefined : bool(input.archived);
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, placeId, 'place.settings');
    let row;
    let unchanged = false;
    if (creating) {
      row = await trx
        .insertInto('pos_points')
        .values({
          place_id: placeId,
          id: uuidv7(),
          name: name!,
          payment_methods: paymentMethods!,
          archived: archived ?? false,
          position: await positionFor(trx, 'pos_points', placeId, position),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } else {
      const changes = {
        ...(name !== undefined ? { name } : {}),
        ...(paymentMethods !== undefined ? { payment_methods: paymentMethods } : {}),
        ...(position !== undefined ? { position } : {}),
        ...(archived !== undefined ? { archived } : {}),
      };
      // Nothing sent (an empty PATCH): the point as it is, without an empty UPDATE or an audit entry.
      const updated = await updatePosRow(trx, 'pos_points', placeId, pointId, changes);
      if (!updated) throw notFound('point');
      row = updated.row;
      unchanged = !updated.changed;
    }
    if (!unchanged)
      await audit(trx, actor, {
        placeId,
        action: creating ? 'till.point.created' : 'till.point.updated',
        subjectId: row.id,
        data: { name: row.name, paymentMethods: row.payment_methods, archived: row.archived },
      });
    const articleIds = (await pointArticleIds(trx, placeId)).get(row.id) ?? [];
    return {
      id: row.id,
      name: row.name,
      paymentMethods: row.payment_methods,
      position: row.position,
      archived: row.archived,
      articleIds,
    };
  });
}
