import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { assertAnotherAdmin, lockedMember, readRole } from './team.ts';

/** Changes a team member's role; the last admin cannot be demoted. */
export async function changeMemberRole(
  db: Db,
  actor: Actor,
  input: { slug: string; personId: string; role: unknown },
): Promise<void> {
  const role = readRole(input.role);
  await inTransaction(db, async (trx) => {
    const member = await lockedMember(trx, actor, input.slug, input.personId);
    if (member.role === role) return;
    if (member.role === 'admin') await assertAnotherAdmin(trx, member.placeId, input.personId);
    await trx
      .updateTable('place_members')
      .set({ role })
      .where('place_id', '=', member.placeId)
      .where('person_id', '=', input.personId)
      .execute();
    await audit(trx, actor, {
      placeId: member.placeId,
      action: 'team.role-changed',
      subjectId: input.personId,
      data: { from: member.role, to: role },
    });
  });
}
