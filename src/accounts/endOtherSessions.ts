import type { Actor } from '../access/actor.ts';
import { audit } from '../access/audit.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { forbidden } from '../shared/errors.ts';
import { hashToken } from '../shared/secrets.ts';

/**
 * A person ends every session of theirs but the one making the request (a phone lost, a shared
 * computer left logged in): the other browsers are logged out at their next request. Audited.
 */
export async function endOtherSessions(
  db: Db,
  actor: Actor,
  input: { currentToken: string },
): Promise<{ ended: number }> {
  if (actor.kind !== 'person') throw forbidden();
  return inTransaction(db, async (trx) => {
    const result = await trx
      .deleteFrom('sessions')
      .where('person_id', '=', actor.personId)
      .where('token_hash', '<>', hashToken(input.currentToken))
      .executeTakeFirst();
    const ended = Number(result.numDeletedRows);
    await audit(trx, actor, { action: 'account.sessions.ended', subjectId: actor.personId, data: { ended } });
    return { ended };
  });
}
