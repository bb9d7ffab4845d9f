-- Outgoing webhooks (docs/WEBHOOKS.md): endpoints per venue and an outbox of deliveries.

create table webhook_endpoints (
  place_id uuid not null references places (id) on delete cascade,
  id uuid not null,
  url text not null check (length(url) <= 500),
  events text[] not null,
  -- Kept as is (not hashed): it is the HMAC key every delivery is signed with.
  secret text not null,
  active boolean not null default true,
  created_at timestamptz not null default now(),
  primary key (place_id, id)
);

create table webhook_deliveries (
  place_id uuid not null,
  id uuid not null,
  endpoint_id uuid not null,
  -- The event's id, the same for every endpoint it goes to (Rezo-Event-Id).
  event_id uuid not null,
  type text not null,
  -- The exact JSON body sent and signed, fixed when the event happens.
  body text not null,
  -- pending: to be sent (again); sent: answered 2xx; failed: gave up after the last attempt.
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  status_code integer,
  error text,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  primary key (place_id, id),
  foreign key (place_id, endpoint_id) references webhook_endpoints (place_id, id) on delete cascade
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_endpoint on webhook_deliveries (place_id, endpoint_id, created_at desc);
