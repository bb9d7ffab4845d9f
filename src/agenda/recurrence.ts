import { zonedToInstant } from './zonedTime.ts';

/**
 * Recurrence of an event's dates: a subset of RFC 5545's RRULE, written out as dates (issue 16 §5).
 * Pure: no database, no clock, the zone given as data. Days are local calendar days of the rule's
 * zone, times are wall-clock times there, so a 20:00 jam stays at 20:00 across a DST change.
 *
 * - weekly (FREQ=WEEKLY;INTERVAL=n;BYDAY=…; weeks start on Monday, WKST=MO);
 * - monthly on a day of the month (BYMONTHDAY=d: a month without that day is skipped, as RFC 5545
 *   says — the 31st skips April; -1 is the month's last day) or on the nth weekday
 *   (BYDAY=1FR … 4FR, -1SA for the last Saturday);
 * - until a day (inclusive) or a count — one of them, never open-ended; a count counts the
 *   occurrences before exceptions are removed (RFC 5545: EXDATE applies to the generated set);
 * - exceptions (days removed) and extra single dates (RDATE, at the rule's duration).
 *
 * Bounded: at most MAX_OCCURRENCES dates, none later than MAX_SPAN_DAYS after the first day.
 */

export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const MAX_OCCURRENCES = 104;
export const MAX_SPAN_DAYS = 731;
export const MAX_EXTRA_DATES = 20;

export type MonthlyBy = { kind: 'monthDay'; day: number } | { kind: 'weekday'; week: number; weekday: Weekday };

export interface RecurrenceRule {
  frequency: 'weekly' | 'monthly';
  /** Every `interval` weeks or months (1 = every). */
  interval: number;
  /** Weekly: the days of the week (at least one). */
  weekdays: Weekday[];
  /** Monthly: the 1st…31st (-1: last day), or the nth weekday (week 1…4, -1: last). */
  monthly: MonthlyBy | null;
  /** The first day the rule may fall on (YYYY-MM-DD). */
  startDate: string;
  /** Wall-clock start (HH:MM) in `timezone`. */
  startTime: string;
  /** Length of each date in minutes; null when the dates have no end. */
  durationMinutes: number | null;
  /** Last day (inclusive), or null when `count` ends the rule. */
  until: string | null;
  count: number | null;
  /** Days removed from the generated ones (YYYY-MM-DD). */
  exceptions: string[];
  /** Extra single dates (YYYY-MM-DDTHH:MM, wall-clock in `timezone`). */
  extraDates: string[];
  timezone: string;
}

export interface Occurrence {
  /** The local day, YYYY-MM-DD (what exceptions name). */
  day: string;
  startsAt: Date;
  endsAt: Date | null;
  /** True for an extra single date, false for one of the rule's. */
  extra: boolean;
}

/** Why a rule cannot be written out; the caller turns it into a field message. */
export class RecurrenceTooLong extends Error {
  constructor(readonly reason: 'too-many' | 'too-far') {
    super(`recurrence ${reason}`);
  }
}

const DAY_MS = 86_400_000;
/** Days since 1970-01-01 of a YYYY-MM-DD. */
export const dayNumber = (day: string) => Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
const dayOf = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);
/** 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
const weekdayIndex = (n: number) => (((n + 3) % 7) + 7) % 7;
const daysInMonth = (year: number, month0: number) => new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();

/** The day of a month the rule falls on, or null when that month has none (31 April). */
function monthlyDay(by: MonthlyBy, year: number, month0: number): number | null {
  const length = daysInMonth(year, month0);
  if (by.kind === 'monthDay') {
    if (by.day === -1) return length;
    return by.day <= length ? by.day : null;
  }
  const first = Math.round(Date.UTC(year, month0, 1) / DAY_MS);
  const wanted = WEEKDAYS.indexOf(by.weekday);
  if (by.week === -1) {
    const last = first + length - 1;
    return length - ((weekdayIndex(last) - wanted + 7) % 7);
  }
  const day = 1 + ((wanted - weekdayIndex(first) + 7) % 7) + (by.week - 1) * 7;
  return day <= length ? day : null;
}

