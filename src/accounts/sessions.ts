import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { hashToken, randomToken } from '../shared/secrets.ts';
import { toPerson, type Person } from './people.ts';

export const SESSION_COOKIE = 'rezo_session';

/** Opens a session; the cookie carries the token, the database only its hash. */
export async function createSession(db: Db, personId: string, ttlDays: number): Promise<string> {
  const token = randomToken();
  await db
    .insertInto('sessions')
    .values({
      token_hash: hashToken(token),
      person_id: personId,
      expires_at: sql<Date>`now() + make_interval(days => ${ttlDays})`,
    })
    .execute();
  return token;
}

/** The person behind a session cookie, or null when the session is unknown or expired. */
export async function resolveSession(db: Db, token: string): Promise<Person | null> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('people', 'people.id', 'sessions.person_id')
    .select(['people.id', 'people.email', 'people.name', 'people.language', 'people.is_operator'])
    .where('sessions.token_hash', '=', hashToken(token))
    .where('sessions.expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return row ? toPerson(row) : null;
}

export async function endSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
}

/** How many live sessions the person has besides this one (other browsers or devices still logged in). */
export async function otherSessionCount(db: Db, personId: string, currentToken: string): Promise<number> {
  const row = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('person_id', '=', personId)
    .where('token_hash', '<>', hashToken(currentToken))
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
