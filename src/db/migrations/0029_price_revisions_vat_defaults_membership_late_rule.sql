-- Issue 16 §5: prices edited under a guard, VAT defaults by territory, late-year memberships.

-- 1. A ticket price's revision moves with every edit and with closing or reopening it. An order reads
--    the prices (unlocked), then takes its seats in one statement that locks the prices' rows and
--    checks the revision it read is still theirs (docs/TICKETING.md, invariant 22): a sale never
--    writes a price, VAT or kind that an edit committed meanwhile replaced.
alter table ticket_prices add column revision integer not null default 0 check (revision >= 0);

-- 2. The VAT rates a new price or article gets by default, by the venue's location: its country
--    (ISO 3166-1 alpha-2, places.country) and, where one country has several regimes, the start of
--    its postal code (974 = La Réunion, a French overseas department whose venues may be entered
--    as country FR). The longest matching prefix wins; '' matches every postal code of the country.
--    Rates in basis points: `show_bp` for show tickets (billetterie spectacle), `standard_bp` for the
--    rest. Data, not code: an operator adds a territory with one row (docs/TICKETING.md, "VAT").
create table vat_defaults (
  country text not null check (country ~ '^[A-Z]{2}$'),
  postal_prefix text not null default '' check (postal_prefix ~ '^[0-9A-Z]{0,5}$'),
  show_bp integer not null check (show_bp between 0 and 10000),
  standard_bp integer not null check (standard_bp between 0 and 10000),
  primary key (country, postal_prefix)
);
insert into vat_defaults (country, postal_prefix, show_bp, standard_bp) values
  ('FR', '', 550, 2000),
  ('FR', '971', 210, 850),
  ('FR', '972', 210, 850),
  ('FR', '974', 210, 850),
  ('RE', '', 210, 850),
  ('GP', '', 210, 850),
  ('MQ', '', 210, 850);

-- 3. A calendar-year membership bought late in the year (docs/MEMBERSHIPS.md): from the day
--    `late_from` ('MM-DD') of the year on, either its price is cut in proportion to the days left
--    (`pro_rata`), or it runs to the end of the NEXT year at the full price (`next_year`). 'none':
--    no rule (to 31 December at the full price, as before).
alter table membership_products
  add column late_rule text not null default 'none' check (late_rule in ('none', 'pro_rata', 'next_year')),
  add column late_from text check (late_from is null or late_from ~ '^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'),
  add constraint membership_products_late_rule_applies
    check (late_rule = 'none' or (validity_kind = 'calendar_year' and late_from is not null));
