import type { Db } from '../db/database.ts';
import type { Language } from '../i18n/i18n.ts';
import { uuidv7 } from '../shared/ids.ts';

export interface MailMessage {
  to: string;
  language: Language;
  subject: string;
  text: string;
  html?: string;
  /** Files sent with the mail (a ticket PDF…), stored beside it in the same transaction. */
  attachments?: MailAttachment[];
}

/**
 * A file sent with the mail: its bytes, or a renderer (`registerAttachmentRenderer`) and what it
 * renders, called at delivery — so a costly file (a tickets PDF) is not made inside the transaction
 * that queues the mail.
 */
export type MailAttachment =
  | { filename: string; contentType: string; bytes: Buffer }
  | { filename: string; contentType: string; render: string; ref: string };

/**
 * Set when this process queues a mail, cleared when a delivery round is asked for (mailDelivery's
 * `kick`): a request that queued nothing does not cost a delivery round (the timer still runs).
 */
export const outboxSignal = { queued: false };

/**
 * Puts a mail in the outbox, inside the caller's transaction: a mail exists only if the change that
 * sends it commits. Delivery happens after commit (see mailDelivery.ts). `smtp` tells whether the node
 * sends mail at all; without SMTP the mail is kept in the outbox for /dev/mail and the log.
 */
export async function queueMail(db: Db, message: MailMessage, smtp: boolean): Promise<string> {
  const id = uuidv7();
  outboxSignal.queued = true;
  const mail = {
    id,
    to_address: message.to,
    subject: message.subject,
    text_body: message.text,
    html_body: message.html ?? null,
    language: message.language,
    status: smtp ? ('pending' as const) : ('kept' as const),
  };
  const attachments = (message.attachments ?? []).map((a, position) => ({
    mail_id: id,
    position,
    filename: a.filename,
    content_type: a.contentType,
    ...('bytes' in a ? { bytes: a.bytes } : { bytes: null, render: a.render, render_ref: a.ref }),
  }));
  if (attachments.length === 0) {
    await db.insertInto('mail_outbox').values(mail).execute();
  } else {
    // The mail and its attachments in one statement (one round trip in the caller's transaction); the
    // attachments' foreign key is checked at the end of the statement, when the mail row exists.
    await db
      .with('mail', (q) => q.insertInto('mail_outbox').values(mail).returning('id'))
      .insertInto('mail_attachments')
      .values(attachments)
      .execute();
  }
  return id;
}
