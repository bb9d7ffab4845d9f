import { localParts } from './zonedTime.ts';

/** The wall-clock time of an instant in a zone, as a Date whose UTC fields carry it. */
export function wallClock(instant: Date, timeZone: string): Date {
  const p = localParts(instant, timeZone);
  return new Date(Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second));
}

/** The zone's offset from UTC at an instant, in minutes. */
function offsetMinutes(instant: Date, timeZone: string): number {
  return Math.round((wallClock(instant, timeZone).getTime() - Math.floor(instant.getTime() / 1000) * 1000) / 60_000);
}

/**
 * A VTIMEZONE (RFC 5545 §3.6.5) for a zone with one offset over the year around `at` (Indian/Reunion,
 * most of Africa and Asia): a single STANDARD rule. A zone with daylight saving time gets null and
 * its times are written in UTC, which every calendar reads right, rather than a rule we would
 * have to derive from the zone database.
 */
export function fixedOffsetVtimezone(timeZone: string, at: Date): string | null {
  const year = at.getUTCFullYear();
  const offsets = [0, 3, 6, 9].map((m) => offsetMinutes(new Date(Date.UTC(year, m, 1)), timeZone));
  if (offsets.some((o) => o !== offsets[0])) return null;
  const o = offsets[0]!;
  const sign = o < 0 ? '-' : '+';
  const hhmm = `${sign}${String(Math.floor(Math.abs(o) / 60)).padStart(2, '0')}${String(Math.abs(o) % 60).padStart(2, '0')}`;
  return [
    'BEGIN:VTIMEZONE',
    `TZID:${timeZone}`,
    'BEGIN:STANDARD',
    'DTSTART:19700101T000000',
    `TZOFFSETFROM:${hhmm}`,
    `TZOFFSETTO:${hhmm}`,
    'END:STANDARD',
    'END:VTIMEZONE',
    '',
  ].join('\r\n');
}
