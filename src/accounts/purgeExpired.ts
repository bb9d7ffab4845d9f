import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/**
 * Deletes sessions past their expiry and login links older than a day (used or not): they can no
 * longer serve, and keeping them only grows the tables. Returns how many rows went.
 */
export async function purgeExpired(db: Db): Promise<{ sessions: number; loginTokens: number }> {
  const sessions = await db
    .deleteFrom('sessions')
    .where('expires_at', '<', sql<Date>`now()`)
    .executeTakeFirst();
  const loginTokens = await db
    .deleteFrom('login_tokens')
    .where('created_at', '<', sql<Date>`now() - interval '1 day'`)
    .executeTakeFirst();
  return { sessions: Number(sessions.numDeletedRows), loginTokens: Number(loginTokens.numDeletedRows) };
}
