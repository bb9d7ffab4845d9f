import { isTimeZone } from '../config.ts';
import type { FieldErrors } from '../shared/errors.ts';
import {
  MAX_EXTRA_DATES,
  MAX_OCCURRENCES,
  MAX_SPAN_DAYS,
  WEEKDAYS,
  dayNumber,
  expandRecurrence,
  RecurrenceTooLong,
  type MonthlyBy,
  type Occurrence,
  type RecurrenceRule,
  type Weekday,
} from './recurrence.ts';
import { parseLocalDateTime } from './zonedTime.ts';

/**
 * A recurrence as given by the event form or the API (strings or typed values). `endTime` is a
 * wall-clock time: at or before `startTime` it is the next day (a night from 22:00 to 02:00).
 */
export interface RecurrenceInput {
  frequency?: unknown;
  interval?: unknown;
  weekdays?: unknown;
  /** Monthly: 'monthDay' (the nth day) or 'weekday' (the nth weekday). */
  monthlyBy?: unknown;
  monthDay?: unknown;
  monthWeek?: unknown;
  monthWeekday?: unknown;
  startDate?: unknown;
  startTime?: unknown;
  endTime?: unknown;
  until?: unknown;
  count?: unknown;
  exceptions?: unknown;
  extraDates?: unknown;
  timezone?: unknown;
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');
const items = (v: unknown) =>
  (Array.isArray(v) ? v.map(text) : typeof v === 'string' ? v.split(/[\s,]+/) : []).filter((s) => s !== '');
const isDay = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && parseLocalDateTime(`${s}T00:00`) !== null;
const isTime = (s: string) => /^([01]\d|2[0-3]):[0-5]\d$/.test(s);
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function whole(errors: FieldErrors, field: string, raw: unknown, min: number, max: number): number | null {
  const s = text(raw);
  if (!s) return null;
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    errors.add(field, 'agenda.recurrence.range', { min, max });
    return null;
  }
  return n;
}

function readMonthly(errors: FieldErrors, raw: RecurrenceInput): MonthlyBy | null {
  if (text(raw.monthlyBy) === 'weekday') {
    const week = whole(errors, 'recurrence.monthWeek', raw.monthWeek, -1, 4);
    const weekday = text(raw.monthWeekday).toUpperCase() as Weekday;
    if (!WEEKDAYS.includes(weekday)) errors.add('recurrence.monthWeekday', 'choice');
    if (week === 0 || week === null) {
      if (!errors.has('recurrence.monthWeek')) errors.add('recurrence.monthWeek', 'choice');
      return null;
    }
    return WEEKDAYS.includes(weekday) ? { kind: 'weekday', week, weekday } : null;
  }
  const day = whole(errors, 'recurrence.monthDay', raw.monthDay, -1, 31);
  if (day === 0 || day === null) {
    if (!errors.has('recurrence.monthDay')) errors.add('recurrence.monthDay', 'required');
    return null;
  }
  return { kind: 'monthDay', day };
}

/**
 * Validates a recurrence (each problem reported on its field, `recurrence.<name>`) and writes it out.
 * Returns null when something is wrong (the errors say what).
 */
