-- Ledger: blocks sealed by a single sealer instead of a per-transfer chain with a locked head
-- (docs/LEDGER.md, "Hash chain: blocks sealed by one sealer").
--
-- From now on a transfer is written with its own hash (canonical encoding v2, no position, no
-- previous hash) and a row in ledger_unsealed, in the transaction that creates it: no per-currency
-- lock on the commit path. The sealer (one at a time, elected by an advisory lock) moves the unsealed
-- transfers of each currency into a new block, in one transaction: the block row, one row per
-- transfer in ledger_block_transfers, and the deletion of their queue rows.
--
-- Transfers written before this migration keep their per-transfer chain (position, prev_hash, hash,
-- encoding v1) and are verified as before; the first block of a currency links to the head of that
-- legacy chain (ledger_chain_heads, frozen from now on), so the two form one chain.

-- New transfers have no chain position nor previous hash (both null); legacy ones have both.
alter table ledger_transfers alter column position drop not null;
alter table ledger_transfers alter column prev_hash drop not null;
alter table ledger_transfers add constraint ledger_transfers_legacy_chain check ((position is null) = (prev_hash is null));

-- The legacy chain is closed: nothing extends it any more.
drop function ledger_append(uuid, jsonb, text[], timestamptz);

-- Transfers committed but not sealed yet, in the order they were written. `seq` is taken while the
-- transfer's accounts are locked, so two transfers touching a common account get seqs in their
-- commit order; transfers whose seqs are out of commit order touch disjoint accounts and commute.
create table ledger_unsealed (
  transfer_id uuid primary key,
  currency_id uuid not null,
  seq bigint generated always as identity,
  created_at timestamptz not null default now()
);
create index ledger_unsealed_order on ledger_unsealed (currency_id, seq);

create table ledger_blocks (
  currency_id uuid not null references ledger_currencies (id),
  -- 1, 2, 3… per currency. The primary key makes two blocks with one number (a fork) impossible.
  number bigint not null check (number >= 1),
  -- Hash of the previous block; for block 1, the legacy chain's head hash (64 zeros when empty).
  prev_hash text not null,
  -- SHA-256 of the block's canonical line (docs/LEDGER.md, "Canonical encoding").
  hash text not null,
  -- SHA-256 over the hashes of its transfers, in block order.
  transfers_hash text not null,
  transfer_count int not null check (transfer_count >= 1),
  -- Positions in the currency's history: legacy transfers are 1..n, then each block continues.
  first_position bigint not null check (first_position >= 1),
  last_position bigint not null,
  first_transfer_id uuid not null,
  last_transfer_id uuid not null,
  -- −balance(issuance) after the block's transfers: what a checkpoint of this block signs.
  supply bigint not null,
  sealed_at timestamptz not null,
  primary key (currency_id, number),
  unique (currency_id, last_position),
  check (last_position = first_position + transfer_count - 1)
);

create table ledger_block_transfers (
  -- A transfer is sealed in one block only.
  transfer_id uuid primary key,
  currency_id uuid not null,
  block_number bigint not null,
  -- 0-based order inside the block.
  index int not null check (index >= 0),
  unique (currency_id, block_number, index),
  foreign key (currency_id, block_number) references ledger_blocks (currency_id, number)
);

-- Blocks and their contents are append-only, like transfers.
create function ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only (% refused)', tg_table_name, tg_op using errcode = 'raise_exception';
end;
$$;
create trigger ledger_blocks_no_update_delete before update or delete on ledger_blocks
  for each row execute function ledger_append_only();
create trigger ledger_blocks_no_truncate before truncate on ledger_blocks
  for each statement execute function ledger_append_only();
create trigger ledger_block_transfers_no_update_delete before update or delete on ledger_block_transfers
  for each row execute function ledger_append_only();
create trigger ledger_block_transfers_no_truncate before truncate on ledger_block_transfers
  for each statement execute function ledger_append_only();

-- Checkpoints now sign blocks: `block_number` is set for them (message version 2); `position` is the
-- block's last position (transfers sealed so far). Legacy checkpoints (block_number null) stay.
alter table ledger_checkpoints add column block_number bigint;
