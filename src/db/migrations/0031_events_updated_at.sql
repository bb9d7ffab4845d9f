-- The federation's publishing job reads events changed since its cursor every 30 s
-- (agenda/events.ts eventsChangedSince): an index so that it does not read every event each round.
create index events_updated_at on events (updated_at);
