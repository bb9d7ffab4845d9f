-- Ticketing and memberships: every amount bounded (docs/TICKETING.md, invariant 19).
--
-- MAX_AMOUNT_MINOR (src/shared/money.ts) is 10^9 minor units: 10 million euros, far below 2^53, so every
-- amount and every sum read back stays an exact JavaScript number. Before this migration a
-- pay-what-you-want amount had no upper bound (9007199254740991 was stored, and every later read of the
-- order failed). Money records are not changed behind the operator's back: if a stored amount is above
-- the bound, the migration stops here, naming the tables, and changes nothing
-- (docs/OPERATIONS.md, "Upgrading to migration 0020").
do $$
declare
  found text;
begin
  select string_agg(tbl || ': ' || n, ', ') into found from (
    select 'ticket_prices' as tbl, count(*) as n from ticket_prices
     where price_cents > 1000000000 or min_price_cents > 1000000000
    union all
    select 'promo_codes', count(*) from promo_codes where amount_off_cents > 1000000000
    union all
    select 'orders', count(*) from orders where total_cents > 1000000000
    union all
    select 'order_lines', count(*) from order_lines
     where unit_price_cents > 1000000000 or discount_cents > 1000000000 or discount_cents > unit_price_cents * quantity
    union all
    select 'membership_products', count(*) from membership_products
     where price_cents > 1000000000 or min_price_cents > 1000000000
    union all
    select 'memberships', count(*) from memberships where amount_cents > 1000000000
  ) x where n > 0;
  if found is not null then
    raise exception 'amounts above 1000000000 minor units (10 million euros) are stored, rows per table: %. Nothing was changed: see docs/OPERATIONS.md, "Upgrading to migration 0020".', found;
  end if;
end $$;

alter table ticket_prices add constraint ticket_prices_price_bound check (price_cents <= 1000000000);
alter table ticket_prices add constraint ticket_prices_min_price_bound check (min_price_cents <= 1000000000);
alter table promo_codes add constraint promo_codes_amount_off_bound check (amount_off_cents <= 1000000000);
alter table orders add constraint orders_total_bound check (total_cents <= 1000000000);
alter table order_lines add constraint order_lines_unit_price_bound check (unit_price_cents <= 1000000000);
alter table order_lines add constraint order_lines_discount_bound
  check (discount_cents <= 1000000000 and discount_cents <= unit_price_cents * quantity);
alter table membership_products add constraint membership_products_price_bound check (price_cents <= 1000000000);
alter table membership_products add constraint membership_products_min_price_bound check (min_price_cents <= 1000000000);
alter table memberships add constraint memberships_amount_bound check (amount_cents <= 1000000000);

-- Rate limits in the database (src/shared/rateLimits.ts): hits per (scope, key) in fixed windows, shared
-- by every node process. Only a SHA-256 of the key is kept, until the window ends (purged hourly).
create table rate_limit_counters (
  scope text not null check (scope ~ '^[a-z][a-z0-9_.-]{0,40}$'),
  key_hash bytea not null check (length(key_hash) = 32),
  window_start timestamptz not null,
  hits integer not null check (hits >= 1),
  max_hits integer not null check (max_hits >= 1),
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  primary key (scope, key_hash, window_start),
  check (hits <= max_hits),
  check (expires_at > window_start)
);
create index rate_limit_counters_expiry on rate_limit_counters (expires_at);

-- Orders without an account hold at most a share of a date until paid or confirmed (docs/TICKETING.md,
-- invariant 21): the places they hold are counted beside `taken`, under the same row lock, and the order
-- says whether its places are counted. Existing pending orders are not counted (they end within the hold).
alter table date_capacity add column held_unconfirmed integer not null default 0;
alter table date_capacity add constraint date_capacity_held_unconfirmed
  check (held_unconfirmed >= 0 and held_unconfirmed <= taken);
alter table orders add column unconfirmed_hold boolean not null default false;