/** The rule's days in order (before exceptions), from the start day on; stops at the first day past the end. */
function* ruleDays(rule: RecurrenceRule): Generator<number> {
  const start = dayNumber(rule.startDate);
  if (rule.frequency === 'weekly') {
    const wanted = [...new Set(rule.weekdays.map((w) => WEEKDAYS.indexOf(w)))].sort((a, b) => a - b);
    const monday = start - weekdayIndex(start);
    for (let week = 0; ; week += rule.interval)
      for (const w of wanted) {
        const n = monday + week * 7 + w;
        if (n >= start) yield n;
      }
  }
  const [y, m] = rule.startDate.split('-').map(Number) as [number, number];
  for (let k = 0; ; k += rule.interval) {
    const year = y + Math.floor((m - 1 + k) / 12);
    const month0 = (m - 1 + k) % 12;
    const d = rule.monthly ? monthlyDay(rule.monthly, year, month0) : null;
    const n = d === null ? null : Math.round(Date.UTC(year, month0, d) / DAY_MS);
    if (n !== null && n >= start) yield n;
    // A rule that never matches (no month has the day) still ends: the span bound below stops it.
    else if (Math.round(Date.UTC(year, month0, 1) / DAY_MS) > start + MAX_SPAN_DAYS) yield Infinity;
  }
}

function wallTime(day: string, hhmm: string, minutesLater: number, timeZone: string): Date {
  const [h, min] = hhmm.split(':').map(Number) as [number, number];
  const [y, mo, d] = day.split('-').map(Number) as [number, number, number];
  // Wall-clock arithmetic: 20:00 + 180 min is 23:00 that evening whatever the offset does in between.
  const wall = new Date(Date.UTC(y, mo - 1, d, h, min + minutesLater));
  return zonedToInstant(
    {
      year: wall.getUTCFullYear(),
      month: wall.getUTCMonth() + 1,
      day: wall.getUTCDate(),
      hour: wall.getUTCHours(),
      minute: wall.getUTCMinutes(),
    },
    timeZone,
  );
}

function occurrence(rule: RecurrenceRule, day: string, time: string, extra: boolean): Occurrence {
  return {
    day,
    startsAt: wallTime(day, time, 0, rule.timezone),
    endsAt: rule.durationMinutes === null ? null : wallTime(day, time, rule.durationMinutes, rule.timezone),
    extra,
  };
}

/**
 * The dates of a rule, earliest first: its days (until its end or count, exceptions removed) and its
 * extra dates (one per start: an extra date on a day the rule already has at the same time counts once).
 * Throws RecurrenceTooLong past MAX_OCCURRENCES dates or MAX_SPAN_DAYS days.
 */
export function expandRecurrence(rule: RecurrenceRule): Occurrence[] {
  const start = dayNumber(rule.startDate);
  const until = rule.until === null ? null : dayNumber(rule.until);
  const removed = new Set(rule.exceptions);
  const out: Occurrence[] = [];
  let generated = 0;
  for (const n of ruleDays(rule)) {
    if (until !== null && n > until) break;
    if (n > start + MAX_SPAN_DAYS) throw new RecurrenceTooLong('too-far');
    generated++;
    const day = dayOf(n);
    if (!removed.has(day)) out.push(occurrence(rule, day, rule.startTime, false));
    if (out.length > MAX_OCCURRENCES) throw new RecurrenceTooLong('too-many');
    if (rule.count !== null && generated >= rule.count) break;
  }
  const seen = new Set(out.map((o) => o.startsAt.getTime()));
  for (const local of rule.extraDates) {
    const o = occurrence(rule, local.slice(0, 10), local.slice(11, 16), true);
    if (seen.has(o.startsAt.getTime())) continue;
    seen.add(o.startsAt.getTime());
    out.push(o);
  }
  if (out.length > MAX_OCCURRENCES) throw new RecurrenceTooLong('too-many');
  return out.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
}

const BYDAY_WEEK = (week: number) => (week === -1 ? '-1' : String(week));

/** The rule as an RFC 5545 RRULE value (without DTSTART, EXDATE and RDATE): for display and tests. */
export function rruleText(rule: RecurrenceRule): string {
  const parts = [`FREQ=${rule.frequency === 'weekly' ? 'WEEKLY' : 'MONTHLY'}`];
  if (rule.interval !== 1) parts.push(`INTERVAL=${rule.interval}`);
  if (rule.frequency === 'weekly') parts.push(`BYDAY=${rule.weekdays.join(',')}`, 'WKST=MO');
  else if (rule.monthly?.kind === 'monthDay') parts.push(`BYMONTHDAY=${rule.monthly.day}`);
  else if (rule.monthly) parts.push(`BYDAY=${BYDAY_WEEK(rule.monthly.week)}${rule.monthly.weekday}`);
  if (rule.count !== null) parts.push(`COUNT=${rule.count}`);
  else if (rule.until !== null) parts.push(`UNTIL=${rule.until.replace(/-/g, '')}`);
  return parts.join(';');
}
