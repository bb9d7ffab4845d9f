-- Live availability between nodes (docs/FEDERATION.md, "Live availability").
-- What each published event date was last sent as: its availability band (federation/availabilityBands.ts;
-- null on rows sent before: adopted silently at the first check), when the last threshold Update left
-- (the 5-minute debounce), the `updated` last sent (every Update carries a later one, so receivers never
-- drop it as "not newer"), and the date's start (only dates to come are checked).
alter table federation_published add column availability_band text check (length(availability_band) <= 20);
alter table federation_published add column availability_sent_at timestamptz;
alter table federation_published add column object_updated timestamptz;
alter table federation_published add column starts_at timestamptz;
create index federation_published_live on federation_published (starts_at) where deleted_at is null;

-- Received events: the availability last known (from the object, or polled from its origin), its time on
-- the origin's clock, the origin's signed-GET endpoint when the origin is a Rezo node, and the last poll.
alter table federation_remote_events add column remaining integer check (remaining >= 0);
alter table federation_remote_events add column availability text check (availability in ('in_stock', 'limited', 'sold_out'));
alter table federation_remote_events add column availability_as_of timestamptz;
alter table federation_remote_events add column availability_url text check (length(availability_url) <= 2048);
alter table federation_remote_events add column availability_checked_at timestamptz;
