import type { Db } from '../db/database.ts';
import type { Language } from '../db/schema.ts';
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

export interface MailAttachment {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/**
 * Puts a mail in the outbox, inside the caller's transaction: a mail exists only if the change that
 * sends it commits. Delivery happens after commit (see mailDelivery.ts). `smtp` tells whether the node
 * sends mail at all; without SMTP the mail is kept in the outbox for /dev/mail and the log.
 */
export async function queueMail(db: Db, message: MailMessage, smtp: boolean): Promise<string> {
  const id = uuidv7();
  await db
    .insertInto('mail_outbox')
    .values({
      id,
      to_address: message.to,
      subject: message.subject,
      text_body: message.text,
      html_body: message.html ?? null,
      language: message.language,
      status: smtp ? 'pending' : 'kept',
    })
    .execute();
  const attachments = message.attachments ?? [];
  if (attachments.length > 0) {
    await db
      .insertInto('mail_attachments')
      .values(attachments.map((a, position) => ({ mail_id: id, position, filename: a.filename, content_type: a.contentType, bytes: a.bytes })))
      .execute();
  }
  return id;
}
