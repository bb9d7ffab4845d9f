/** Tables of the mail module after the foundation's outbox (migration 0008). */
export interface MailAttachmentsTable {
  mail_id: string;
  position: number;
  filename: string;
  content_type: string;
  bytes: Uint8Array;
}

export interface MailTables {
  mail_attachments: MailAttachmentsTable;
}
