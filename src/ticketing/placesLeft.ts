import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** Places of one event date: its capacity and what is left (null, both: the date is unlimited). */
export interface PlacesLeft {
  capacity: number | null;
  /** capacity − sold − held by pending orders (date_capacity.taken counts both), never below 0. */
  remaining: number | null;
}

/**
 * The places left of some event dates, each given with its venue (the capacity row's key), in one
 * query (docs/FEDERATION.md, "Live availability"). A date without a capacity row sells without limit:
 * `{ capacity: null, remaining: null }`. Read without locks: a figure to show and to send to peers.
 */
export async function placesLeft(
  db: Db,
  dates: readonly { placeId: string; dateId: string }[],
): Promise<Map<string, PlacesLeft>> {
  const left = new Map<string, PlacesLeft>(dates.map((d) => [d.dateId, { capacity: null, remaining: null }]));
  if (dates.length === 0) return left;
  const rows = await sql<{ id: string; capacity: unknown; taken: unknown }>`
    select c.event_date_id as id, c.capacity, c.taken
      from unnest(${dates.map((d) => d.placeId)}::uuid[], ${dates.map((d) => d.dateId)}::uuid[]) as w(place_id, id)
      join date_capacity c on c.place_id = w.place_id and c.event_date_id = w.id`.execute(db);
  for (const r of rows.rows) {
    const capacity = Number(r.capacity);
    left.set(r.id, { capacity, remaining: Math.max(0, capacity - Number(r.taken)) });
  }
  return left;
}
