import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { INSTANCE_ACTOR } from './urls.ts';

// What the federation's admin pages list (src/federation/adminPages.ts). Reads only: the pages
// check who may see them before calling these.

export interface RemoteFollowRow {
  remoteActor: string;
  name: string;
  host: string;
  type: string;
  handle: string | null;
  state: 'pending' | 'accepted' | 'rejected';
  includeTags: string[];
  excludeTags: string[];
}

/** What a local actor (a venue, or the instance actor) follows on other nodes, newest first. */
export async function remoteFollowsOf(db: Db, localActor: string): Promise<RemoteFollowRow[]> {
  return db
    .selectFrom('federation_follows as f')
    .innerJoin('federation_remote_actors as a', 'a.id', 'f.remote_actor')
    .select(['f.remote_actor as remoteActor', 'a.name', 'a.host', 'a.type', 'a.handle', 'f.state'])
    .select(['f.include_tags as includeTags', 'f.exclude_tags as excludeTags'])
    .where('f.local_actor', '=', localActor)
    .orderBy('f.created_at', 'desc')
    .limit(500)
    .execute();
}

export interface FollowerRow {
  remoteActor: string;
  name: string;
  host: string;
  type: string;
  state: 'pending' | 'accepted';
  since: Date;
}

/** Who follows the whole territory (the instance actor): requests waiting first, then the accepted. */
export async function territoryFollowers(db: Db): Promise<FollowerRow[]> {
  return db
    .selectFrom('federation_followers as f')
    .innerJoin('federation_remote_actors as a', 'a.id', 'f.remote_actor')
    .select(['f.remote_actor as remoteActor', 'a.name', 'a.host', 'a.type', 'f.state', 'f.created_at as since'])
    .where('f.local_actor', '=', INSTANCE_ACTOR)
    .orderBy(sql`f.state = 'pending'`, 'desc')
    .orderBy('f.created_at', 'desc')
    .limit(500)
    .execute();
}

/** The blocked hosts and actors, newest first. */
export async function blockList(db: Db) {
  return db
    .selectFrom('federation_blocks')
    .select(['target', 'kind', 'created_at as createdAt'])
    .orderBy('created_at', 'desc')
    .execute();
}

/** Received events from now on (and those removed by an operator), by start: what the territory may show. */
export async function receivedEvents(db: Db, limit = 100) {
  const rows = await db
    .selectFrom('federation_remote_events as e')
    .leftJoin('federation_remote_actors as a', 'a.id', 'e.origin_actor')
    .select(['e.id', 'e.parsed', 'e.starts_at', 'e.removed_by_operator', 'a.name as actorName', 'e.origin_actor'])
    .where(sql<boolean>`coalesce(e.ends_at, e.starts_at) >= now()`)
    .orderBy('e.starts_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.parsed?.name ?? r.id,
    url: r.parsed?.url ?? null,
    startsAt: r.starts_at,
    removed: r.removed_by_operator,
    from: r.actorName || new URL(r.origin_actor).host,
    host: new URL(r.origin_actor).host,
  }));
}

/** Deliveries in trouble: failed, or pending after more than two attempts (docs/OPERATIONS.md). */
export async function troubledDeliveries(db: Db, limit = 200) {
  const rows = await db
    .selectFrom('federation_outbox')
    .select([
      'id',
      'inbox',
      'state',
      'attempts',
      'last_status',
      'last_error',
      'next_attempt_at',
      'created_at',
      sql<string>`body->>'type'`.as('type'),
    ])
    .where((eb) => eb.or([eb('state', '=', 'failed'), eb.and([eb('state', '=', 'pending'), eb('attempts', '>', 2)])]))
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    host: new URL(r.inbox).host,
    inbox: r.inbox,
    type: r.type,
    state: r.state,
    attempts: r.attempts,
    lastStatus: r.last_status,
    lastError: r.last_error,
    nextAttemptAt: r.state === 'pending' ? r.next_attempt_at : null,
  }));
}
