import type { Config } from '../config.ts';
import type { Trx } from '../db/database.ts';
import { translate, type Language } from '../i18n/i18n.ts';
import { registerAttachmentRenderer, queueMail } from '../mail/index.ts';
import { DomainError } from '../shared/errors.ts';
import { ticketsPdf } from './ticketPdf.ts';

/** The renderer of the tickets PDF attached to the confirmation, called by the mail delivery. */
export const ORDER_TICKETS_PDF = 'tickets.order-pdf';

// At delivery, the PDF holds the tickets still valid then; an order whose tickets were all cancelled
// before the mail left gets the mail without a file (its page says it is cancelled).
registerAttachmentRenderer(ORDER_TICKETS_PDF, async (db, orderId) => {
  try {
    return await ticketsPdf(db, orderId);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'not-found') return null;
    throw error;
  }
});

/**
 * Queues the confirmation of a paid order (or confirmed free booking) to its e-mail, in its language,
 * with the link to its page and its tickets as a PDF, in the caller's transaction: the mail exists
 * only if the order became paid. Called once per order, by completeOrder under the order's row lock.
 * The PDF (about 1 ms per ticket) is not made here but by the mail delivery, after commit and outside
 * every lock: the attachment row names the renderer and the order (render at delivery).
 */
export async function queueOrderConfirmation(
  trx: Trx,
  config: Config,
  order: { id: string; email: string; language: Language; reference: string; place_name: string },
): Promise<void> {
  const lang = order.language;
  const params = { reference: order.reference, place: order.place_name, link: `${config.baseUrl}/orders/${order.id}` };
  await queueMail(
    trx,
    {
      to: order.email,
      language: lang,
      subject: translate(lang, 'tickets.mail.subject', params),
      text: translate(lang, 'tickets.mail.text', params),
      attachments: [
        {
          filename: translate(lang, 'tickets.pdf.filename', { reference: order.reference }),
          contentType: 'application/pdf',
          render: ORDER_TICKETS_PDF,
          ref: order.id,
        },
      ],
    },
    Boolean(config.smtpUrl),
  );
}
