-- Ticketing: questions a venue asks at checkout, their answers, and the waiting list of sold-out
-- dates. See docs/TICKETING.md, "Checkout questions" and "Waiting list".

create table ticket_questions (
  place_id uuid not null,
  id uuid not null,
  event_id uuid not null,
  -- As typed by the venue (French or any language): shown as is.
  label text not null check (length(label) between 1 and 200),
  kind text not null check (kind in ('text', 'choice', 'checkbox')),
  choices text[] not null default '{}',
  required boolean not null default false,
  -- Asked once per order, or once per ticket.
  per_ticket boolean not null default false,
  position integer not null default 0 check (position between 0 and 1000),
  created_at timestamptz not null default now(),
  primary key (place_id, id),
  foreign key (place_id, event_id) references events (place_id, id) on delete cascade,
  check (kind <> 'choice' or cardinality(choices) between 1 and 30),
  check (kind = 'choice' or cardinality(choices) = 0)
);
create index ticket_questions_event on ticket_questions (place_id, event_id, position);

-- Answers are written with their order, in its transaction. The question's label and kind are
-- copied: a question changed or removed later leaves old answers readable.
create table order_answers (
  place_id uuid not null,
  order_id uuid not null,
  id uuid not null,
  question_id uuid not null,
  event_id uuid not null,
  -- Per-ticket answers: the order line and the place's rank in it (0-based); null for per-order.
  line_id uuid,
  line_rank integer check (line_rank >= 0),
  label text not null,
  kind text not null,
  value text not null check (length(value) <= 500),
  primary key (place_id, id),
  foreign key (place_id, order_id) references orders (place_id, id) on delete cascade,
  check ((line_id is null) = (line_rank is null))
);
create index order_answers_order on order_answers (place_id, order_id);
create unique index order_answers_once on order_answers (place_id, order_id, question_id, coalesce(line_id, '00000000-0000-0000-0000-000000000000'::uuid), coalesce(line_rank, -1));

-- The waiting list of a date (and of one of its prices). `waiting` entries are offered in order
-- (created_at, id); an offer is a pending order holding the places, with its own expiry.
create table waitlist_entries (
  place_id uuid not null,
  id uuid not null,
  event_id uuid not null,
  event_date_id uuid not null,
  price_id uuid not null,
  quantity integer not null check (quantity between 1 and 10),
  person_id uuid references people (id),
  email text not null,
  language text not null default 'fr' check (language in ('fr', 'en')),
  -- unconfirmed (joined by mail, link not opened yet) → waiting → offered → done | expired; or left.
  status text not null check (status in ('unconfirmed', 'waiting', 'offered', 'done', 'expired', 'left')),
  -- The mailed link that confirms joining and lets the person leave.
  token_hash bytea not null,
  -- The mailed link of the offer (checkout with the reserved places).
  offer_token_hash bytea,
  order_id uuid,
  offered_at timestamptz,
  created_at timestamptz not null default now(),
  closed_at timestamptz,
  primary key (place_id, id),
  foreign key (place_id, event_date_id) references event_dates (place_id, id) on delete cascade,
  foreign key (place_id, price_id) references ticket_prices (place_id, id) on delete cascade
);
-- Once per person per date while the entry is alive.
create unique index waitlist_once on waitlist_entries (place_id, event_date_id, email) where status in ('unconfirmed', 'waiting', 'offered');
create index waitlist_queue on waitlist_entries (place_id, event_date_id, created_at, id) where status = 'waiting';
create index waitlist_offered on waitlist_entries (place_id, order_id) where status = 'offered';
create unique index waitlist_token on waitlist_entries (token_hash);
create unique index waitlist_offer_token on waitlist_entries (offer_token_hash) where offer_token_hash is not null;
create index waitlist_person on waitlist_entries (person_id) where person_id is not null;
