import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, NullableTimestamp } from '../db/schema.ts';
import type { RemoteAvailability, RemoteEvent } from './parseRemoteEvent.ts';

type JsonColumn<T> = ColumnType<T, string, string>;
type Jwk = Record<string, unknown>;

export interface FederationActorKeysTable {
  actor: string;
  rsa_private: JsonColumn<Jwk>;
  rsa_public: JsonColumn<Jwk>;
  ed25519_private: JsonColumn<Jwk>;
  ed25519_public: JsonColumn<Jwk>;
  created_at: CreatedAt;
}

export interface FederationKvTable {
  key: string[];
  value: JsonColumn<unknown>;
  expires_at: NullableTimestamp;
}

export interface FederationQueueTable {
  id: Generated<number>;
  message: JsonColumn<unknown>;
  not_before: CreatedAt;
}

export interface FederationRemoteActorsTable {
  id: string;
  type: string;
  inbox: string;
  shared_inbox: string | null;
  handle: string | null;
  host: string;
  name: Generated<string>;
  fetched_at: CreatedAt;
  blocked: Generated<boolean>;
}

export interface FederationFollowersTable {
  local_actor: string;
  remote_actor: string;
  state: 'pending' | 'accepted';
  follow_activity_id: string;
  created_at: CreatedAt;
}

export interface FederationFollowsTable {
  local_actor: string;
  remote_actor: string;
  state: 'pending' | 'accepted' | 'rejected';
  follow_activity_id: string;
  include_tags: ColumnType<string[], string[] | undefined, string[]>;
  exclude_tags: ColumnType<string[], string[] | undefined, string[]>;
  created_at: CreatedAt;
}

export interface FederationRemoteEventsTable {
  id: string;
  origin_actor: string;
  raw: JsonColumn<Record<string, unknown>>;
  updated: NullableTimestamp;
  removed_by_operator: Generated<boolean>;
  received_at: CreatedAt;
  /** parseRemoteEvent's result; null on rows stored before migration 0032. */
  parsed: ColumnType<RemoteEvent | null, string | null | undefined, string | null>;
  starts_at: NullableTimestamp;
  ends_at: NullableTimestamp;
  tags: Generated<string[]>;
  sequence: number | null;
  /** The availability last known (migration 0036): from the object, or polled from its origin. */
  remaining: number | null;
  availability: RemoteAvailability | null;
  /** When the origin computed it (its clock). */
  availability_as_of: NullableTimestamp;
  /** The origin's signed-GET availability endpoint, when the origin is a Rezo node. */
  availability_url: string | null;
  availability_checked_at: NullableTimestamp;
  /** md5 of id as a UUID (migration 0034, generated): the agenda's local id of the event. */
  local_id: Generated<string>;
  /** Since when no local actor follows origin_actor; deleted 24 h after (remoteEventsCleanup.ts). */
  unfollowed_since: NullableTimestamp;
}

export interface FederationInboxSeenTable {
  activity_id: string;
  seen_at: CreatedAt;
}

export type OutboxState = 'pending' | 'sent' | 'failed';

export interface FederationOutboxTable {
  id: string;
  activity_id: string;
  sender: string;
  inbox: string;
  body: JsonColumn<Record<string, unknown>>;
  created_at: CreatedAt;
  state: ColumnType<OutboxState, OutboxState | undefined, OutboxState>;
  attempts: Generated<number>;
  next_attempt_at: CreatedAt;
  last_status: ColumnType<number | null, number | null | undefined, number | null>;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
  sent_at: NullableTimestamp;
}

export interface FederationPublishedTable {
  object_id: string;
  place_id: string;
  event_id: string;
  sequence: number;
  deleted_at: NullableTimestamp;
  updated_at: CreatedAt;
  /** The availability band last sent (availabilityBands.ts); null before migration 0036. */
  availability_band: string | null;
  /** When the last threshold Update was queued (the debounce window). */
  availability_sent_at: NullableTimestamp;
  /** The `updated` of the object last sent: the next Update carries a later one. */
  object_updated: NullableTimestamp;
  starts_at: NullableTimestamp;
}

export interface FederationBlocksTable {
  target: string;
  kind: 'host' | 'actor';
  created_at: CreatedAt;
}

export interface FederationJoinsTable {
  object_id: string;
  remote_actor: string;
  join_activity_id: string;
  created_at: CreatedAt;
}

/** Table types of the federation module (migration 0026). Merged into DB in db/schema.ts. */
export interface FederationTables {
  federation_actor_keys: FederationActorKeysTable;
  federation_kv: FederationKvTable;
  federation_queue: FederationQueueTable;
  federation_remote_actors: FederationRemoteActorsTable;
  federation_followers: FederationFollowersTable;
  federation_follows: FederationFollowsTable;
  federation_remote_events: FederationRemoteEventsTable;
  federation_inbox_seen: FederationInboxSeenTable;
  federation_outbox: FederationOutboxTable;
  federation_published: FederationPublishedTable;
  federation_blocks: FederationBlocksTable;
  federation_joins: FederationJoinsTable;
}