export function readRecurrence(
  errors: FieldErrors,
  raw: RecurrenceInput,
  defaultTimezone: string,
): { rule: RecurrenceRule; occurrences: Occurrence[] } | null {
  const before = errors.list.length;
  const frequency = text(raw.frequency) === 'monthly' ? 'monthly' : 'weekly';
  const interval = whole(errors, 'recurrence.interval', raw.interval, 1, frequency === 'weekly' ? 52 : 12) ?? 1;
  const weekdays = [...new Set(items(raw.weekdays).map((w) => w.toUpperCase()))] as Weekday[];
  if (frequency === 'weekly' && weekdays.length === 0) errors.add('recurrence.weekdays', 'agenda.recurrence.weekdays');
  if (weekdays.some((w) => !WEEKDAYS.includes(w))) errors.add('recurrence.weekdays', 'choice');
  const monthly = frequency === 'monthly' ? readMonthly(errors, raw) : null;
  const startDate = text(raw.startDate);
  if (!isDay(startDate)) errors.add('recurrence.startDate', startDate ? 'agenda.recurrence.day' : 'required');
  const startTime = text(raw.startTime);
  if (!isTime(startTime)) errors.add('recurrence.startTime', startTime ? 'agenda.recurrence.time' : 'required');
  const endTime = text(raw.endTime);
  if (endTime && !isTime(endTime)) errors.add('recurrence.endTime', 'agenda.recurrence.time');
  const until = text(raw.until) || null;
  if (until !== null && !isDay(until)) errors.add('recurrence.until', 'agenda.recurrence.day');
  else if (until !== null && isDay(startDate) && until < startDate)
    errors.add('recurrence.until', 'agenda.recurrence.until-before-start');
  else if (until !== null && isDay(startDate) && dayNumber(until) - dayNumber(startDate) > MAX_SPAN_DAYS)
    errors.add('recurrence.until', 'agenda.recurrence.too-far', { days: MAX_SPAN_DAYS });
  const count = whole(errors, 'recurrence.count', raw.count, 1, MAX_OCCURRENCES);
  if (until === null && count === null && !errors.has('recurrence.count'))
    errors.add('recurrence.until', 'agenda.recurrence.end-required');
  const exceptions = items(raw.exceptions).filter(isDay).sort();
  const extraDates = items(raw.extraDates);
  if (extraDates.length > MAX_EXTRA_DATES)
    errors.add('recurrence.extraDates', 'agenda.too-many-dates', { max: MAX_EXTRA_DATES });
  if (extraDates.some((d) => parseLocalDateTime(d) === null)) errors.add('recurrence.extraDates', 'agenda.datetime');
  const timezone = text(raw.timezone) || defaultTimezone;
  if (!isTimeZone(timezone)) errors.add('recurrence.timezone', 'timezone');
  if (errors.list.length > before) return null;
  const durationMinutes = endTime ? (minutes(endTime) - minutes(startTime) + 1440) % 1440 || 1440 : null;
  const rule: RecurrenceRule = {
    frequency,
    interval,
    weekdays: frequency === 'weekly' ? WEEKDAYS.filter((w) => weekdays.includes(w)) : [],
    monthly,
    startDate,
    startTime,
    durationMinutes,
    // One end only: a count wins over a day, as the form offers either.
    until: count === null ? until : null,
    count,
    exceptions,
    extraDates: extraDates.map((d) => d.replace(' ', 'T').slice(0, 16)).sort(),
    timezone,
  };
  try {
    const occurrences = expandRecurrence(rule);
    if (occurrences.length === 0) errors.add('recurrence.until', 'agenda.recurrence.empty');
    return occurrences.length ? { rule, occurrences } : null;
  } catch (e) {
    if (!(e instanceof RecurrenceTooLong)) throw e;
    const field = count === null ? 'recurrence.until' : 'recurrence.count';
    if (e.reason === 'too-many') errors.add(field, 'agenda.recurrence.too-many', { max: MAX_OCCURRENCES });
    else errors.add(field, 'agenda.recurrence.too-far', { days: MAX_SPAN_DAYS });
    return null;
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A stored rule as the input that recreates it (the form's values, an update's base). */
export function recurrenceAsInput(rule: RecurrenceRule): RecurrenceInput {
  const end = rule.durationMinutes === null ? null : (minutes(rule.startTime) + rule.durationMinutes) % 1440;
  return {
    frequency: rule.frequency,
    interval: String(rule.interval),
    weekdays: rule.weekdays,
    monthlyBy: rule.monthly?.kind ?? 'monthDay',
    monthDay: rule.monthly?.kind === 'monthDay' ? String(rule.monthly.day) : '',
    monthWeek: rule.monthly?.kind === 'weekday' ? String(rule.monthly.week) : '1',
    monthWeekday: rule.monthly?.kind === 'weekday' ? rule.monthly.weekday : 'FR',
    startDate: rule.startDate,
    startTime: rule.startTime,
    endTime: end === null ? '' : `${pad(Math.floor(end / 60))}:${pad(end % 60)}`,
    until: rule.until ?? '',
    count: rule.count === null ? '' : String(rule.count),
    exceptions: rule.exceptions,
    extraDates: rule.extraDates,
    timezone: rule.timezone,
  };
}
