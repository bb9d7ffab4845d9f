-- Federation between nodes over ActivityPub (docs/FEDERATION.md, "Data model"). Owned by src/federation/.
-- Ledger witnessing's tables are the ledger module's, not here.

-- Each local actor's key pairs (the instance actor 'relay', or a venue's id), made on first use, as JWK.
-- RSA-2048 signs HTTP requests (draft-cavage, #main-key); Ed25519 is for object proofs (#key-2).
create table federation_actor_keys (
  actor text primary key check (length(actor) <= 64),
  rsa_private jsonb not null,
  rsa_public jsonb not null,
  ed25519_private jsonb not null,
  ed25519_public jsonb not null,
  created_at timestamptz not null default now()
);

-- Fedify's KvStore: cached remote keys and documents, inbox idempotence keys. Expired rows read as absent.
create table federation_kv (
  key text[] primary key,
  value jsonb not null,
  expires_at timestamptz
);
create index federation_kv_expires on federation_kv (expires_at) where expires_at is not null;

-- Fedify's MessageQueue (src/federation/messageQueue.ts); unused while deliveries go through federation_outbox.
create table federation_queue (
  id bigint generated always as identity primary key,
  message jsonb not null,
  not_before timestamptz not null default now()
);
create index federation_queue_due on federation_queue (not_before, id);

-- Remote actors met (followers, followed), with where to deliver to them.
create table federation_remote_actors (
  id text primary key check (length(id) <= 2048),
  type text not null,
  inbox text not null check (length(inbox) <= 2048),
  shared_inbox text check (length(shared_inbox) <= 2048),
  handle text,
  host text not null,
  name text not null default '',
  fetched_at timestamptz not null default now(),
  blocked boolean not null default false
);

-- Who follows a local actor. pending: waits for an operator (instance actor only).
create table federation_followers (
  local_actor text not null,
  remote_actor text not null references federation_remote_actors (id) on delete cascade,
  state text not null check (state in ('pending', 'accepted')),
  follow_activity_id text not null,
  created_at timestamptz not null default now(),
  primary key (local_actor, remote_actor)
);

-- What a local actor follows, with the agenda's tag rules. pending until the remote Accept.
create table federation_follows (
  local_actor text not null,
  remote_actor text not null references federation_remote_actors (id) on delete cascade,
  state text not null check (state in ('pending', 'accepted', 'rejected')),
  follow_activity_id text not null unique,
  include_tags text[] not null default '{}',
  exclude_tags text[] not null default '{}',
  created_at timestamptz not null default now(),
  primary key (local_actor, remote_actor)
);

-- Events received from followed actors, raw as received (parsed fields come with the agenda's union).
create table federation_remote_events (
  id text primary key check (length(id) <= 2048),
  origin_actor text not null,
  raw jsonb not null,
  updated timestamptz,
  removed_by_operator boolean not null default false,
  received_at timestamptz not null default now()
);

-- Activity ids applied, so an activity delivered again (even days later) is applied once.
create table federation_inbox_seen (
  activity_id text primary key check (length(activity_id) <= 2048),
  seen_at timestamptz not null default now()
);

-- Durable deliveries: one row per (activity, inbox), signed at send time, retried with backoff.
create table federation_outbox (
  id uuid primary key,
  activity_id text not null,
  sender text not null,
  inbox text not null check (length(inbox) <= 2048),
  body jsonb not null,
  created_at timestamptz not null default now(),
  state text not null default 'pending' check (state in ('pending', 'sent', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_status integer,
  last_error text,
  sent_at timestamptz,
  unique (activity_id, inbox)
);
create index federation_outbox_due on federation_outbox (next_attempt_at) where state = 'pending';

-- What each local Event object (one per event date) was last sent as: Create first, then Update, Delete once.
create table federation_published (
  object_id uuid primary key,
  place_id uuid not null,
  event_id uuid not null,
  sequence integer not null,
  deleted_at timestamptz,
  updated_at timestamptz not null default now()
);
create index federation_published_event on federation_published (event_id);

-- Remote hosts or actors blocked by an operator (design: moderation is not wired yet).
create table federation_blocks (
  target text primary key check (length(target) <= 2048),
  kind text not null check (kind in ('host', 'actor')),
  created_at timestamptz not null default now()
);

-- Accepted Joins on free events (design: Join is not wired yet).
create table federation_joins (
  object_id uuid not null,
  remote_actor text not null,
  join_activity_id text not null,
  created_at timestamptz not null default now(),
  primary key (object_id, remote_actor)
);
