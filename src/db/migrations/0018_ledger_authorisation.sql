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
