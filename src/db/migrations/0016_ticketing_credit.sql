-- 1. Refunds as wallet credit (docs/PAYMENTS.md, "Refund as wallet credit"): the euro-backed currency
--    a venue credits cancelled orders in. No row: the venue offers refunds to the original payment
--    only. The use case (src/ticketing/creditRefund.ts) checks that the currency is an active
--    `local_euro` the venue issues. Typed in src/payments/tables.ts.
create table credit_refund_settings (
  place_id uuid primary key references places (id) on delete cascade,
  currency_id uuid not null references ledger_currencies (id),
  updated_at timestamptz not null default now()
);

-- 2. Attachments rendered at delivery (docs/TICKETING.md, confirmation mail): the row queued with the
--    mail names a renderer and what to render (the tickets PDF of an order); the bytes are made and
--    stored by the delivery round, outside the transaction that queued the mail.
alter table mail_attachments alter column bytes drop not null;
alter table mail_attachments add column render text check (render ~ '^[a-z][a-z0-9_.-]{1,40}$');
alter table mail_attachments add column render_ref text check (length(render_ref) between 1 and 200);
alter table mail_attachments add constraint mail_attachments_source check (bytes is not null or (render is not null and render_ref is not null));
