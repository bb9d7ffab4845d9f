-- Cards: NFC cards imported by batches, anonymous or linked to a person, blockable. Their money is in
-- ledger accounts with owner_kind = 'card' and owner_ref = the card's id. Rules: docs/CARDS.md.

create table card_batches (
  id uuid primary key,
  name text not null check (length(name) between 1 and 120),
  card_count integer not null check (card_count >= 0),
  imported_by uuid references people (id),
  created_at timestamptz not null default now()
);

create table cards (
  id uuid primary key,
  batch_id uuid not null references card_batches (id),
  -- NFC UID, 4, 7 or 10 bytes, upper-case hex without separators.
  uid text not null unique check (uid ~ '^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$'),
  -- The number printed on the card.
  number text not null unique check (length(number) between 1 and 40),
  -- SHA-256 (hex) of the QR token printed on the card; the token itself is never stored.
  qr_token_sha256 text not null unique check (qr_token_sha256 ~ '^[0-9a-f]{64}$'),
  -- The person whose wallet the card spends from once linked; null = anonymous card.
  person_id uuid references people (id),
  linked_at timestamptz,
  status text not null default 'active' check (status in ('active', 'blocked')),
  blocked_at timestamptz,
  blocked_by uuid references people (id),
  block_reason text not null default '',
  created_at timestamptz not null default now(),
  check ((person_id is null) = (linked_at is null)),
  check ((status = 'blocked') = (blocked_at is not null))
);
create index cards_person on cards (person_id) where person_id is not null;
create index cards_batch on cards (batch_id);
-- A cashier finds a card by its printed number, typed with or without spaces, in any case; two
-- numbers that differ only by spaces or case would be ambiguous, so they are refused.
create unique index cards_number_compact on cards (upper(replace(number, ' ', '')));
-- Blocked cards, newest first, for the operator's page.
create index cards_blocked on cards (blocked_at desc) where status = 'blocked';
