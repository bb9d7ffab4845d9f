-- Files attached to an outbox mail (a ticket PDF…), written in the transaction that queues the mail.
create table mail_attachments (
  mail_id uuid not null references mail_outbox (id) on delete cascade,
  position integer not null check (position >= 0),
  filename text not null check (length(filename) between 1 and 200),
  content_type text not null,
  bytes bytea not null,
  primary key (mail_id, position)
);
