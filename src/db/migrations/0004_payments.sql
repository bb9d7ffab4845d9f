-- Payments: attempts to take money, provider events, refunds. See docs/PAYMENTS.md.

alter table places add column stripe_account_id text check (stripe_account_id ~ '^acct_[A-Za-z0-9]+$');

create table payments (
  id uuid primary key,
  -- The venue whose account receives the money; null for the federation's own account (top-ups).
  place_id uuid references places (id),
  purpose text not null check (purpose ~ '^[a-z_]{2,30}$'),
  subject_id uuid not null,
  provider text not null check (provider in ('stripe', 'on_site', 'wallet')),
  amount_cents bigint not null check (amount_cents > 0),
  -- What the provider reported receiving; normally amount_cents, and what a full refund gives back.
  received_cents bigint check (received_cents >= 0),
  currency text not null default 'EUR' check (currency = 'EUR'),
  person_id uuid references people (id),
  status text not null check (status in ('pending', 'paid', 'failed', 'expired', 'refund_pending', 'refunded', 'partially_refunded')),
  provider_session_id text unique,
  provider_payment_id text unique,
  checkout_url text,
  -- For on-site payments: cash, cheque, card_terminal.
  method text,
  -- What the purpose needs to apply the payment (e.g. the currency of a top-up).
  metadata jsonb not null default '{}',
  failure text,
  created_at timestamptz not null default now(),
  paid_at timestamptz,
  updated_at timestamptz not null default now()
);
create index payments_subject on payments (purpose, subject_id);
create index payments_place on payments (place_id, created_at desc);

create table payment_events (
  provider text not null,
  event_id text not null,
  type text not null,
  payment_id uuid references payments (id),
  received_at timestamptz not null default now(),
  primary key (provider, event_id)
);

create table refunds (
  id uuid primary key,
  payment_id uuid not null references payments (id),
  amount_cents bigint not null check (amount_cents > 0),
  reason text not null,
  status text not null check (status in ('pending', 'succeeded', 'failed')),
  provider_refund_id text unique,
  attempts integer not null default 0,
  error text,
  created_at timestamptz not null default now(),
  succeeded_at timestamptz
);
create index refunds_pending on refunds (created_at) where status = 'pending';
