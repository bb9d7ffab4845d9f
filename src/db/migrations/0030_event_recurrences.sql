-- Recurring events (docs/AGENDA.md, "Recurrence"): the rule an event's dates were written out from,
-- kept so that the form can show it again and a change of rule can add and remove dates. The dates
-- themselves stay rows of event_dates (tickets, check-in and feeds name a date by its id); the rule is
-- validated and written out in code (src/agenda/recurrence.ts), so it is stored as one JSON object.
create table event_recurrences (
  place_id uuid not null,
  event_id uuid not null,
  rule jsonb not null check (jsonb_typeof(rule) = 'object'),
  updated_at timestamptz not null default now(),
  primary key (place_id, event_id),
  foreign key (place_id, event_id) references events (place_id, id) on delete cascade
);
