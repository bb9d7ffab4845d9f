-- The till: sales made by paired devices, and the venue's sales journal (append-only, hash-chained).
-- Rules: docs/TILL.md.

create table till_sales (
  -- Made by the till: the idempotency key. A retry with the same id returns the first result.
  id uuid primary key,
  place_id uuid not null references places (id),
  point_id uuid not null,
  device_id uuid not null,
  cashier_person_id uuid not null references people (id),
  -- SHA-256 of the request (device + body): the same id with another body is refused (409).
  request_sha256 text not null,
  -- The card tapped (if any) and the wallet it spent from (the card's own accounts, or its holder's).
  card_id uuid references cards (id),
  person_id uuid references people (id),
  -- Total of the items, signed minor units (a cash-out or a reversal is negative).
  total_cents bigint not null,
  -- A reversal ("cancel the last sale") names the sale it reverses; a sale is reversed at most once.
  reverses_sale_id uuid unique references till_sales (id),
  business_day date not null,
  -- The response the till got, returned again on a retry.
  result jsonb not null,
  created_at timestamptz not null default now(),
  foreign key (place_id, point_id) references pos_points (place_id, id),
  foreign key (place_id, device_id) references ledger_devices (place_id, id)
);
create index till_sales_place_day on till_sales (place_id, business_day, created_at);

-- One chain per venue, head locked until commit (like the ledger's first design): a venue's tills
-- make tens of sales a second at most, so the lock is not the limit.
create table till_journal_heads (
  place_id uuid primary key references places (id),
  position bigint not null default 0,
  hash text not null default repeat('0', 64)
);

create table till_journal (
  place_id uuid not null references places (id),
  position bigint not null check (position >= 1),
  sale_id uuid not null references till_sales (id),
  -- item: an article sold (or given back); payment: how it was paid.
  kind text not null check (kind in ('item', 'payment')),
  point_id uuid not null,
  device_id uuid not null,
  cashier_person_id uuid not null,
  -- item lines: the article as it was at the time of the sale (frozen).
  article_id uuid,
  article_name text,
  article_kind text,
  category_name text,
  quantity integer,
  unit_price_cents bigint,
  vat_rate integer,
  -- Signed minor units: positive = money in for the venue, negative = out (cash-out, deposit return, reversal).
  amount_cents bigint not null,
  -- payment lines: card, cash or bank_card; for card, the currency and token amount taken from the wallet.
  payment_method text check (payment_method in ('card', 'cash', 'bank_card')),
  currency_code text,
  -- The ledger transfer of a card payment or a top-up.
  transfer_id uuid,
  business_day date not null,
  created_at timestamptz not null,
  prev_hash text not null,
  hash text not null,
  primary key (place_id, position),
  check ((kind = 'item') = (article_id is not null)),
  check ((kind = 'payment') = (payment_method is not null))
);
create index till_journal_sale on till_journal (sale_id);
create index till_journal_day on till_journal (place_id, business_day, point_id);

create function till_journal_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'till_journal is append-only (% refused)', tg_op using errcode = 'raise_exception';
end;
$$;
create trigger till_journal_no_update_delete before update or delete on till_journal
  for each row execute function till_journal_append_only();
create trigger till_journal_no_truncate before truncate on till_journal
  for each statement execute function till_journal_append_only();

-- Counter top-ups are minted against a payment taken at the counter: cash, or the venue's own card
-- terminal (card_terminal). Counter cash-outs pay euros back without a payment reference (the
-- tokens paid out may come from several top-ups): their payout names no payment.
alter table ledger_payment_references drop constraint ledger_payment_references_provider_check;
alter table ledger_payment_references add constraint ledger_payment_references_provider_check
  check (provider in ('stripe', 'cash', 'transfer', 'card_terminal'));
alter table ledger_payouts drop constraint ledger_payouts_provider_check;
alter table ledger_payouts add constraint ledger_payouts_provider_check
  check (provider in ('stripe', 'cash', 'transfer', 'card_terminal'));
alter table ledger_payouts alter column payment_provider drop not null;
alter table ledger_payouts alter column payment_reference drop not null;
alter table ledger_payouts add constraint ledger_payouts_payment_both
  check ((payment_provider is null) = (payment_reference is null));
