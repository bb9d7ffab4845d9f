-- Received events: the fields parsed from the raw JSON (federation/parseRemoteEvent.ts) beside it, so
-- the agenda reads remote events by date and tag without parsing JSON (docs/FEDERATION.md).
-- Rows stored before have `parsed` null (raw only) until their next Update.
alter table federation_remote_events add column parsed jsonb;
alter table federation_remote_events add column starts_at timestamptz;
alter table federation_remote_events add column ends_at timestamptz;
alter table federation_remote_events add column tags text[] not null default '{}';
alter table federation_remote_events add column sequence integer;
create index federation_remote_events_starts_at on federation_remote_events (starts_at);
