import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { getPlaceBySlug } from '../places/places.ts';
import { assertAnotherAdmin, lockTeam } from './team.ts';

/** Takes a person out of a place's team; the last admin cannot be removed. */
export async function removeMember(db: Db, actor: Actor, input: { slug: string; personId: string }): Promise<void> {
  if (!isUuid(input.personId)) throw notFound('member');
  await inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    // Lock first, then check the actor's role: an admin demoted while this change waited for the
    // lock must be refused, so the role is read after the lock, not before.
    await lockTeam(trx, place.id);
    await authorize(trx, actor, place.id, 'place.team.manage');
    const member = await trx
      .selectFrom('place_members')
      .select('role')
      .where('place_id', '=', place.id)
      .where('person_id', '=', input.personId)
      .executeTakeFirst();
    if (!member) throw notFound('member');
    if (member.role === 'admin') await assertAnotherAdmin(trx, place.id, input.personId);
    await trx.deleteFrom('place_members').where('place_id', '=', place.id).where('person_id', '=', input.personId).execute();
    await audit(trx, actor, { placeId: place.id, action: 'team.removed', subjectId: input.personId, data: { role: member.role } });
  });
}
