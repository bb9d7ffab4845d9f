import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/**
 * The tags of the listed events that still have a date to come, most used first: the choices of the
 * agenda's tag filter. A reader picks among the tags that would give a result instead of guessing
 * one. Listed means what listAgenda shows (public, not a draft); `placeId` narrows to one venue's events.
 */
export async function tagsInUse(
  db: Db,
  options: { placeId?: string; now?: Date; limit?: number } = {},
): Promise<string[]> {
  const now = options.now ?? new Date();
  const limit = Math.max(1, Math.min(options.limit ?? 24, 100));
  const venue = options.placeId ? sql`and e.place_id = ${options.placeId}` : sql``;
  const { rows } = await sql<{ tag: string }>`
    select t.tag from event_tags t
    join events e on e.place_id = t.place_id and e.id = t.event_id
    where e.visibility = 'public' and e.state <> 'draft' ${venue}
      and exists (select 1 from event_dates d where d.place_id = e.place_id and d.event_id = e.id
        and coalesce(d.ends_at, d.starts_at) >= ${now})
    group by t.tag
    order by count(*) desc, t.tag
    limit ${limit}`.execute(db);
  return rows.map((r) => r.tag);
}
