import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';
import type { Language } from '../i18n/i18n.ts';
import { FieldErrors } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { isEmail } from '../config.ts';

export interface Person {
  id: string;
  email: string;
  name: string;
  language: Language;
  isOperator: boolean;
}

export function normaliseEmail(raw: unknown): string {
  return typeof raw === 'string' ? raw.trim().toLowerCase() : '';
}

/** Validates an e-mail input and returns it normalised, or throws a field error on `field`. */
export function requireEmail(raw: unknown, field = 'email'): string {
  const email = normaliseEmail(raw);
  const errors = new FieldErrors();
  if (!email) errors.add(field, 'required');
  else if (!isEmail(email)) errors.add(field, 'email');
  errors.throwIfAny();
  return email;
}

type PersonRow = { id: string; email: string; name: string; language: Language; is_operator: boolean };
export function toPerson(row: PersonRow): Person {
  return { id: row.id, email: row.email, name: row.name, language: row.language, isOperator: row.is_operator };
}

export async function findPersonByEmail(db: Db, email: string): Promise<Person | null> {
  const row = await db
    .selectFrom('people')
    .select(['id', 'email', 'name', 'language', 'is_operator'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
  return row ? toPerson(row) : null;
}

export async function getPerson(db: Db, id: string): Promise<Person | null> {
  const row = await db
    .selectFrom('people')
    .select(['id', 'email', 'name', 'language', 'is_operator'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toPerson(row) : null;
}

/** People by id, for lists that show who did something (one query; an unknown id is left out). */
export async function peopleByIds(db: Db, ids: string[]): Promise<Map<string, Person>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('people')
    .select(['id', 'email', 'name', 'language', 'is_operator'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, toPerson(r)]));
}

/** Locks a person's row for the caller's transaction: one person's bounded actions run one at a time. */
export async function lockPerson(trx: Trx, personId: string): Promise<void> {
  await trx.selectFrom('people').select('id').where('id', '=', personId).forUpdate().execute();
}

/** Gives a person this name if they have none yet (a name they chose is kept). */
export async function nameIfUnnamed(db: Db, personId: string, name: string): Promise<void> {
  await db.updateTable('people').set({ name }).where('id', '=', personId).where('name', '=', '').execute();
}

/**
 * The person with this e-mail, created if new. `on conflict do nothing` then select makes two
 * concurrent first logins (or invitations) of one address end with one account.
 */
export async function ensurePerson(db: Db, email: string, language: Language): Promise<Person> {
  await db
    .insertInto('people')
    .values({ id: uuidv7(), email, language })
    .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
    .execute();
  const person = await findPersonByEmail(db, email);
  if (!person) throw new Error(`person ${email} vanished after insert`);
  return person;
}
