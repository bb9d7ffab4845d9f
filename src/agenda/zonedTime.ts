/**
 * Wall-clock time in an IANA zone ↔ instants. Event dates are entered as local times ("20:00 in
 * Indian/Reunion") and stored as instants; DST makes the offset depend on the date itself.
 */

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock parts of an instant in a zone. */
export function localParts(instant: Date, timeZone: string): LocalParts & { second: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** Offset of the zone from UTC at an instant, in milliseconds. */
function offsetMs(instant: number, timeZone: string): number {
  const p = localParts(new Date(instant), timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant at which the zone's clocks show these parts. Around a DST change the offset differs
 * on each side, so both are tried: a repeated time (autumn) resolves to its first occurrence; a time
 * skipped by the spring jump resolves as if the clock had not jumped yet (02:30 becomes 03:30), as
 * calendar programs do.
 */
export function zonedToInstant(parts: LocalParts, timeZone: string): Date {
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute);
  // No zone changes its offset twice within a day: the offsets 12 hours either side bracket any change.
  const before = asUtc - offsetMs(asUtc - 12 * 3_600_000, timeZone);
  const after = asUtc - offsetMs(asUtc + 12 * 3_600_000, timeZone);
  const shows = (instant: number) => {
    const p = localParts(new Date(instant), timeZone);
    return (
      p.year === parts.year &&
      p.month === parts.month &&
      p.day === parts.day &&
      p.hour === parts.hour &&
      p.minute === parts.minute
    );
  };
  const valid = [before, after].filter(shows);
  return new Date(valid.length ? Math.min(...valid) : before);
}

/** The local date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** "2026-12-05T20:00" as local parts; null if malformed or not a real calendar time. */
export function parseLocalDateTime(value: string): LocalParts | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::00)?$/.exec(value.trim());
  if (!m) return null;
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59) return null;
  return { year, month, day, hour, minute };
}

/** Adds days and months to the wall-clock time of an instant in its zone (keeps 20:00 at 20:00 across DST). */
export function shiftLocal(instant: Date, timeZone: string, shift: { days?: number; months?: number }): Date {
  const p = localParts(instant, timeZone);
  let month = p.month - 1 + (shift.months ?? 0);
  const year = p.year + Math.floor(month / 12);
  month = ((month % 12) + 12) % 12;
  // 31 January + 1 month is the last day of February, not 3 March.
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const base = new Date(Date.UTC(year, month, Math.min(p.day, lastDay)));
  base.setUTCDate(base.getUTCDate() + (shift.days ?? 0));
  return zonedToInstant(
    {
      year: base.getUTCFullYear(),
      month: base.getUTCMonth() + 1,
      day: base.getUTCDate(),
      hour: p.hour,
      minute: p.minute,
    },
    timeZone,
  );
}

/** Whole days from local date a to local date b (YYYY-MM-DD). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}
