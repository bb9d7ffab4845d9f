-- Agenda: events with their dates and tags, per-venue agenda settings, venue-to-venue follows and
-- tag follows. Every table is owned by a venue (place_id first in the key).

-- Agenda settings of a venue that are not foundation settings (kept here so the places table stays
-- the foundation's). A venue without a row has the defaults.
create table agenda_settings (
  place_id uuid primary key references places (id) on delete cascade,
  -- Logged-in visitors may propose events to this venue (they arrive as pending drafts).
  accepts_proposals boolean not null default false,
  updated_at timestamptz not null default now()
);

-- Joins a list of names into text for the search vector. array_to_string is only STABLE (it calls
-- type output functions), but on text[] it depends on nothing that changes, so IMMUTABLE is true
-- here and lets a generated column use it.
create function agenda_join_names(names text[]) returns text
  language sql immutable parallel safe
  as $$ select coalesce(array_to_string(names, ' '), '') $$;

create table events (
  place_id uuid not null references places (id) on delete cascade,
  id uuid not null,
  -- Unique in the node: /events/<slug> names one event.
  slug text not null check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) between 2 and 80),
  title text not null check (length(title) between 1 and 200),
  description_md text not null default '' check (length(description_md) <= 20000),
  -- Rendered from description_md and sanitised on every write; pages show this, never the Markdown raw.
  description_html text not null default '',
  state text not null default 'draft' check (state in ('draft', 'published', 'cancelled', 'postponed')),
  visibility text not null default 'public' check (visibility in ('public', 'unlisted', 'private')),
  -- Location: at the venue (its address), or somewhere else given here.
  at_venue boolean not null default true,
  location_name text not null default '' check (length(location_name) <= 200),
  street text not null default '' check (length(street) <= 200),
  postal_code text not null default '' check (length(postal_code) <= 20),
  city text not null default '' check (length(city) <= 100),
  country text not null default 'FR' check (country ~ '^[A-Z]{2}$'),
  latitude double precision check (latitude between -90 and 90),
  longitude double precision check (longitude between -180 and 180),
  organisers text[] not null default '{}',
  performers text[] not null default '{}',
  accessibility text not null default '' check (length(accessibility) <= 2000),
  external_url text not null default '' check (length(external_url) <= 500),
  capacity integer check (capacity > 0),
  -- Price hint in minor units: null = not said, 0 = free, n = "from n".
  price_from_cents integer check (price_from_cents >= 0),
  currency text not null default 'EUR' check (currency ~ '^[A-Z]{3}$'),
  -- WebP variants of the uploaded image (media rows of this venue): list size and page size.
  image_list_media_id uuid,
  image_page_media_id uuid,
  -- iCalendar SEQUENCE: increases on every change, so calendar clients replace their copy.
  sequence integer not null default 0 check (sequence >= 0),
  -- A proposal from a visitor: who proposed it and the review outcome (null for the venue's own events).
  proposed_by uuid references people (id) on delete set null,
  proposal_state text check (proposal_state in ('pending', 'approved', 'rejected')),
  search tsvector generated always as (
    setweight(to_tsvector('simple', title), 'A')
    || setweight(to_tsvector('french', title), 'A')
    || setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('simple', agenda_join_names(performers) || ' ' || agenda_join_names(organisers) || ' ' || location_name || ' ' || city), 'B')
    || setweight(to_tsvector('french', description_md), 'C')
    || setweight(to_tsvector('english', description_md), 'D')
  ) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  published_at timestamptz,
  primary key (place_id, id),
  check ((latitude is null) = (longitude is null)),
  check ((proposed_by is null and proposal_state is null) or proposal_state is not null)
);
create unique index events_id on events (id);
create unique index events_slug on events (slug);
create index events_search on events using gin (search);
create index events_proposals on events (place_id, created_at) where proposal_state = 'pending';

create table event_dates (
  place_id uuid not null,
  event_id uuid not null,
  id uuid not null,
  starts_at timestamptz not null,
  ends_at timestamptz,
  -- IANA zone the date was entered in: shown in it, and written to iCalendar as TZID.
  timezone text not null,
  -- Set when the event is postponed: the start it had before (schema.org previousStartDate).
  previous_starts_at timestamptz,
  primary key (place_id, id),
  foreign key (place_id, event_id) references events (place_id, id) on delete cascade,
  check (ends_at is null or ends_at >= starts_at)
);
create unique index event_dates_id on event_dates (id);
-- Keyset pagination of every agenda walks (starts_at, id).
create index event_dates_start on event_dates (starts_at, id);
create index event_dates_place_start on event_dates (place_id, starts_at, id);
create index event_dates_event on event_dates (place_id, event_id, starts_at);
-- Dates in progress at an instant (started before it, not ended): the agendas' second branch.
create index event_dates_span on event_dates using gist (tstzrange(starts_at, coalesce(ends_at, starts_at), '[]'));

create table event_tags (
  place_id uuid not null,
  event_id uuid not null,
  tag text not null check (tag ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(tag) <= 40),
  primary key (place_id, event_id, tag),
  foreign key (place_id, event_id) references events (place_id, id) on delete cascade
);
create index event_tags_tag on event_tags (tag, place_id, event_id);

-- A venue (place_id) shows on its agenda the events of another venue (followed_place_id), filtered
-- by tags: with include_tags, only events carrying one of them; events with an excluded tag never.
create table place_follows (
  place_id uuid not null references places (id) on delete cascade,
  followed_place_id uuid not null references places (id) on delete cascade,
  include_tags text[] not null default '{}',
  exclude_tags text[] not null default '{}',
  created_at timestamptz not null default now(),
  primary key (place_id, followed_place_id),
  check (place_id <> followed_place_id)
);
create index place_follows_followed on place_follows (followed_place_id);

-- A venue shows every public event carrying this tag, from any venue.
create table tag_follows (
  place_id uuid not null references places (id) on delete cascade,
  tag text not null check (tag ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(tag) <= 40),
  created_at timestamptz not null default now(),
  primary key (place_id, tag)
);
