-- Points of sale of a venue: categories, articles, what each point shows and takes; device pairing
-- codes. Rules: docs/TILL.md.

create table pos_points (
  place_id uuid not null references places (id) on delete cascade,
  id uuid not null,
  name text not null check (length(name) between 1 and 80),
  -- Payment methods this point takes: any of card (Rezo card/wallet), cash, bank_card (the venue's own terminal).
  payment_methods text[] not null default '{card,cash,bank_card}'
    check (payment_methods <@ array['card', 'cash', 'bank_card'] and cardinality(payment_methods) >= 1),
  position integer not null default 0,
  archived boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (place_id, id)
);

create table pos_categories (
  place_id uuid not null references places (id) on delete cascade,
  id uuid not null,
  name text not null check (length(name) between 1 and 80),
  colour text not null default '#455a64' check (colour ~ '^#[0-9a-f]{6}$'),
  position integer not null default 0,
  primary key (place_id, id)
);

create table pos_articles (
  place_id uuid not null references places (id) on delete cascade,
  id uuid not null,
  category_id uuid,
  name text not null check (length(name) between 1 and 80),
  -- sale: goods sold; top_up: euros in, tokens minted on the card; cash_out: tokens burnt, euros out;
  -- membership: sells a membership product; deposit / deposit_return: a refundable deposit (cup…);
  -- gift_top_up: the venue's gift currency credited for free; free: given, price 0.
  kind text not null check (kind in ('sale', 'top_up', 'cash_out', 'membership', 'deposit', 'deposit_return', 'gift_top_up', 'free')),
  -- Minor units (cents). null = the cashier types the amount (top-ups, cash-outs, open prices).
  price_cents bigint check (price_cents is null or price_cents >= 0),
  -- VAT rate in basis points (20 % = 2000, 8.5 % = 850, 2.1 % = 210).
  vat_rate integer not null default 0 check (vat_rate between 0 and 10000),
  colour text not null default '#37474f' check (colour ~ '^#[0-9a-f]{6}$'),
  -- top_up / gift_top_up: the currency credited (federated or local euro; the venue's gift currency).
  currency_id uuid references ledger_currencies (id),
  -- membership: the product sold.
  membership_product_id uuid,
  position integer not null default 0,
  archived boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (place_id, id),
  foreign key (place_id, category_id) references pos_categories (place_id, id),
  foreign key (place_id, membership_product_id) references membership_products (place_id, id),
  check ((kind = 'membership') = (membership_product_id is not null)),
  check ((kind in ('top_up', 'gift_top_up')) = (currency_id is not null)),
  check (kind <> 'free' or price_cents = 0)
);

-- What each point of sale shows, in order.
create table pos_point_articles (
  place_id uuid not null,
  point_id uuid not null,
  article_id uuid not null,
  position integer not null default 0,
  primary key (place_id, point_id, article_id),
  foreign key (place_id, point_id) references pos_points (place_id, id) on delete cascade,
  foreign key (place_id, article_id) references pos_articles (place_id, id) on delete cascade
);
create index pos_point_articles_article on pos_point_articles (place_id, article_id);

-- One-time codes a venue admin shows to pair a till or scanner (valid 10 minutes, used once).
create table device_pairings (
  place_id uuid not null references places (id) on delete cascade,
  -- SHA-256 (hex) of the code; the code itself is shown once.
  code_sha256 text primary key,
  kind text not null check (kind in ('till', 'scanner')),
  name text not null check (length(name) between 1 and 80),
  created_by uuid references people (id),
  expires_at timestamptz not null,
  used_at timestamptz,
  device_id uuid,
  created_at timestamptz not null default now(),
  check ((used_at is null) = (device_id is null)),
  -- The device row is inserted in the transaction that consumes the code (checked at commit).
  foreign key (place_id, device_id) references ledger_devices (place_id, id) deferrable initially deferred
);
create index device_pairings_place on device_pairings (place_id, created_at);

-- The venue's business day starts at this local time (a night at the bar ends at 04:00, not at midnight).
create table till_settings (
  place_id uuid primary key references places (id) on delete cascade,
  day_starts_at time not null default '04:00'
);
