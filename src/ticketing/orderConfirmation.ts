import type { Config } from '../config.ts';
import type { Trx } from '../db/database.ts';
import { translate } from '../i18n/i18n.ts';
import { queueMail } from '../mail/queueMail.ts';
import { ticketsPdf } from './ticketPdf.ts';

/**
 * Queues the confirmation of a paid order (or confirmed free booking) to its e-mail, in its language,
 * with the link to its page and its tickets as a PDF, in the caller's transaction: the mail exists
 * only if the order became paid. Called once per order, by completeOrder under the order's row lock.
 */
export async function queueOrderConfirmation(trx: Trx, config: Config, orderId: string): Promise<void> {
  const order = await trx
    .selectFrom('orders')
    .innerJoin('places', 'places.id', 'orders.place_id')
    .select(['orders.id', 'orders.email', 'orders.language', 'orders.reference', 'places.name as place_name'])
    .where('orders.id', '=', orderId)
    .executeTakeFirstOrThrow();
  const lang = order.language;
  const params = { reference: order.reference, place: order.place_name, link: `${config.baseUrl}/orders/${order.id}` };
  const pdf = await ticketsPdf(trx, order.id);
  await queueMail(
    trx,
    {
      to: order.email,
      language: lang,
      subject: translate(lang, 'tickets.mail.subject', params),
      text: translate(lang, 'tickets.mail.text', params),
      attachments: [{ filename: translate(lang, 'tickets.pdf.filename', { reference: order.reference }), contentType: 'application/pdf', bytes: pdf }],
    },
    Boolean(config.smtpUrl),
  );
}
