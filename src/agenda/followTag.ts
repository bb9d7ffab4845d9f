import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import { normaliseTag } from './eventInput.ts';
import { lockPlace } from '../places/index.ts';

/** Tags one venue may follow: a bound on the venue agenda query's work. */
export const MAX_TAG_FOLLOWS = 50;

/** A venue shows every public event carrying `tag`, from any venue of the node. */
export async function followTag(
  db: Db,
  actor: Actor,
  input: { placeId: string; tag: unknown },
): Promise<{ tag: string }> {
  const tag = typeof input.tag === 'string' ? normaliseTag(input.tag) : null;
  if (!tag)
    throw new DomainError('validation', 422, {}, [
      { field: 'tag', message: 'agenda.tag', params: { tag: String(input.tag ?? '').slice(0, 50), max: 40 } },
    ]);
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'events.write');
    // Lock the venue's row so two concurrent follows cannot both pass the bound below.
    await lockPlace(trx, input.placeId);
    const count = await trx
      .selectFrom('tag_follows')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('place_id', '=', input.placeId)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_TAG_FOLLOWS) {
      throw new DomainError('validation', 422, {}, [
        { field: 'tag', message: 'agenda.too-many', params: { max: MAX_TAG_FOLLOWS } },
      ]);
    }
    await trx
      .insertInto('tag_follows')
      .values({ place_id: input.placeId, tag })
      .onConflict((oc) => oc.columns(['place_id', 'tag']).doNothing())
      .execute();
    await audit(trx, actor, { placeId: input.placeId, action: 'agenda.tag.followed', data: { tag } });
    return { tag };
  });
}
