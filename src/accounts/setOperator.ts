import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { forbidden } from '../shared/errors.ts';
import { ensurePerson, requireEmail, type Person } from './people.ts';

/**
 * Makes a person a node operator (super-admin) or takes it back. Only the node itself (CLI) or
 * another operator may do it; an account is created for an unknown address so the role is ready
 * at their first login.
 */
export async function setOperator(db: Db, actor: Actor, input: { email: unknown; operator: boolean }): Promise<Person> {
  if (!(actor.kind === 'system' || (actor.kind === 'person' && actor.isOperator))) throw forbidden();
  const email = requireEmail(input.email);
  return inTransaction(db, async (trx) => {
    const person = await ensurePerson(trx, email, 'fr');
    await trx.updateTable('people').set({ is_operator: input.operator }).where('id', '=', person.id).execute();
    await audit(trx, actor, { action: input.operator ? 'operator.granted' : 'operator.revoked', subjectId: person.id });
    return { ...person, isOperator: input.operator };
  });
}
