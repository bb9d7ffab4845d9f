import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { RemoteEvent } from './parseRemoteEvent.ts';

export interface RemoteEventsQuery {
  from: Date;
  to: Date;
  /** Kept when it has at least one of these tags (none: every tag). */
  tagsInclude?: readonly string[];
  /** Dropped when it has any of these tags. */
  tagsExclude?: readonly string[];
  limit?: number;
}

export type StoredRemoteEvent = RemoteEvent & { originActor: string };

/**
 * Received events that overlap [from, to), ordered by start (docs/FEDERATION.md, "Following remote
 * venues"): parsed ones only, not removed by an operator, under the same tag include/exclude rule as
 * local follows (tags compared lower-cased, as parseRemoteEvent stores them).
 */
export async function remoteEventsFor(db: Db, query: RemoteEventsQuery): Promise<StoredRemoteEvent[]> {
  const include = (query.tagsInclude ?? []).map((t) => t.toLowerCase());
  const exclude = (query.tagsExclude ?? []).map((t) => t.toLowerCase());
  let select = db
    .selectFrom('federation_remote_events')
    .select(['origin_actor', 'parsed'])
    .where('parsed', 'is not', null)
    .where('removed_by_operator', '=', false)
    .where('starts_at', '<', query.to)
    .where(sql<boolean>`coalesce(ends_at, starts_at) >= ${query.from}`);
  if (include.length > 0) select = select.where(sql<boolean>`tags && ${include}::text[]`);
  if (exclude.length > 0) select = select.where(sql<boolean>`not (tags && ${exclude}::text[])`);
  const rows = await select
    .orderBy('starts_at')
    .orderBy('id')
    .limit(query.limit ?? 500)
    .execute();
  return rows.flatMap((row) => (row.parsed ? [{ ...row.parsed, originActor: row.origin_actor }] : []));
}
