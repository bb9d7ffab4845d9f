-- Memberships: products a venue sells (validity rules, prices) and the memberships people hold.

create table membership_products (
  place_id uuid not null references places (id) on delete cascade,
  id uuid not null,
  name text not null check (length(name) between 1 and 120),
  description text not null default '',
  -- days: N days; months: N months; calendar_year: to 31 December; school_year: from the 1st of
  -- month N to the end of the month before it, a year later; lifetime: no end.
  validity_kind text not null check (validity_kind in ('days', 'months', 'calendar_year', 'school_year', 'lifetime')),
  validity_value integer not null default 0 check (validity_value >= 0 and validity_value <= 3660),
  price_kind text not null check (price_kind in ('fixed', 'pay_what_you_want', 'free')),
  price_cents bigint not null default 0 check (price_cents >= 0),
  min_price_cents bigint not null default 0 check (min_price_cents >= 0),
  requires_approval boolean not null default false,
  -- Days before the end when the holder is reminded to renew; 0 means no reminder.
  reminder_days integer not null default 15 check (reminder_days between 0 and 365),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (place_id, id),
  check ((validity_kind in ('days', 'months') and validity_value >= 1) or (validity_kind = 'school_year' and validity_value between 1 and 12) or validity_kind in ('calendar_year', 'lifetime')),
  check (price_kind <> 'fixed' or price_cents > 0)
);

create table memberships (
  place_id uuid not null references places (id) on delete cascade,
  id uuid not null,
  product_id uuid not null,
  person_id uuid not null references people (id),
  status text not null check (status in ('pending_payment', 'pending_approval', 'active', 'cancelled')),
  starts_on date not null,
  -- Last day of validity (inclusive); null for lifetime.
  ends_on date,
  amount_cents bigint not null default 0 check (amount_cents >= 0),
  -- stripe, cash, cheque, card_terminal, free, import
  method text not null,
  payment_id uuid,
  note text not null default '',
  created_by uuid references people (id),
  created_at timestamptz not null default now(),
  cancelled_at timestamptz,
  reminder_sent_at timestamptz,
  primary key (place_id, id),
  foreign key (place_id, product_id) references membership_products (place_id, id),
  check (ends_on is null or ends_on >= starts_on)
);
create index memberships_person on memberships (person_id, place_id);
create index memberships_ends on memberships (place_id, ends_on) where status = 'active';
