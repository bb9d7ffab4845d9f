import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** The 50 latest mails of the outbox with their attachments' names, for /dev/mail (development only). */
export async function latestMails(db: Db) {
  return db
    .selectFrom('mail_outbox')
    .selectAll()
    .select((eb) =>
      eb.fn
        .coalesce(
          eb
            .selectFrom('mail_attachments as a')
            .select(sql<string[]>`array_agg(a.filename order by a.position)`.as('names'))
            .whereRef('a.mail_id', '=', 'mail_outbox.id'),
          sql<string[]>`'{}'::text[]`,
        )
        .as('attachment_names'),
    )
    .orderBy('created_at', 'desc')
    .limit(50)
    .execute();
}
