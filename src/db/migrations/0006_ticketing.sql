-- Ticketing: prices, capacity per date, promo codes, orders (holds), order lines and tickets.
-- See docs/TICKETING.md for the invariants each constraint and counter serves.

create table date_capacity (
  place_id uuid not null,
  event_date_id uuid not null,
  capacity integer not null check (capacity >= 0),
  -- Places held by pending orders plus places sold.
  taken integer not null default 0 check (taken >= 0),
  primary key (place_id, event_date_id),
  foreign key (place_id, event_date_id) references event_dates (place_id, id) on delete cascade,
  check (taken <= capacity)
);

create table ticket_prices (
  place_id uuid not null,
  id uuid not null,
  event_id uuid not null,
  -- Null: valid for every date of the event.
  event_date_id uuid,
  name text not null check (length(name) between 1 and 120),
  kind text not null check (kind in ('fixed', 'free', 'pay_what_you_want', 'member_only')),
  price_cents bigint not null default 0 check (price_cents >= 0),
  min_price_cents bigint not null default 0 check (min_price_cents >= 0),
  -- member_only: a valid membership of one of these venues (empty = this venue).
  member_place_ids uuid[] not null default '{}',
  stock integer check (stock >= 0),
  taken integer not null default 0 check (taken >= 0),
  per_order_limit integer not null default 10 check (per_order_limit between 1 and 100),
  per_person_limit integer check (per_person_limit >= 1),
  sales_open_at timestamptz,
  sales_close_at timestamptz,
  -- VAT in basis points: 550 = 5.5 %.
  vat_rate_bp integer not null default 0 check (vat_rate_bp between 0 and 10000),
  active boolean not null default true,
  position integer not null default 0,
  created_at timestamptz not null default now(),
  primary key (place_id, id),
  foreign key (place_id, event_id) references events (place_id, id) on delete cascade,
  check (stock is null or taken <= stock),
  check (kind <> 'fixed' or price_cents > 0),
  check (sales_open_at is null or sales_close_at is null or sales_open_at < sales_close_at)
);
create index ticket_prices_event on ticket_prices (place_id, event_id, position);

create table promo_codes (
  place_id uuid not null,
  id uuid not null,
  code text not null check (code ~ '^[A-Z0-9-]{3,40}$'),
  event_id uuid not null,
  -- Null: every price of the event.
  price_id uuid,
  percent_off integer check (percent_off between 1 and 100),
  amount_off_cents bigint check (amount_off_cents > 0),
  max_uses integer check (max_uses >= 1),
  used integer not null default 0 check (used >= 0),
  created_at timestamptz not null default now(),
  primary key (place_id, id),
  foreign key (place_id, event_id) references events (place_id, id) on delete cascade,
  check ((percent_off is null) <> (amount_off_cents is null)),
  check (max_uses is null or used <= max_uses)
);
create unique index promo_codes_code on promo_codes (place_id, event_id, code);

create table orders (
  place_id uuid not null references places (id),
  id uuid not null,
  -- Short public reference printed on tickets and mails.
  reference text not null,
  person_id uuid references people (id),
  email text not null,
  name text not null default '',
  language text not null default 'fr' check (language in ('fr', 'en')),
  status text not null check (status in ('pending', 'paid', 'cancelled', 'expired', 'refunded')),
  total_cents bigint not null check (total_cents >= 0),
  expires_at timestamptz not null,
  payment_id uuid,
  -- Free bookings: the hash of the token mailed to confirm them.
  confirm_token_hash bytea,
  promo_code_id uuid,
  created_at timestamptz not null default now(),
  paid_at timestamptz,
  closed_at timestamptz,
  primary key (place_id, id)
);
create unique index orders_id on orders (id);
create unique index orders_reference on orders (reference);
create index orders_pending on orders (expires_at) where status = 'pending';
create index orders_person on orders (person_id, created_at desc);

create table order_lines (
  place_id uuid not null,
  order_id uuid not null,
  id uuid not null,
  price_id uuid not null,
  event_id uuid not null,
  event_date_id uuid not null,
  quantity integer not null check (quantity between 1 and 100),
  unit_price_cents bigint not null check (unit_price_cents >= 0),
  discount_cents bigint not null default 0 check (discount_cents >= 0),
  vat_rate_bp integer not null,
  primary key (place_id, id),
  foreign key (place_id, order_id) references orders (place_id, id) on delete cascade,
  foreign key (place_id, price_id) references ticket_prices (place_id, id)
);
create index order_lines_order on order_lines (place_id, order_id);
create index order_lines_date on order_lines (place_id, event_date_id);

create table tickets (
  place_id uuid not null,
  id uuid not null,
  order_id uuid not null,
  line_id uuid not null,
  event_id uuid not null,
  event_date_id uuid not null,
  price_id uuid not null,
  holder_name text not null default '',
  -- Issued tickets only: created when the order is paid or confirmed.
  status text not null check (status in ('valid', 'cancelled', 'refunded')),
  created_at timestamptz not null default now(),
  primary key (place_id, id),
  foreign key (place_id, order_id) references orders (place_id, id)
);
create unique index tickets_id on tickets (id);
create index tickets_date on tickets (place_id, event_date_id, status);
create index tickets_order on tickets (place_id, order_id);

-- Ed25519 keys that sign a venue's ticket QR codes; scanners verify offline with the public keys
-- (published at /api/v1/venues/<slug>/ticket-keys). The private key stays in the database.
create table ticket_keys (
  place_id uuid not null references places (id) on delete cascade,
  id text not null check (id ~ '^[A-Za-z0-9_-]{6,20}$'),
  public_key text not null,
  private_key text not null,
  created_at timestamptz not null default now(),
  retired_at timestamptz,
  primary key (place_id, id)
);

-- Check-in lists: a ticket enters once per list (a festival pass list, one evening's list…).
create table checkin_lists (
  place_id uuid not null,
  id uuid not null,
  event_id uuid not null,
  name text not null check (length(name) between 1 and 80),
  -- Empty: every date / every price of the event.
  date_ids uuid[] not null default '{}',
  price_ids uuid[] not null default '{}',
  is_default boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (place_id, id),
  foreign key (place_id, event_id) references events (place_id, id) on delete cascade
);
create unique index checkin_lists_default on checkin_lists (place_id, event_id) where is_default;

create table checkins (
  place_id uuid not null,
  id uuid not null,
  list_id uuid not null,
  ticket_id uuid,
  -- Chosen by the scanning device: a batch uploaded twice counts once.
  nonce text not null check (length(nonce) between 8 and 100),
  result text not null,
  -- Who scanned: an API key or a device, and when the device says it scanned.
  api_key_id uuid,
  device_id uuid,
  scanned_at timestamptz not null,
  received_at timestamptz not null default now(),
  primary key (place_id, id),
  foreign key (place_id, list_id) references checkin_lists (place_id, id) on delete cascade
);
create unique index checkins_nonce on checkins (place_id, nonce);
-- The rule "enters once per list", held by the database itself.
create unique index checkins_entry on checkins (place_id, list_id, ticket_id) where result = 'valid';
