-- The opening float of a closure (docs/CLOSURES.md): the cash put in the drawer before the day's
-- first sale. The cash expected in the drawer is then float + cash payment lines, and
-- difference = counted − float − expected. Closures signed before (message version 1) have no float.
alter table till_closures add column opening_float_cents bigint not null default 0
  check (opening_float_cents >= 0 and opening_float_cents <= 1000000000);

-- The difference and version checks of 0013 were unnamed: found by their definition, replaced by named ones.
do $$
declare
  c record;
begin
  for c in select conname, pg_get_constraintdef(oid) as def from pg_constraint
           where conrelid = 'till_closures'::regclass and contype = 'c' loop
    if c.def like '%difference_cents = (counted_cash_cents - expected_cash_cents)%' or c.def like '%message_version = 1%' then
      execute format('alter table till_closures drop constraint %I', c.conname);
    end if;
  end loop;
end $$;

alter table till_closures
  add constraint till_closures_difference check (difference_cents = counted_cash_cents - opening_float_cents - expected_cash_cents),
  add constraint till_closures_message_version check (message_version in (1, 2)),
  add constraint till_closures_v1_no_float check (message_version >= 2 or opening_float_cents = 0);
