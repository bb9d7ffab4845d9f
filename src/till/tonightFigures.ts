import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { businessDayAt, businessDayBounds, tillDayOf } from './closureDay.ts';
import { closureReport } from './closureReport.ts';

/** One point of sale's day so far, for the venue's dashboard. */
export interface PointTonight {
  pointId: string;
  pointName: string;
  sales: number;
  itemsCents: number;
  /** Wallet top-ups taken at that point today. */
  topUpCents: number;
  /** Cash that should be in its drawer from today's lines (the float is not known before the Z). */
  expectedCashCents: number;
}

export interface TillTonight {
  businessDay: string;
  timezone: string;
  /** When the business day starts and ends. */
  from: Date;
  to: Date;
  /** Items sold per hour of the business day (local hour 0–23), in the order the day runs. */
  hours: { hour: number; itemsCents: number; sales: number }[];
  points: PointTonight[];
}

const n = (v: unknown): number => Number(v ?? 0);

/** The till's current business day at a venue: per point (from the Z report's sums) and per hour. */
export async function tillTonight(db: Db, placeId: string, now = new Date()): Promise<TillTonight> {
  const day = await tillDayOf(db, placeId);
  const businessDay = businessDayAt(now, day);
  const [points, hourRows] = await Promise.all([
    sql<{ id: string; name: string }>`
      select p.id, p.name from pos_points p
      where p.place_id = ${placeId}
        and (not p.archived or exists (select 1 from till_journal j where j.place_id = p.place_id and j.point_id = p.id and j.business_day = ${businessDay}))
      order by p.position, p.name`.execute(db),
    sql<{ hour: unknown; cents: unknown; sales: unknown }>`
      select extract(hour from j.created_at at time zone ${day.timezone})::int as hour,
        coalesce(sum(j.amount_cents), 0)::bigint as cents, count(distinct j.sale_id)::bigint as sales
      from till_journal j
      where j.place_id = ${placeId} and j.business_day = ${businessDay} and j.kind = 'item'
        and j.article_kind in ('sale', 'membership', 'free')
      group by 1`.execute(db),
  ]);
  const reports = await Promise.all(points.rows.map((p) => closureReport(db, placeId, p.id, businessDay)));
  const startHour = Number(day.dayStartsAt.slice(0, 2));
  const byHour = new Map(hourRows.rows.map((r) => [n(r.hour), r]));
  const nowHour = Number(
    new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: day.timezone }).format(now),
  );
  // From the day's start to now (or to the last hour with a sale, for a day seen after it ended).
  const offsets = [...byHour.keys()].map((h) => (h - startHour + 24) % 24);
  const last = Math.max((nowHour - startHour + 24) % 24, ...offsets);
  const hours = Array.from({ length: last + 1 }, (_, i) => {
    const hour = (startHour + i) % 24;
    const row = byHour.get(hour);
    return { hour, itemsCents: n(row?.cents), sales: n(row?.sales) };
  });
  return {
    businessDay,
    timezone: day.timezone,
    ...businessDayBounds(businessDay, day),
    hours,
    points: points.rows.map((p, i) => {
      const totals = reports[i]!.totals;
      return {
        pointId: p.id,
        pointName: p.name,
        sales: totals.salesCount,
        itemsCents: totals.itemsTotalCents,
        topUpCents: totals.movements.filter((m) => m.kind === 'top_up').reduce((s, m) => s + m.amountCents, 0),
        expectedCashCents: totals.expectedCashCents,
      };
    }),
  };
}

/** Items sold at the till per week (weeks starting on Monday, by business day), the last `weeks` weeks. */
export async function tillSalesByWeek(
  db: Db,
  placeId: string,
  weeks: number,
  now = new Date(),
): Promise<{ week: string; itemsCents: number }[]> {
  const day = await tillDayOf(db, placeId);
  const today = businessDayAt(now, day);
  const rows = await sql<{ week: unknown; cents: unknown }>`
    select to_char(date_trunc('week', j.business_day::timestamp), 'YYYY-MM-DD') as week, coalesce(sum(j.amount_cents), 0)::bigint as cents
    from till_journal j
    where j.place_id = ${placeId} and j.kind = 'item' and j.article_kind in ('sale', 'membership', 'free')
      and j.business_day > ${today}::date - ${weeks * 7}::int
    group by 1`.execute(db);
  return lastWeeks(today, weeks).map((week) => ({
    week,
    itemsCents: n(rows.rows.find((r) => String(r.week) === week)?.cents),
  }));
}

/** The Mondays of the last `weeks` weeks up to the one `day` is in, oldest first (YYYY-MM-DD). */
export function lastWeeks(day: string, weeks: number): string[] {
  const d = new Date(`${day}T00:00:00Z`);
  const monday = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000);
  return Array.from({ length: weeks }, (_, i) =>
    new Date(monday.getTime() - (weeks - 1 - i) * 7 * 86_400_000).toISOString().slice(0, 10),
  );
}
