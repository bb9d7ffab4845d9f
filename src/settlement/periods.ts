import { zonedToInstant } from '../agenda/index.ts';
import { DomainError } from '../shared/errors.ts';

/** The time zone of a federation: the one most of its venues use (ties: the first by name); UTC without venues. */
export function federationTimezone(members: readonly { timezone: string }[]): string {
  const counts = new Map<string, number>();
  for (const m of members) counts.set(m.timezone, (counts.get(m.timezone) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))[0]?.[0] ?? 'UTC';
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * The end of a period (docs/SETTLEMENT.md, "Periods"): a Date; `now`; a date `YYYY-MM-DD` — up to the end
 * of that day, i.e. midnight after it, in the federation's time zone; or an ISO 8601 instant with its
 * offset. A period is settled once it is over: an end after `now` is refused. Field `until`.
 */
export function readUntil(raw: unknown, timezone: string, now: Date): Date {
  const refuse = (message: string): never => {
    throw new DomainError('validation', 422, {}, [{ field: 'until', message }]);
  };
  let end: Date | null = null;
  if (raw instanceof Date) end = Number.isNaN(raw.getTime()) ? null : raw;
  else if (raw === 'now') end = now;
  else if (typeof raw === 'string') {
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw.trim());
    if (day) {
      const [year, month, date] = day.slice(1).map(Number) as [number, number, number];
      const next = new Date(Date.UTC(year, month - 1, date));
      if (next.getUTCMonth() === month - 1 && next.getUTCDate() === date) {
        next.setUTCDate(next.getUTCDate() + 1);
        end = zonedToInstant(
          { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate(), hour: 0, minute: 0 },
          timezone,
        );
      }
    } else if (INSTANT.test(raw.trim()) && !Number.isNaN(Date.parse(raw.trim()))) {
      end = new Date(Date.parse(raw.trim()));
    }
  }
  if (!end) return refuse('settlement.until');
  if (end.getTime() > now.getTime()) refuse('settlement.until-future');
  return end;
}
