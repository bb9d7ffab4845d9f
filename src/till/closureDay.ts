import type { Db } from '../db/database.ts';
import { localParts, zonedToInstant } from '../agenda/index.ts';
import { placeTimezone } from '../places/index.ts';

/** A venue's business day settings: its time zone and the local time its day starts (04:00 by default). */
export interface TillDay {
  timezone: string;
  /** 'HH:MM' or 'HH:MM:SS'. */
  dayStartsAt: string;
}

export async function tillDayOf(db: Db, placeId: string): Promise<TillDay> {
  const timezone = await placeTimezone(db, placeId);
  return { timezone, dayStartsAt: (await dayStartOf(db, placeId)) ?? '04:00:00' };
}

/** The local time a venue's business day starts, or null when it has set none. */
export async function dayStartOf(db: Db, placeId: string): Promise<string | null> {
  const row = await db
    .selectFrom('till_settings')
    .select('day_starts_at')
    .where('place_id', '=', placeId)
    .executeTakeFirst();
  return row?.day_starts_at ?? null;
}

function startMinutes(dayStartsAt: string): number {
  const [h = '0', m = '0'] = dayStartsAt.split(':');
  return Number(h) * 60 + Number(m);
}

function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The business day of an instant: its local date, or the day before when before the day's start (a sale at 02:00 belongs to the night before). */
export function businessDayAt(instant: Date, day: TillDay): string {
  const p = localParts(instant, day.timezone);
  const local = `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
  return p.hour * 60 + p.minute < startMinutes(day.dayStartsAt) ? addDays(local, -1) : local;
}

/** The instants a business day runs from (inclusive) and to (exclusive). */
export function businessDayBounds(businessDay: string, day: TillDay): { from: Date; to: Date } {
  const minutes = startMinutes(day.dayStartsAt);
  const at = (d: string) => {
    const [year, month, date] = d.split('-').map(Number) as [number, number, number];
    return zonedToInstant(
      { year, month, day: date, hour: Math.floor(minutes / 60), minute: minutes % 60 },
      day.timezone,
    );
  };
  return { from: at(businessDay), to: at(addDays(businessDay, 1)) };
}

/** 'YYYY-MM-DD' and a real calendar date. */
export function isCalendarDay(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return (
    !Number.isNaN(d.getTime()) &&
    d.toISOString().slice(0, 10) === value &&
    value >= '2000-01-01' &&
    value <= '2099-12-31'
  );
}
