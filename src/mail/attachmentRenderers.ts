import type { Db } from '../db/database.ts';

/**
 * Makes the bytes of an attachment at delivery time, outside the transaction that queued the mail
 * (the tickets PDF of an order: docs/TICKETING.md). Returns null when there is nothing to attach any
 * more (every ticket of the order was cancelled before the mail left): the mail goes without it.
 */
export type AttachmentRenderer = (db: Db, ref: string) => Promise<Buffer | null>;

const renderers = new Map<string, AttachmentRenderer>();

/** Modules register their renderers once, at import time (like payment purposes). */
export function registerAttachmentRenderer(name: string, renderer: AttachmentRenderer): void {
  if (renderers.has(name) && renderers.get(name) !== renderer)
    throw new Error(`attachment renderer ${name} registered twice`);
  renderers.set(name, renderer);
}

export function attachmentRenderer(name: string): AttachmentRenderer {
  const renderer = renderers.get(name);
  if (!renderer) throw new Error(`unknown attachment renderer ${name}`);
  return renderer;
}

export interface ReadyAttachment {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/**
 * The attachments of a mail, ready to send: stored bytes as they are; render-at-delivery ones rendered
 * now and stored (only if still unrendered), so a retried delivery sends the same file and the
 * outbox keeps what was sent. An attachment whose renderer answers null is left out.
 */
export async function attachmentsOf(db: Db, mailId: string): Promise<ReadyAttachment[]> {
  const rows = await db
    .selectFrom('mail_attachments')
    .select(['position', 'filename', 'content_type', 'bytes', 'render', 'render_ref'])
    .where('mail_id', '=', mailId)
    .orderBy('position')
    .execute();
  const ready: ReadyAttachment[] = [];
  for (const row of rows) {
    let bytes: Buffer | null = row.bytes ? Buffer.from(row.bytes) : null;
    if (!bytes && row.render && row.render_ref) {
      bytes = await attachmentRenderer(row.render)(db, row.render_ref);
      if (bytes) {
        const stored = await db
          .updateTable('mail_attachments')
          .set({ bytes })
          .where('mail_id', '=', mailId)
          .where('position', '=', row.position)
          .where('bytes', 'is', null)
          .returning('bytes')
          .executeTakeFirst();
        // Another process rendered it first: send the file it stored.
        if (!stored) {
          const first = await db
            .selectFrom('mail_attachments')
            .select('bytes')
            .where('mail_id', '=', mailId)
            .where('position', '=', row.position)
            .executeTakeFirstOrThrow();
          bytes = first.bytes ? Buffer.from(first.bytes) : bytes;
        }
      }
    }
    if (bytes) ready.push({ filename: row.filename, contentType: row.content_type, bytes });
  }
  return ready;
}
