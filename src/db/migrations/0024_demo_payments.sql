-- The demonstration payment provider (docs/PAYMENTS.md, "Demo provider"): a node in development
-- without Stripe takes pretend payments on its own page. Its payments are `demo`, and so is the
-- reference a demo top-up is minted against (and paid back with), never mixed with real euros.
alter table payments drop constraint payments_provider_check;
alter table payments add constraint payments_provider_check
  check (provider in ('stripe', 'on_site', 'wallet', 'demo'));
alter table ledger_payment_references drop constraint ledger_payment_references_provider_check;
alter table ledger_payment_references add constraint ledger_payment_references_provider_check
  check (provider in ('stripe', 'cash', 'transfer', 'card_terminal', 'demo'));
alter table ledger_payouts drop constraint ledger_payouts_provider_check;
alter table ledger_payouts add constraint ledger_payouts_provider_check
  check (provider in ('stripe', 'cash', 'transfer', 'card_terminal', 'demo'));
