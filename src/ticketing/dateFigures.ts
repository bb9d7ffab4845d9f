import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** Seats and entries of one event date: null capacity when the date sells no tickets. */
export interface DateFigures {
  capacity: number | null;
  sold: number;
  checkedIn: number;
}

const n = (v: unknown): number => Number(v ?? 0);

/** Tickets sold (valid), capacity and entries scanned for some dates of a venue, in one query. */
export async function dateFigures(db: Db, placeId: string, dateIds: string[]): Promise<Map<string, DateFigures>> {
  const figures = new Map<string, DateFigures>(dateIds.map((id) => [id, { capacity: null, sold: 0, checkedIn: 0 }]));
  if (dateIds.length === 0) return figures;
  const rows = await sql<{ id: string; capacity: unknown; sold: unknown; checked_in: unknown }>`
    select d.id, c.capacity,
      (select count(*) from tickets t where t.place_id = ${placeId} and t.event_date_id = d.id and t.status = 'valid')::bigint as sold,
      (select count(distinct k.ticket_id) from checkins k join tickets t on t.place_id = k.place_id and t.id = k.ticket_id
        where k.place_id = ${placeId} and t.event_date_id = d.id and k.result = 'valid' and t.status = 'valid')::bigint as checked_in
    from unnest(${dateIds}::uuid[]) as d(id)
    left join date_capacity c on c.place_id = ${placeId} and c.event_date_id = d.id`.execute(db);
  for (const r of rows.rows)
    figures.set(r.id, {
      capacity: r.capacity === null || r.capacity === undefined ? null : n(r.capacity),
      sold: n(r.sold),
      checkedIn: n(r.checked_in),
    });
  return figures;
}

/** Tickets issued per week (weeks starting on Monday, in the venue's zone), for the given Mondays. */
export async function ticketsByWeek(db: Db, placeId: string, weeks: string[], timezone: string): Promise<number[]> {
  if (weeks.length === 0) return [];
  const rows = await sql<{ week: unknown; count: unknown }>`
    select to_char(date_trunc('week', t.created_at at time zone ${timezone}), 'YYYY-MM-DD') as week, count(*)::bigint as count
    from tickets t
    where t.place_id = ${placeId} and t.status = 'valid' and t.created_at >= (${weeks[0]!}::date)::timestamp at time zone ${timezone}
    group by 1`.execute(db);
  const counts = new Map(rows.rows.map((r) => [String(r.week), n(r.count)]));
  return weeks.map((w) => counts.get(w) ?? 0);
}
