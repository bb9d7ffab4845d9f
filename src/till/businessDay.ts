import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { businessDayAt } from './closureDay.ts';

/** When a venue's business day starts when it has set nothing: a night at the bar ends at 04:00. */
export const DEFAULT_DAY_STARTS_AT = '04:00:00';

/**
 * The business day of an instant: the venue's local date of (now − day_starts_at), in the venue's
 * time zone. A sale at 02:30 on Saturday belongs to Friday's day when the day starts at 04:00.
 */
export function businessDayOf(now: Date, timeZone: string, dayStartsAt = DEFAULT_DAY_STARTS_AT): string {
  // Compared on the local clock (not by shifting the instant), so a daylight-saving night is right too.
  return businessDayAt(now, { timezone: timeZone, dayStartsAt });
}

export interface VenueClock {
  placeId: string;
  name: string;
  slug: string;
  timezone: string;
  dayStartsAt: string;
}

/** The venue's name, time zone and business-day start, read in one statement. */
export async function venueClock(db: Db, placeId: string): Promise<VenueClock> {
  const row = await db
    .selectFrom('places as p')
    .leftJoin('till_settings as s', 's.place_id', 'p.id')
    .select(['p.id', 'p.name', 'p.slug', 'p.timezone', 's.day_starts_at'])
    .where('p.id', '=', placeId)
    .executeTakeFirst();
  if (!row) throw new DomainError('not-found', 404, { what: 'place' });
  return {
    placeId: row.id,
    name: row.name,
    slug: row.slug,
    timezone: row.timezone,
    dayStartsAt: row.day_starts_at ?? DEFAULT_DAY_STARTS_AT,
  };
}

/** The venue's current business day. */
export async function currentBusinessDay(db: Db, placeId: string, now = new Date()): Promise<string> {
  const clock = await venueClock(db, placeId);
  return businessDayOf(now, clock.timezone, clock.dayStartsAt);
}
