-- Received events shown in the agenda (docs/FEDERATION.md, "Built in session 7: remote events in the
-- local agenda"): a stable local id (the remote object id hashed: the page /agenda/remote/<local_id>,
-- the agenda's cursor and the feeds' UID), and since when no local actor follows the event's origin
-- (the clean-up deletes such rows a day later).
alter table federation_remote_events
  add column local_id uuid generated always as (md5(id)::uuid) stored;
alter table federation_remote_events add column unfollowed_since timestamptz;
create unique index federation_remote_events_local_id on federation_remote_events (local_id);
create index federation_remote_events_start_local on federation_remote_events (starts_at, local_id);
