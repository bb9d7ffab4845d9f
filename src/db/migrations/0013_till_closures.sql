-- Closures (Z reports) of the till: one per point of sale and business day, final and signed by the
-- node key. Rules: docs/CLOSURES.md (invariant 7 of docs/TILL.md).

create table till_closures (
  id uuid primary key,
  place_id uuid not null references places (id),
  point_id uuid not null,
  business_day date not null,
  -- The venue's journal head when the closure was made: the closure covers the lines of this point
  -- and day up to this position (all of them: later lines of a closed day are refused).
  journal_head_position bigint not null check (journal_head_position >= 0),
  journal_head_hash text not null check (journal_head_hash ~ '^[0-9a-f]{64}$'),
  -- First and last journal positions of the lines summed (null when the day had no line at this point).
  first_position bigint,
  last_position bigint,
  line_count integer not null check (line_count >= 0),
  -- The totals (docs/CLOSURES.md, "Totals"), and the SHA-256 of their canonical JSON that the signature covers.
  totals jsonb not null,
  totals_sha256 text not null check (totals_sha256 ~ '^[0-9a-f]{64}$'),
  -- Minor units. Expected = Σ cash payment lines (signed); difference = counted − expected.
  expected_cash_cents bigint not null,
  counted_cash_cents bigint not null check (counted_cash_cents >= 0),
  difference_cents bigint not null,
  note text not null default '' check (length(note) <= 500),
  -- Who closed: a person (a cashier or admin), or a venue API key with the till scope.
  closed_by uuid references people (id),
  closed_by_api_key uuid,
  closed_at timestamptz not null,
  -- Ed25519 signature (base64url) by the node key over the canonical message of this version.
  signature text not null,
  message_version integer not null check (message_version = 1),
  unique (place_id, point_id, business_day),
  foreign key (place_id, point_id) references pos_points (place_id, id),
  check (difference_cents = counted_cash_cents - expected_cash_cents),
  check ((first_position is null) = (line_count = 0) and (last_position is null) = (line_count = 0)),
  check (last_position is null or (first_position <= last_position and last_position <= journal_head_position))
);
create index till_closures_place_day on till_closures (place_id, business_day desc);

-- Final: no UPDATE, DELETE or TRUNCATE, like the journal.
create function till_closures_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'till_closures is append-only (% refused)', tg_op using errcode = 'raise_exception';
end;
$$;
create trigger till_closures_no_update_delete before update or delete on till_closures
  for each row execute function till_closures_append_only();
create trigger till_closures_no_truncate before truncate on till_closures
  for each statement execute function till_closures_append_only();

-- Backstop: a journal line of a closed point and day is refused. The sale engine checks first
-- (assertDayOpen, a clean 409 till-day-closed) under the venue's journal head lock, which the
-- closure holds too, so this trigger only fires if that check was skipped.
create function till_journal_day_open() returns trigger language plpgsql as $$
begin
  if exists (select 1 from till_closures c
             where c.place_id = new.place_id and c.point_id = new.point_id and c.business_day = new.business_day) then
    raise exception 'till day % of point % is closed', new.business_day, new.point_id using errcode = 'raise_exception';
  end if;
  return new;
end;
$$;
create trigger till_journal_day_open before insert on till_journal
  for each row execute function till_journal_day_open();
