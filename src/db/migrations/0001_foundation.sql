-- Foundation: node settings, people, sessions, login tokens, places (venues), team, API keys,
-- media, mail outbox and audit log.
-- IDs are UUIDv7 made by the application (time-ordered, not guessable for private things).

create table node_settings (
  key text primary key,
  value text not null,
  created_at timestamptz not null default now()
);

create table people (
  id uuid primary key,
  email text not null,
  name text not null default '',
  language text not null default 'fr' check (language in ('fr', 'en')),
  is_operator boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- One account per person across the node: e-mails compare case-insensitively.
create unique index people_email_key on people (lower(email));

create table login_tokens (
  token_hash bytea primary key,
  email text not null,
  -- Where to go after login (a local path only).
  next_path text,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  request_ip text,
  -- Links asked for by the person through the login form count toward the per-address limit;
  -- links made for them (invitations, the CLI) do not.
  requested boolean not null default true
);
create index login_tokens_email_created on login_tokens (lower(email), created_at);

create table sessions (
  token_hash bytea primary key,
  person_id uuid not null references people (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  last_seen_at timestamptz not null default now()
);
create index sessions_person on sessions (person_id);

create table places (
  id uuid primary key,
  slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) between 2 and 60),
  name text not null check (length(name) between 1 and 120),
  description text not null default '',
  street text not null default '',
  postal_code text not null default '',
  city text not null default '',
  country text not null default 'FR',
  latitude double precision check (latitude between -90 and 90),
  longitude double precision check (longitude between -180 and 180),
  timezone text not null default 'Indian/Reunion',
  language text not null default 'fr' check (language in ('fr', 'en')),
  contact_email text not null default '',
  contact_phone text not null default '',
  website text not null default '',
  logo_media_id uuid,
  cover_media_id uuid,
  modules text[] not null default '{agenda}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check ((latitude is null) = (longitude is null))
);

create table place_members (
  place_id uuid not null references places (id) on delete cascade,
  person_id uuid not null references people (id) on delete cascade,
  role text not null check (role in ('admin', 'editor', 'cashier', 'door')),
  created_at timestamptz not null default now(),
  primary key (place_id, person_id)
);
create index place_members_person on place_members (person_id);

create table api_keys (
  place_id uuid not null references places (id) on delete cascade,
  id uuid not null,
  name text not null check (length(name) between 1 and 80),
  -- The first characters of the key, shown in lists so a person can tell keys apart.
  prefix text not null,
  key_hash bytea not null unique,
  scopes text[] not null,
  created_by uuid references people (id) on delete set null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  primary key (place_id, id)
);

create table media (
  place_id uuid not null references places (id) on delete cascade,
  id uuid not null,
  content_type text not null,
  byte_size integer not null check (byte_size > 0),
  sha256 text not null,
  width integer,
  height integer,
  bytes bytea not null,
  created_at timestamptz not null default now(),
  primary key (place_id, id)
);
create unique index media_id on media (id);

create table mail_outbox (
  id uuid primary key,
  to_address text not null,
  subject text not null,
  text_body text not null,
  html_body text,
  language text not null,
  -- pending: to be sent by SMTP; kept: no SMTP configured, kept here (and logged); sent; failed.
  status text not null check (status in ('pending', 'kept', 'sent', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index mail_outbox_to on mail_outbox (lower(to_address), created_at desc);
create index mail_outbox_pending on mail_outbox (next_attempt_at) where status = 'pending';

create table audit_log (
  id uuid primary key,
  place_id uuid,
  actor_person_id uuid,
  actor_api_key_id uuid,
  action text not null,
  subject_id uuid,
  data jsonb not null default '{}',
  at timestamptz not null default now()
);
create index audit_log_place on audit_log (place_id, at desc);
