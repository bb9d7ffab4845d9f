import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { assertAnotherAdmin, lockedMember } from './team.ts';

/** Takes a person out of a place's team; the last admin cannot be removed. */
export async function removeMember(db: Db, actor: Actor, input: { slug: string; personId: string }): Promise<void> {
  await inTransaction(db, async (trx) => {
    const member = await lockedMember(trx, actor, input.slug, input.personId);
    if (member.role === 'admin') await assertAnotherAdmin(trx, member.placeId, input.personId);
    await trx
      .deleteFrom('place_members')
      .where('place_id', '=', member.placeId)
      .where('person_id', '=', input.personId)
      .execute();
    await audit(trx, actor, {
      placeId: member.placeId,
      action: 'team.removed',
      subjectId: input.personId,
      data: { role: member.role },
    });
  });
}
