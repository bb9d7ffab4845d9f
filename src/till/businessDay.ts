import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { businessDayAt } from './closureDay.ts';
import { findPlaceById } from '../places/index.ts';
import { dayStartOf } from './closureDay.ts';

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

/** The venue's name, time zone and business-day start. */
export async function venueClock(db: Db, placeId: string): Promise<VenueClock> {
  const place = await findPlaceById(db, placeId);
  if (!place) throw new DomainError('not-found', 404, { what: 'place' });
  return {
    placeId: place.id,
    name: place.name,
    slug: place.slug,
    timezone: place.timezone,
    dayStartsAt: (await dayStartOf(db, placeId)) ?? DEFAULT_DAY_STARTS_AT,
  };
}

/** The venue's current business day. */
export async function currentBusinessDay(db: Db, placeId: string, now = new Date()): Promise<string> {
  const clock = await venueClock(db, placeId);
  return businessDayOf(now, clock.timezone, clock.dayStartsAt);
}
