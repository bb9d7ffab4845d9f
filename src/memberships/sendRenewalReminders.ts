import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { translate } from '../i18n/i18n.ts';
import { queueMail } from '../mail/index.ts';

/**
 * Mails the holders of memberships that end within their product's reminder window (in the
 * venue's own calendar), once per membership, unless a later membership of the same product already
 * follows it. Each mail and its `reminder_sent_at` are written in one transaction.
 */
export async function sendRenewalReminders(db: Db, config: Config): Promise<number> {
  const due = await db
    .selectFrom('memberships as m')
    .innerJoin('membership_products as p', (j) =>
      j.onRef('p.place_id', '=', 'm.place_id').onRef('p.id', '=', 'm.product_id'),
    )
    .innerJoin('places as pl', 'pl.id', 'm.place_id')
    .innerJoin('people as pe', 'pe.id', 'm.person_id')
    .select([
      'm.place_id',
      'm.id',
      'm.ends_on',
      'p.name as product',
      'pl.name as place',
      'pl.slug',
      'pe.email',
      'pe.language',
    ])
    .where('m.status', '=', 'active')
    .where('m.reminder_sent_at', 'is', null)
    .where('p.reminder_days', '>', 0)
    .where('m.ends_on', 'is not', null)
    .where(sql<boolean>`m.ends_on - p.reminder_days <= (now() at time zone pl.timezone)::date`)
    .where(sql<boolean>`m.ends_on >= (now() at time zone pl.timezone)::date`)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('memberships as later')
            .select('later.id')
            .whereRef('later.place_id', '=', 'm.place_id')
            .whereRef('later.person_id', '=', 'm.person_id')
            .whereRef('later.product_id', '=', 'm.product_id')
            .whereRef('later.starts_on', '>', 'm.starts_on')
            .where('later.status', 'in', ['active', 'pending_payment', 'pending_approval']),
        ),
      ),
    )
    .limit(500)
    .execute();
  let sent = 0;
  for (const r of due) {
    await db.transaction().execute(async (trx) => {
      const claimed = await trx
        .updateTable('memberships')
        .set({ reminder_sent_at: sql<Date>`now()` })
        .where('place_id', '=', r.place_id)
        .where('id', '=', r.id)
        .where('reminder_sent_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (!claimed) return;
      const params = {
        place: r.place,
        product: r.product,
        until: r.ends_on!,
        link: `${config.baseUrl}/venues/${r.slug}#memberships`,
      };
      await queueMail(
        trx,
        {
          to: r.email,
          language: r.language,
          subject: translate(r.language, 'mail.renewal.subject', params),
          text: translate(r.language, 'mail.renewal.text', params),
        },
        Boolean(config.smtpUrl),
      );
      sent++;
    });
  }
  return sent;
}
