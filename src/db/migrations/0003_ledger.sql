-- Ledger: federations, currencies, accounts, append-only transfers with a per-currency hash chain,
-- payment references (backing), signed checkpoints, devices. The invariants and how each is enforced
-- are in docs/LEDGER.md.

create table ledger_federations (
  id uuid primary key,
  slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  name text not null check (length(name) between 1 and 120),
  created_at timestamptz not null default now()
);

create table ledger_federation_places (
  federation_id uuid not null references ledger_federations (id),
  place_id uuid not null references places (id),
  created_at timestamptz not null default now(),
  primary key (federation_id, place_id)
);
create index ledger_federation_places_place on ledger_federation_places (place_id);

create table ledger_currencies (
  id uuid primary key,
  code text not null unique check (code ~ '^[A-Z0-9]{2,12}$'),
  name text not null check (length(name) between 1 and 80),
  kind text not null check (kind in ('federated_euro', 'local_euro', 'gift', 'time', 'loyalty', 'membership')),
  decimals smallint not null check (decimals between 0 and 6),
  -- Backed by euros held by the issuer: minted only against a recorded euro payment.
  euro_backed boolean not null,
  issuer_federation_id uuid references ledger_federations (id),
  issuer_place_id uuid references places (id),
  status text not null default 'active' check (status in ('active', 'archived')),
  created_at timestamptz not null default now(),
  -- Exactly one issuer: the federation (its token) or a venue (its own currencies).
  check ((issuer_federation_id is null) <> (issuer_place_id is null)),
  check ((kind = 'federated_euro') = (issuer_federation_id is not null)),
  check (euro_backed = (kind in ('federated_euro', 'local_euro')))
);
-- One federated euro token per federation.
create unique index ledger_currencies_one_token on ledger_currencies (issuer_federation_id) where kind = 'federated_euro';

create table ledger_currency_places (
  currency_id uuid not null references ledger_currencies (id),
  place_id uuid not null references places (id),
  created_at timestamptz not null default now(),
  primary key (currency_id, place_id)
);
create index ledger_currency_places_place on ledger_currency_places (place_id);

create table ledger_accounts (
  id uuid primary key,
  currency_id uuid not null references ledger_currencies (id),
  owner_kind text not null check (owner_kind in ('person', 'card', 'place', 'system')),
  -- The owner's id (person, card, place) or, for system accounts, its role.
  owner_ref text not null,
  -- Lowest allowed available balance; null = unbounded below (issuance accounts mirror what was issued).
  floor bigint,
  balance bigint not null default 0,
  -- Reserved by holds (pending transfers) not yet posted or voided.
  pending_debits bigint not null default 0 check (pending_debits >= 0),
  created_at timestamptz not null default now(),
  unique (currency_id, owner_kind, owner_ref),
  check (owner_kind <> 'system' or owner_ref in ('issuance', 'reserve', 'clearing', 'demurrage')),
  check (owner_kind = 'system' or floor = 0),
  -- Rule 1: no balance below its floor. The use case checks first (clear error); this is the backstop.
  check (floor is null or balance - pending_debits >= floor)
);
create index ledger_accounts_owner on ledger_accounts (owner_kind, owner_ref);

create table ledger_chain_heads (
  currency_id uuid primary key references ledger_currencies (id),
  position bigint not null default 0 check (position >= 0),
  hash text not null default repeat('0', 64),
  updated_at timestamptz not null default now()
);

create table ledger_transfers (
  -- Chosen by the client: the idempotency key.
  id uuid primary key,
  currency_id uuid not null references ledger_currencies (id),
  position bigint not null check (position >= 1),
  prev_hash text not null,
  hash text not null,
  phase text not null check (phase in ('single', 'pending', 'post', 'void')),
  kind text not null check (kind ~ '^[a-z_]{2,30}$'),
  debit_account_id uuid not null references ledger_accounts (id),
  credit_account_id uuid not null references ledger_accounts (id),
  amount bigint not null check (amount > 0),
  -- post/void: the hold they resolve.
  pending_id uuid references ledger_transfers (id),
  -- pending: when the hold expires.
  expires_at timestamptz,
  -- Linked transfers share a batch id: committed together or not at all.
  batch_id uuid,
  -- Who authorised it: person, device, api_key, node.
  authorised_by text not null check (authorised_by in ('person', 'device', 'api_key', 'node')),
  authoriser_id text not null default '',
  place_id uuid references places (id),
  device_signature jsonb,
  metadata jsonb not null default '{}',
  -- SHA-256 of the request that made this transfer (idempotency: same id + same body = same result).
  request_sha256 text not null,
  created_at timestamptz not null,
  unique (currency_id, position),
  check (debit_account_id <> credit_account_id),
  check ((phase in ('post', 'void')) = (pending_id is not null)),
  check ((phase = 'pending') = (expires_at is not null))
);
-- A hold is posted or voided exactly once.
create unique index ledger_transfers_resolves on ledger_transfers (pending_id) where pending_id is not null;
create index ledger_transfers_debit on ledger_transfers (debit_account_id, created_at desc, id desc);
create index ledger_transfers_credit on ledger_transfers (credit_account_id, created_at desc, id desc);
create index ledger_transfers_open_holds on ledger_transfers (expires_at) where phase = 'pending';

