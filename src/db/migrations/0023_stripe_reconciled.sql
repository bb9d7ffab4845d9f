-- Stripe reconciled (docs/PAYMENTS.md): refunds with Stripe's statuses and a lease, refunds made
-- outside Rezo, disputes, orphan events, pending sessions polled; holders' debts (docs/LEDGER.md
-- rule 5). Typed in src/payments/tables.ts and src/ledger/tables.ts. Amount bounds: MAX_AMOUNT_MINOR
-- (src/shared/money.ts, 10^9), the bound of any single money input.

-- 1. Refunds: Stripe's word on each (pending = Rezo must (re)send it, sent = Stripe has it and has not
--    finished), who made it, which attempt, and a lease/backoff for the senders.
alter table refunds drop constraint refunds_status_check;
alter table refunds add constraint refunds_status_check
  check (status in ('pending', 'sent', 'succeeded', 'failed', 'canceled'));
alter table refunds add column origin text not null default 'rezo' check (origin in ('rezo', 'provider'));
-- The Stripe call's idempotency key is refund-<id> (attempt 0) or refund-<id>-<attempt>.
alter table refunds add column provider_attempt integer not null default 0 check (provider_attempt between 0 and 10);
alter table refunds add column next_attempt_at timestamptz not null default now();
-- Refunds made outside Rezo: when their reversal was applied (once).
alter table refunds add column reversed_at timestamptz;
drop index refunds_pending;
create index refunds_due on refunds (next_attempt_at) where status in ('pending', 'sent');

-- 2. Chargebacks, as Stripe reports them; a lost one is reversed once.
create table payment_disputes (
  provider text not null check (provider = 'stripe'),
  dispute_id text not null check (length(dispute_id) between 1 and 200),
  payment_id uuid not null references payments (id),
  amount_cents bigint not null check (amount_cents > 0 and amount_cents <= 1000000000),
  status text not null check (status ~ '^[a-z_]{2,40}$'),
  reason text not null default '' check (length(reason) <= 100),
  reversed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (provider, dispute_id)
);
create index payment_disputes_payment on payment_disputes (payment_id);

-- 3. Events about a payment intent Rezo does not know yet (before its session completed): resolved by
--    the housekeeping once the payment is confirmed.
alter table payment_events add column object_ref text check (length(object_ref) between 1 and 200);
create index payment_events_orphans on payment_events (object_ref) where payment_id is null and object_ref is not null;

-- 4. Pending sessions: when the housekeeping next asks Stripe about one (its expiry + 5 minutes, then
--    later and later). Sessions opened before this migration expire 24 hours after creation (Stripe's
--    default).
alter table payments add column reconcile_at timestamptz;
update payments set reconcile_at = created_at + interval '24 hours 5 minutes'
 where status = 'pending' and provider = 'stripe';
create index payments_reconcile on payments (reconcile_at) where status = 'pending';

-- 5. Holders' debts: what a holder owes after euros were given back for tokens already spent (the
--    shortfall of a reversal's burn). One per refund or dispute (its reference), never more than the
--    payment it reverses together with the payouts (checked by rezo ledger verify).
create table ledger_debts (
  reversal_provider text not null check (reversal_provider in ('stripe', 'cash', 'transfer')),
  reversal_reference text not null check (length(reversal_reference) between 1 and 200),
  reason text not null check (reason in ('refund', 'dispute')),
  currency_id uuid not null references ledger_currencies (id),
  account_id uuid not null references ledger_accounts (id),
  payment_provider text not null,
  payment_reference text not null,
  amount_cents bigint not null check (amount_cents > 0 and amount_cents <= 1000000000),
  created_at timestamptz not null default now(),
  primary key (reversal_provider, reversal_reference),
  foreign key (payment_provider, payment_reference) references ledger_payment_references (provider, reference)
);
create index ledger_debts_currency on ledger_debts (currency_id, created_at);
create index ledger_debts_payment on ledger_debts (payment_provider, payment_reference);
