import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { requirePerson } from '../access/permissions.ts';
import { FieldErrors } from '../shared/errors.ts';
import { isLanguage, type Language } from '../i18n/i18n.ts';
import { getPerson, type Person } from './people.ts';

export interface UpdateProfileInput {
  /** Display name, 1 to 100 characters. */
  name: unknown;
  /** Preferred language of pages and mails. */
  language: unknown;
}

/** A person changes their own name and language. */
export async function updateProfile(db: Db, actor: Actor, input: UpdateProfileInput): Promise<Person> {
  requirePerson(actor);
  const errors = new FieldErrors();
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name) errors.add('name', 'required');
  else if (name.length > 100) errors.add('name', 'too-long', { max: 100 });
  if (!isLanguage(input.language)) errors.add('language', 'choice');
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    await trx
      .updateTable('people')
      .set({ name, language: input.language as Language, updated_at: sql<Date>`now()` })
      .where('id', '=', actor.personId)
      .execute();
    await audit(trx, actor, {
      action: 'person.updated',
      subjectId: actor.personId,
      data: { name, language: input.language },
    });
    return (await getPerson(trx, actor.personId))!;
  });
}
