import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

const n = (v: unknown): number => Number(v ?? 0);

/** New members per week (memberships that became active, by the week they start) and the members today. */
export async function memberFigures(
  db: Db,
  placeId: string,
  weeks: string[],
  today: string,
): Promise<{ newByWeek: number[]; activeToday: number }> {
  if (weeks.length === 0) return { newByWeek: [], activeToday: 0 };
  const [byWeek, active] = await Promise.all([
    sql<{ week: unknown; count: unknown }>`
      select to_char(date_trunc('week', m.starts_on::timestamp), 'YYYY-MM-DD') as week, count(distinct m.person_id)::bigint as count
      from memberships m
      where m.place_id = ${placeId} and m.status = 'active' and m.starts_on >= ${weeks[0]!}::date
      group by 1`.execute(db),
    sql<{ count: unknown }>`
      select count(distinct m.person_id)::bigint as count from memberships m
      where m.place_id = ${placeId} and m.status = 'active' and m.starts_on <= ${today}::date
        and (m.ends_on is null or m.ends_on >= ${today}::date)`.execute(db),
  ]);
  const counts = new Map(byWeek.rows.map((r) => [String(r.week), n(r.count)]));
  return { newByWeek: weeks.map((w) => counts.get(w) ?? 0), activeToday: n(active.rows[0]?.count) };
}
