-- Ledger authorisation (issue 12): amounts bounded, wallet passes spent once, refund limits.
-- The rules are in docs/LEDGER.md, "Who may move money".

-- One bound for every amount a transfer, a payment reference or a payout carries: MAX_AMOUNT_MINOR
-- (src/shared/money.ts, 10^9 minor units). NOT VALID: rows written under the old bound (10^12) stay as
-- they are (transfers are append-only); every new row is checked.
alter table ledger_transfers add constraint ledger_transfers_amount_bound
  check (amount > 0 and amount <= 1000000000) not valid;
alter table ledger_payment_references add constraint ledger_payment_references_amount_bound
  check (amount_cents > 0 and amount_cents <= 1000000000) not valid;
alter table ledger_payouts add constraint ledger_payouts_amount_bound
  check (amount_cents > 0 and amount_cents <= 1000000000) not valid;

-- Money leaving a venue's account (a refund or payout through the transfer API) is bounded per
-- operation and per 24 hours, per currency, in that currency's minor units. No row: the defaults
-- (DEFAULT_REFUND_LIMITS, src/ledger/refundLimits.ts). 0 forbids refunds.
create table ledger_refund_limits (
  place_id uuid primary key references places (id),
  per_operation bigint not null check (per_operation >= 0 and per_operation <= 1000000000),
  per_day bigint not null check (per_day >= per_operation and per_day <= 1000000000),
  updated_at timestamptz not null default now()
);

-- Every refund or payout from a venue's account authorised by the transfer API: the 24-hour sum is
-- read here, after the venue's account is locked (two refunds of one venue and currency queue on it).
create table ledger_refunds (
  transfer_id uuid primary key references ledger_transfers (id),
  place_id uuid not null references places (id),
  currency_id uuid not null references ledger_currencies (id),
  amount bigint not null check (amount > 0 and amount <= 1000000000),
  created_at timestamptz not null default now()
);
create index ledger_refunds_day on ledger_refunds (place_id, currency_id, created_at);

-- A wallet pass is one payment intent (a venue, a maximum, two minutes, a nonce), signed by the node
-- and spent ONCE: its nonce is inserted here in the transaction of the request that uses it, so a
-- second request with the same pass finds it (docs/LEDGER.md, "Wallet passes"). Rows are purged an
-- hour after the pass expired: by then its signature refuses it anyway.
create table ledger_wallet_passes (
  nonce text primary key check (nonce ~ '^[A-Za-z0-9_-]{16,64}$'),
  person_id uuid not null,
  place_id uuid not null references places (id),
  max_amount bigint not null check (max_amount > 0 and max_amount <= 1000000000),
  expires_at timestamptz not null,
  request_sha256 text not null,
  spent_at timestamptz not null default now()
);
create index ledger_wallet_passes_expiry on ledger_wallet_passes (expires_at);
