-- Pay at the door / at the desk (docs/TICKETING.md, "Paying on site"): a venue that allows it has a
-- row here; an order the buyer chose to pay on site is held until the earliest of `hold_hours` after
-- it was placed (null: no limit of its own) and the start of its earliest date. The payment's
-- provider `on_site` is already allowed by payments_provider_check (migration 0024).
create table on_site_payment_settings (
  place_id uuid primary key references places (id) on delete cascade,
  hold_hours integer check (hold_hours between 1 and 720),
  updated_at timestamptz not null default now()
);
