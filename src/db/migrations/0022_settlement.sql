-- Settlement of the federated euro (docs/SETTLEMENT.md): each venue's settlement position as a ledger
-- account, the ledger transfers each statement settled (claimed once), the euro side of the postings
-- touching issuance; and the settlement module's runs, statements, payouts and treasurers.

-- 1. A venue's settlement position is a system account `settlement:<place id>` (no floor: negative
-- when the venue owes the federation). The check of 0003 on system roles was unnamed: found by its
-- definition and replaced by a named one that also allows that pattern.
do $$
declare
  c record;
begin
  for c in select conname, pg_get_constraintdef(oid) as def from pg_constraint
           where conrelid = 'ledger_accounts'::regclass and contype = 'c' loop
    if c.def like '%owner_kind <> ''system''%' and c.def like '%clearing%' and c.def like '%demurrage%' then
      execute format('alter table ledger_accounts drop constraint %I', c.conname);
    end if;
  end loop;
end $$;
alter table ledger_accounts add constraint ledger_accounts_system_role check (
  owner_kind <> 'system'
  or owner_ref in ('issuance', 'reserve', 'clearing', 'demurrage')
  or owner_ref ~ '^settlement:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
);

-- 2. Ledger side. A transfer counted in a venue's statement, once per side (tokens: a movement of the
-- venue's token account; cash: a counter top-up or payout at the venue). `amount` is signed for the
-- venue: + the federation owes it more.
create table ledger_settled_items (
  transfer_id uuid not null references ledger_transfers (id),
  side text not null check (side in ('tokens', 'cash')),
  currency_id uuid not null references ledger_currencies (id),
  place_id uuid not null references places (id),
  statement_id uuid not null,
  line text not null check (line in ('till_sales', 'tickets', 'memberships', 'other_received', 'refunds', 'other_paid',
    'cash_top_ups', 'cash_outs')),
  amount bigint not null check (amount <> 0 and amount between -1000000000000000 and 1000000000000000),
  -- Written before the period's start: it committed after an earlier run read (a sale racing it).
  late boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (transfer_id, side)
);
create index ledger_settled_items_statement on ledger_settled_items (statement_id);

-- The euro side of each settlement posting that touches issuance: + euros out of the reserve (cash a
-- venue keeps, the federation's fee, a payout to a venue), − euros into it (a remittance, cash a venue
-- advanced). One per posting.
create table ledger_settlement_euros (
  transfer_id uuid primary key references ledger_transfers (id),
  currency_id uuid not null references ledger_currencies (id),
  place_id uuid not null references places (id),
  statement_id uuid not null,
  kind text not null check (kind in ('cash_kept', 'fee', 'payout', 'remittance')),
  amount_cents bigint not null check (amount_cents <> 0 and amount_cents between -1000000000000000 and 1000000000000000),
  reference text not null check (length(reference) between 1 and 200),
  created_at timestamptz not null default now()
);
create index ledger_settlement_euros_currency on ledger_settlement_euros (currency_id);

create function settlement_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only (% refused)', tg_table_name, tg_op using errcode = 'raise_exception';
end;
$$;
create trigger ledger_settled_items_append_only before update or delete on ledger_settled_items
  for each row execute function settlement_append_only();
create trigger ledger_settled_items_no_truncate before truncate on ledger_settled_items
  for each statement execute function settlement_append_only();
create trigger ledger_settlement_euros_append_only before update or delete on ledger_settlement_euros
  for each row execute function settlement_append_only();
create trigger ledger_settlement_euros_no_truncate before truncate on ledger_settlement_euros
  for each statement execute function settlement_append_only();

-- 3. Settlement module.
create table settlement_treasurers (
  federation_id uuid not null references ledger_federations (id),
  person_id uuid not null references people (id),
  added_by uuid references people (id),
  created_at timestamptz not null default now(),
  primary key (federation_id, person_id)
);
create index settlement_treasurers_person on settlement_treasurers (person_id);

