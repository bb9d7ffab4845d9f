-- Cancellation by the holder: how long before the event's earliest date of an order its buyer may
-- still cancel it. No row: only the venue cancels. See docs/TICKETING.md, "Cancellation and refunds".

create table cancellation_policies (
  place_id uuid not null,
  event_id uuid not null,
  holder_deadline_hours integer not null check (holder_deadline_hours between 0 and 8760),
  updated_at timestamptz not null default now(),
  primary key (place_id, event_id),
  foreign key (place_id, event_id) references events (place_id, id) on delete cascade
);
