-- Ledger witnessing between nodes (docs/FEDERATION.md, "Ledger witnessing"; docs/LEDGER.md,
-- "Transparency logs"). Every table belongs to the ledger module.

-- The node as a log: one C2SP checkpoint (signed note: origin, size, root) per currency and size. The
-- leaves are the currency's sealed blocks 1..size; a checkpoint is never changed.
create table ledger_log_checkpoints (
  currency_id uuid not null references ledger_currencies (id),
  size bigint not null check (size >= 1),
  -- RFC 6962 root of the first `size` block leaves, lowercase hex.
  root_hash text not null check (root_hash ~ '^[0-9a-f]{64}$'),
  note text not null,
  signed_at timestamptz not null,
  primary key (currency_id, size)
);

-- The peers that witness this node's logs, pinned by an operator: the witness key checks what they return.
create table ledger_log_witnesses (
  -- The witness's key name, `<host>/rezo/witness`.
  name text primary key,
  verifier_key text not null,
  url text not null,
  -- The sending job's retries (docs/FEDERATION.md, "The log side"): backoff after a failure.
  attempts int not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  created_at timestamptz not null default now()
);

-- Cosignatures received for the node's checkpoints (a cosignature/v1 signature line and its time).
create table ledger_log_cosignatures (
  currency_id uuid not null,
  size bigint not null,
  witness_name text not null references ledger_log_witnesses (name),
  signature_line text not null,
  cosigned_at timestamptz not null,
  received_at timestamptz not null default now(),
  primary key (currency_id, size, witness_name),
  foreign key (currency_id, size) references ledger_log_checkpoints (currency_id, size)
);

-- The node as a witness: one row per peer log it cosigns, its pinned key, and the last checkpoint
-- cosigned. The row is locked (for update) for each add-checkpoint: the size never goes backwards.
create table ledger_witness_logs (
  origin text primary key,
  verifier_key text not null,
  -- The peer node's base URL: where its leaves are fetched and evidence is sent.
  peer_url text not null,
  size bigint not null default 0 check (size >= 0),
  root_hash text check (root_hash ~ '^[0-9a-f]{64}$'),
  checkpoint text,
  -- This witness's cosignature line of that checkpoint (served with it to the other peers).
  cosignature text,
  cosigned_at timestamptz,
  -- 'equivocated': evidence is held against the log, nothing more is cosigned.
  status text not null default 'active' check (status in ('active', 'equivocated')),
  created_at timestamptz not null default now(),
  check ((size = 0) = (checkpoint is null))
);

-- Evidence of equivocation (fork, inconsistent) that anyone re-checks with the log's key alone; and
-- rollbacks (an alarm, not a proof). Append-only, like the ledger.
create table ledger_witness_evidence (
  id uuid primary key,
  origin text not null,
  kind text not null check (kind in ('fork', 'inconsistent', 'rollback')),
  evidence jsonb not null,
  -- SHA-256 of the evidence's canonical JSON: the same evidence received twice is kept once.
  digest text not null unique,
  -- Null: found by this node; else the address of the peer that sent it.
  received_from text,
  created_at timestamptz not null default now()
);
create index ledger_witness_evidence_origin on ledger_witness_evidence (origin, created_at);

create trigger ledger_log_checkpoints_no_update_delete before update or delete on ledger_log_checkpoints
  for each row execute function ledger_append_only();
create trigger ledger_witness_evidence_no_update_delete before update or delete on ledger_witness_evidence
  for each row execute function ledger_append_only();
