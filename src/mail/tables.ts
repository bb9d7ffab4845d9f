/** Tables of the mail module after the foundation's outbox (migrations 0008, 0016). */
import type { ColumnType } from 'kysely';

export interface MailAttachmentsTable {
  mail_id: string;
  position: number;
  filename: string;
  content_type: string;
  /** Null until a render-at-delivery attachment is rendered (then stored, so a retry sends the same file). */
  bytes: ColumnType<Uint8Array | null, Uint8Array | null | undefined, Uint8Array | null>;
  /** Renderer registered with `registerAttachmentRenderer` (e.g. `tickets.order-pdf`), or null for stored bytes. */
  render: ColumnType<string | null, string | null | undefined, never>;
  /** What the renderer renders (e.g. an order id). */
  render_ref: ColumnType<string | null, string | null | undefined, never>;
}

export interface MailTables {
  mail_attachments: MailAttachmentsTable;
}
