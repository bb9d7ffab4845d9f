-- Money-path fixes of the till and the ledger (issue 12, findings 3, 4, 5, 6, 10, 12 and the till's
-- amount bounds). Rules: docs/LEDGER.md, docs/TILL.md, docs/CLOSURES.md, docs/POINTS-OF-SALE.md.

-- 1. Holds the expiry job could not void (docs/LEDGER.md, "Expiry of holds"): each hold is voided on
--    its own; a failure is recorded here and retried later (1 min, 2, 4… at most 1 h apart) so one bad
--    hold never stops the batch, and failing holds cannot fill it. Typed in src/ledger/tables.ts.
create table ledger_hold_expiry_failures (
  hold_id uuid primary key references ledger_transfers (id),
  attempts integer not null check (attempts >= 1),
  last_error text not null check (length(last_error) <= 500),
  failed_at timestamptz not null,
  retry_at timestamptz not null
);

-- 2. A cash-out at a counter is recorded with the venue that paid it (docs/TILL.md, "Cash-out"): a
--    venue pays out only the federated euro of its federation and its own local euro.
alter table ledger_payouts add column place_id uuid references places (id);
