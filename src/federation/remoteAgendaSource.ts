import { sql, type SqlBool } from 'kysely';
import type { RemoteAgendaEntry, RemoteAgendaQuery, RemoteAgendaSource } from '../agenda/index.ts';
import type { Db } from '../db/database.ts';
import type { RemoteEvent } from './parseRemoteEvent.ts';
import { refreshRemoteAvailability } from './refreshRemoteAvailability.ts';

/**
 * The received events the agenda shows (docs/FEDERATION.md, "Built in session 7: remote events in the
 * local agenda"): the agenda asks through the RemoteAgendaSource it declares, given in module.ts.
 * Shown: parsed rows, not removed by an operator, whose origin actor is followed (accepted) by the
 * asking local actor under that follow's tag rules (as place_follows: with an include list, one of its
 * tags; none of the exclude list), and neither the actor nor its host is blocked.
 */

/** SQL: the origin of row r is not blocked (the actor, its host). */
const NOT_BLOCKED = sql<SqlBool>`not a.blocked and not exists (
  select 1 from federation_blocks b
  where (b.kind = 'actor' and b.target = a.id) or (b.kind = 'host' and b.target = a.host))`;

/** SQL: `follower` follows r's origin (accepted) and the follow's tag rules let r through. */
const followedBy = (follower: string | null) => sql<SqlBool>`exists (
  select 1 from federation_follows f
  where ${follower === null ? sql`true` : sql`f.local_actor = ${follower}`}
    and f.remote_actor = r.origin_actor and f.state = 'accepted'
    and (cardinality(f.include_tags) = 0 or r.tags && f.include_tags)
    and not (r.tags && f.exclude_tags))`;

interface Row {
  local_id: string;
  parsed: RemoteEvent;
  received_at: Date;
  host: string;
  name: string;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

async function select(db: Db, conditions: ReturnType<typeof sql<SqlBool>>[], limit: number): Promise<Row[]> {
  const { rows } = await sql<Row>`
    select r.local_id, r.parsed, r.received_at, a.host, a.name
    from federation_remote_events r
    join federation_remote_actors a on a.id = r.origin_actor
    where r.parsed is not null and not r.removed_by_operator and r.starts_at is not null and ${NOT_BLOCKED}
      and ${sql.join(conditions, sql` and `)}
    order by r.starts_at, r.local_id
    limit ${limit}`.execute(db);
  return rows;
}

function entryOf(row: Row): RemoteAgendaEntry {
  const p = row.parsed;
  const receivedAt = new Date(row.received_at);
  return {
    localId: row.local_id,
    objectId: p.id,
    url: p.url,
    title: p.name,
    summary: p.summary,
    contentHtml: p.content,
    startsAt: new Date(p.startsAt),
    endsAt: p.endsAt ? new Date(p.endsAt) : null,
    timezone: p.timezone,
    status: p.status,
    placeName: p.place?.name ?? '',
    address: p.place?.address ?? '',
    onlineUrl: p.onlineUrl,
    tags: p.tags,
    images: p.images.map((image) => ({ url: image.url, name: image.name })),
    ticketUrl: p.ticketUrl,
    availability: p.availability,
    remainingCapacity: p.remainingCapacity,
    maximumCapacity: p.maximumCapacity,
    sequence: p.sequence,
    receivedAt,
    updatedAt: p.updated ? new Date(p.updated) : receivedAt,
    originHost: row.host,
    originName: row.name || row.host,
  };
}

export const remoteAgendaSource: RemoteAgendaSource = {
  async list(db: Db, query: RemoteAgendaQuery): Promise<RemoteAgendaEntry[]> {
    const conditions = [followedBy(query.follower), sql<SqlBool>`coalesce(r.ends_at, r.starts_at) >= ${query.from}`];
    if (query.to) conditions.push(sql<SqlBool>`r.starts_at < ${query.to}`);
    if (query.tags?.length) conditions.push(sql<SqlBool>`r.tags && ${[...query.tags]}::text[]`);
    if (query.text)
      conditions.push(sql<SqlBool>`(r.parsed->>'name') ilike ${`%${escapeLike(query.text)}%`} escape '\\'`);
    if (query.after)
      conditions.push(sql<SqlBool>`(r.starts_at, r.local_id) > (${query.after.startsAt}, ${query.after.id}::uuid)`);
    return (await select(db, conditions, query.limit)).map(entryOf);
  },

  async find(db: Db, localId: string): Promise<RemoteAgendaEntry | null> {
    const [row] = await select(db, [followedBy(null), sql<SqlBool>`r.local_id = ${localId}::uuid`], 1);
    return row ? entryOf(row) : null;
  },

  async freshAvailability(deps, entry) {
    const now = await refreshRemoteAvailability(deps, entry.objectId);
    return now?.asOf ? { availability: now.availability, remaining: now.remaining, asOf: now.asOf } : null;
  },
};