create table settlement_settings (
  federation_id uuid primary key references ledger_federations (id),
  -- The federation's fee on the tokens a venue settles, in basis points (150 = 1.5 %).
  fee_bps integer not null default 0 check (fee_bps between 0 and 2000),
  updated_at timestamptz not null default now()
);

create table settlement_runs (
  id uuid primary key,
  federation_id uuid not null references ledger_federations (id),
  currency_id uuid not null references ledger_currencies (id),
  -- [period_start, period_end): the previous run's end (null for the first run) to this one's.
  period_start timestamptz,
  period_end timestamptz not null,
  status text not null default 'running' check (status in ('running', 'complete')),
  started_by uuid references people (id),
  started_at timestamptz not null default now(),
  completed_at timestamptz,
  unique (federation_id, period_end),
  check (period_start is null or period_start < period_end),
  check ((status = 'complete') = (completed_at is not null))
);
-- At most one unfinished run per federation: it must be completed (resumed) before another starts.
create unique index settlement_runs_one_running on settlement_runs (federation_id) where status = 'running';

create table settlement_statements (
  id uuid primary key,
  run_id uuid not null references settlement_runs (id),
  federation_id uuid not null references ledger_federations (id),
  place_id uuid not null references places (id),
  currency_id uuid not null references ledger_currencies (id),
  number integer not null check (number >= 1),
  period_start timestamptz,
  period_end timestamptz not null,
  -- period_end, or the run's time when the statement took movements written after the end.
  covers_to timestamptz not null,
  opening_cents bigint not null,
  tokens_cents bigint not null check (tokens_cents >= 0),
  cash_cents bigint not null,
  fee_bps integer not null check (fee_bps between 0 and 2000),
  fee_cents bigint not null check (fee_cents >= 0),
  closing_cents bigint not null,
  lines jsonb not null,
  lines_sha256 text not null check (lines_sha256 ~ '^[0-9a-f]{64}$'),
  signature text not null,
  message_version smallint not null check (message_version = 1),
  created_by uuid references people (id),
  created_at timestamptz not null,
  unique (run_id, place_id),
  unique (federation_id, number),
  check (closing_cents = opening_cents + tokens_cents + cash_cents - fee_cents)
);
create index settlement_statements_place on settlement_statements (place_id, number);
create trigger settlement_statements_append_only before update or delete on settlement_statements
  for each row execute function settlement_append_only();
create trigger settlement_statements_no_truncate before truncate on settlement_statements
  for each statement execute function settlement_append_only();

-- A statement settled in euros: paid to the venue (SEPA by the treasurer, or a Stripe transfer) or
-- received from it. One per statement; a paid row never changes.
create table settlement_payouts (
  id uuid primary key,
  federation_id uuid not null references ledger_federations (id),
  statement_id uuid not null unique references settlement_statements (id),
  place_id uuid not null references places (id),
  direction text not null check (direction in ('to_venue', 'from_venue')),
  method text not null check (method in ('sepa', 'stripe')),
  amount_cents bigint not null check (amount_cents > 0),
  status text not null check (status in ('pending', 'paid', 'failed')),
  -- The bank reference of the transfer, or the Stripe transfer id (tr_…).
  reference text check (length(reference) between 1 and 200),
  paid_on date,
  -- The ledger posting (settlement_payout or settlement_remittance), once paid.
  transfer_id uuid references ledger_transfers (id),
  stripe_account text,
  attempts integer not null default 0 check (attempts >= 0),
  last_error text,
  recorded_by uuid references people (id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (status <> 'paid' or (reference is not null and transfer_id is not null)),
  -- Only a Stripe payout waits (pending) or fails; a bank transfer is recorded once made.
  check (method = 'stripe' or status = 'paid')
);
create unique index settlement_payouts_reference on settlement_payouts (federation_id, method, reference)
  where reference is not null;

create function settlement_payouts_paid_final() returns trigger language plpgsql as $$
begin
  if old.status = 'paid' then
    raise exception 'settlement payout % is paid: it never changes (% refused)', old.id, tg_op using errcode = 'raise_exception';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end;
$$;
create trigger settlement_payouts_final before update or delete on settlement_payouts
  for each row execute function settlement_payouts_paid_final();