-- Rule 3: transfers are append-only. Corrections are new transfers.
create function ledger_transfers_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'ledger_transfers is append-only (% refused)', tg_op using errcode = 'raise_exception';
end;
$$;
create trigger ledger_transfers_no_update_delete before update or delete on ledger_transfers
  for each row execute function ledger_transfers_append_only();
create trigger ledger_transfers_no_truncate before truncate on ledger_transfers
  for each statement execute function ledger_transfers_append_only();

-- Rule 2: a transfer moves money between two accounts of its own currency.
create function ledger_transfers_same_currency() returns trigger language plpgsql as $$
begin
  if (select count(*) from ledger_accounts
       where id in (new.debit_account_id, new.credit_account_id) and currency_id = new.currency_id) <> 2 then
    raise exception 'transfer % moves between accounts of another currency', new.id using errcode = 'check_violation';
  end if;
  return new;
end;
$$;
create trigger ledger_transfers_currency before insert on ledger_transfers
  for each row execute function ledger_transfers_same_currency();

-- Rule 7: appends transfers of one currency to its hash chain, in one round trip. The head row is
-- locked here and stays locked until the caller commits, so no two transactions extend the same
-- head: forks are impossible by construction. The application computes each transfer's canonical
-- prefix (docs/LEDGER.md, "Canonical encoding"); the position and the previous hash, known only
-- under the lock, are appended here. The verifier recomputes the same hash in TypeScript.
create function ledger_append(p_currency_id uuid, p_rows jsonb, p_prefixes text[], p_at timestamptz)
  returns table (transfer_id uuid, chain_position bigint, chain_prev_hash text, chain_hash text)
  language plpgsql as $$
declare
  v_position bigint;
  v_hash text;
  v_prev text;
  v_row jsonb;
  v_index int := 0;
begin
  select h.position, h.hash into v_position, v_hash from ledger_chain_heads h where h.currency_id = p_currency_id for update;
  if not found then
    raise exception 'currency % has no chain head', p_currency_id;
  end if;
  for v_row in select value from jsonb_array_elements(p_rows) loop
    v_index := v_index + 1;
    v_position := v_position + 1;
    v_prev := v_hash;
    v_hash := encode(sha256(convert_to(p_prefixes[v_index] || v_position::text || '|' || v_prev, 'UTF8')), 'hex');
    insert into ledger_transfers (id, currency_id, position, prev_hash, hash, phase, kind, debit_account_id, credit_account_id,
      amount, pending_id, expires_at, batch_id, authorised_by, authoriser_id, place_id, device_signature, metadata, request_sha256, created_at)
    values ((v_row->>'id')::uuid, p_currency_id, v_position, v_prev, v_hash, v_row->>'phase', v_row->>'kind',
      (v_row->>'debit_account_id')::uuid, (v_row->>'credit_account_id')::uuid, (v_row->>'amount')::bigint,
      (v_row->>'pending_id')::uuid, (v_row->>'expires_at')::timestamptz, (v_row->>'batch_id')::uuid, v_row->>'authorised_by',
      v_row->>'authoriser_id', (v_row->>'place_id')::uuid, nullif(v_row->'device_signature', 'null'::jsonb), v_row->'metadata', v_row->>'request_sha256', p_at);
    transfer_id := (v_row->>'id')::uuid;
    chain_position := v_position;
    chain_prev_hash := v_prev;
    chain_hash := v_hash;
    return next;
  end loop;
  update ledger_chain_heads set position = v_position, hash = v_hash, updated_at = p_at where currency_id = p_currency_id;
end;
$$;

-- Rule 5: euro payments a mint was made against, each usable once.
create table ledger_payment_references (
  provider text not null check (provider in ('stripe', 'cash', 'transfer')),
  reference text not null check (length(reference) between 1 and 200),
  currency_id uuid not null references ledger_currencies (id),
  amount_cents bigint not null check (amount_cents > 0),
  transfer_id uuid not null references ledger_transfers (id),
  place_id uuid references places (id),
  cashier_person_id uuid references people (id),
  device_id uuid,
  created_at timestamptz not null default now(),
  primary key (provider, reference)
);

create table ledger_payouts (
  provider text not null check (provider in ('stripe', 'cash', 'transfer')),
  reference text not null check (length(reference) between 1 and 200),
  payment_provider text not null,
  payment_reference text not null,
  amount_cents bigint not null check (amount_cents > 0),
  transfer_id uuid not null references ledger_transfers (id),
  created_at timestamptz not null default now(),
  primary key (provider, reference),
  foreign key (payment_provider, payment_reference) references ledger_payment_references (provider, reference)
);

create table ledger_checkpoints (
  currency_id uuid not null references ledger_currencies (id),
  position bigint not null check (position >= 1),
  head_hash text not null,
  supply bigint not null,
  signed_at timestamptz not null,
  signature text not null,
  primary key (currency_id, position)
);

create table ledger_devices (
  place_id uuid not null references places (id),
  id uuid not null,
  name text not null check (length(name) between 1 and 80),
  kind text not null check (kind in ('till', 'scanner')),
  -- Ed25519 public key, SPKI DER, base64.
  public_key text not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  primary key (place_id, id)
);

create table ledger_device_nonces (
  place_id uuid not null,
  device_id uuid not null,
  nonce text not null,
  seen_at timestamptz not null default now(),
  primary key (place_id, device_id, nonce),
  foreign key (place_id, device_id) references ledger_devices (place_id, id)
);
