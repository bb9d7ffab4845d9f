import type { ValidityKind } from './tables.ts';

/** A calendar date 'YYYY-MM-DD'. Memberships are valid on whole days of the venue's calendar. */
export type Day = string;

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDay(value: unknown): value is Day {
  if (typeof value !== 'string' || !DAY_RE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function parts(day: Day): [number, number, number] {
  const m = DAY_RE.exec(day);
  if (!m) throw new RangeError(`not a day: ${day}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function fromUtc(ms: number): Day {
  return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(day: Day, n: number): Day {
  const [y, m, d] = parts(day);
  return fromUtc(Date.UTC(y, m - 1, d + n));
}

/** Last day of month `month` (1–12) of `year`. */
function lastDayOf(year: number, month: number): Day {
  return fromUtc(Date.UTC(year, month, 0));
}

/** Today in a time zone, as a calendar day. */
export function today(timeZone: string, now = new Date()): Day {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/**
 * The last valid day (inclusive) of a membership starting on `start`, or null for lifetime.
 * - days N: N days counting the first (`start + N − 1`);
 * - months N: up to the day before the same day N months later; when that day does not exist
 *   (31 January + 1 month), up to the last day of that month;
 * - calendar_year: 31 December of the start's year;
 * - school_year M: to the end of the month before M, in the school year that contains `start`
 *   (M = 9: a start in October 2026 or in June 2027 both end on 31 August 2027).
 */
export function endOfValidity(kind: ValidityKind, value: number, start: Day): Day | null {
  const [y, m, d] = parts(start);
  switch (kind) {
    case 'days':
      return addDays(start, value - 1);
    case 'months': {
      const targetMonth = m - 1 + value;
      const target = new Date(Date.UTC(y, targetMonth, d));
      // Date.UTC rolls 31 February over into March: then the month had no such day.
      if (target.getUTCDate() !== d) return lastDayOf(y + Math.floor(targetMonth / 12), (targetMonth % 12) + 1);
      return addDays(fromUtc(target.getTime()), -1);
    }
    case 'calendar_year':
      return `${y}-12-31`;
    case 'school_year': {
      const startYear = m >= value ? y : y - 1;
      return value === 1 ? `${startYear}-12-31` : lastDayOf(startYear + 1, value - 1);
    }
    case 'lifetime':
      return null;
  }
}
