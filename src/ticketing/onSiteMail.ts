import type { Config } from '../config.ts';
import type { Trx } from '../db/database.ts';
import { formatDateTime, translate, type Language } from '../i18n/i18n.ts';
import { queueMail } from '../mail/index.ts';
import { formatEuros } from '../shared/money.ts';

/**
 * The mail of an order held for payment on site, in the caller's transaction (the one that sets its
 * deadline): not paid yet, where and how to pay, before when (in the venue's zone), and what happens
 * after — the order is cancelled and its seats put back on sale (docs/TICKETING.md, "Paying on site").
 */
export async function queueOnSiteMail(
  trx: Trx,
  config: Config,
  order: {
    id: string;
    reference: string;
    email: string;
    language: Language;
    placeName: string;
    totalCents: number;
    expiresAt: Date;
    timezone: string;
  },
): Promise<void> {
  const lang = order.language;
  const params = {
    reference: order.reference,
    place: order.placeName,
    amount: formatEuros(order.totalCents, lang),
    deadline: formatDateTime(lang, order.expiresAt, order.timezone),
    link: `${config.baseUrl}/orders/${order.id}`,
  };
  await queueMail(
    trx,
    {
      to: order.email,
      language: lang,
      subject: translate(lang, 'mail.onSite.subject', params),
      text: translate(lang, 'mail.onSite.text', params),
    },
    Boolean(config.smtpUrl),
  );
}
