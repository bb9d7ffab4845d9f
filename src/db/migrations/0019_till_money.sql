-- Money-path fixes of the till and the ledger (issue 12, findings 3, 4, 5, 6, 10, 12 and the till's
-- amount bounds). Rules: docs/LEDGER.md, docs/TILL.md, docs/CLOSURES.md, docs/POINTS-OF-SALE.md.

-- 1. Holds the expiry job could not void (docs/LEDGER.md, "Expiry of holds"): each hold is voided on
--    its own; a failure is recorded here and retried later (1 min, 2, 4… at most 1 h apart) so one bad
--    hold never stops the batch, and failing holds cannot fill it. Typed in src/ledger/tables.ts.
create table ledger_hold_expiry_failures (
  hold_id uuid primary key references ledger_transfers (id),
  attempts integer not null check (attempts >= 1),
  last_error text not null check (length(last_error) <= 500),
  failed_at timestamptz not null,
  retry_at timestamptz not null
);

-- 2. A cash-out at a counter is recorded with the venue that paid it (docs/TILL.md, "Cash-out"): a
--    venue pays out only the federated euro of its federation and its own local euro.
alter table ledger_payouts add column place_id uuid references places (id);

-- 3. Every amount of the till is bounded by MAX_AMOUNT_MINOR (src/shared/money.ts: 10^9 cents) at the
--    edge and by these CHECKs behind it (docs/TILL.md, "Amounts"). NOT VALID: enforced on every new row
--    (these tables are append-only, or their rows rewritten whole by the use cases), without failing
--    the migration on a database that already holds an older, larger row.
alter table pos_articles add constraint pos_articles_price_bound
  check (price_cents is null or price_cents between 0 and 1000000000) not valid;
alter table till_sales add constraint till_sales_total_bound
  check (total_cents between -1000000000 and 1000000000) not valid;
alter table till_journal add constraint till_journal_amount_bound
  check (amount_cents between -1000000000 and 1000000000
    and (unit_price_cents is null or unit_price_cents between 0 and 1000000000)
    and (quantity is null or quantity between -999 and 999)) not valid;
alter table till_closures add constraint till_closures_counted_bound
  check (counted_cash_cents <= 1000000000) not valid;

-- 4. Every currency's supply is bounded by MAX_SUPPLY_MINOR (src/shared/money.ts: 10^15 minor units,
--    well below 2^53) — docs/LEDGER.md, rule 1b. The engine refuses first (ledger-supply-limit); these
--    are the backstop. NOT VALID: binding for every new or updated row, without failing on a database
--    that already went past (its sealer then isolates that currency: docs/LEDGER.md, "Hash chain").
alter table ledger_accounts add constraint ledger_accounts_supply_bound
  check (owner_kind <> 'system' or owner_ref <> 'issuance' or balance >= -1000000000000000) not valid;
alter table ledger_blocks add constraint ledger_blocks_supply_bound
  check (supply between -1000000000000000 and 1000000000000000) not valid;

-- 5. Counter top-up limits per venue and currency it credits (docs/POINTS-OF-SALE.md, "Top-up limits"):
--    a line, a sale, a card per business day, the venue per business day. No row: the defaults of
--    src/till/topUpLimits.ts (500 €, 500 €, 1 000 €, 100 000 €). Typed in src/till/tables.ts.
create table till_top_up_limits (
  place_id uuid not null references places (id),
  currency_id uuid not null references ledger_currencies (id),
  line_max_cents bigint not null check (line_max_cents between 1 and 1000000000),
  sale_max_cents bigint not null check (sale_max_cents between 1 and 1000000000),
  card_day_max_cents bigint not null check (card_day_max_cents between 1 and 1000000000),
  day_max_cents bigint not null check (day_max_cents between 1 and 1000000000),
  updated_at timestamptz not null default now(),
  primary key (place_id, currency_id)
);

-- 6. Sales a till queued offline (docs/TILL.md, "Offline sales"): their device-signed time of sale, and,
--    when the day they were sold on was already closed, that day (the sale is booked on the point's
--    next open day with this late mark). On the sale and frozen on each journal line (hashed when set).
alter table till_sales add column sold_at timestamptz;
alter table till_sales add column late_from_day date;
alter table till_sales add constraint till_sales_late_before check (late_from_day is null or late_from_day < business_day);
alter table till_journal add column sold_at timestamptz;
alter table till_journal add column late_from_day date;
alter table till_journal add constraint till_journal_late_before check (late_from_day is null or late_from_day < business_day);
