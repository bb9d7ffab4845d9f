import type { Db } from '../db/database.ts';
import { FieldErrors } from '../shared/errors.ts';
import { datesInUse } from './dateUses.ts';
import type { AgendaEvent } from './events.ts';
import { expandRecurrence } from './recurrence.ts';
import { readRecurrence, type RecurrenceInput } from './recurrenceInput.ts';
import { localDate } from './zonedTime.ts';

/** One line of the form's preview: a date the rule gives, an extra date, or a sold date the rule no longer has. */
export interface PreviewDate {
  day: string;
  startsAt: Date;
  endsAt: Date | null;
  timezone: string;
  kind: 'rule' | 'extra' | 'kept';
  /** An exception: a day of the rule that will not be a date (its box unticked). */
  excluded: boolean;
}

/**
 * What saving this rule would give the event, written nowhere: every day of the rule (the exceptions
 * among them marked, so the form can tick them again), the extra dates, and the event's dates that
 * would be kept as they are because they have tickets sold (events.ts, writeDates). A bad rule throws
 * the same field errors as saving it.
 */
export async function previewRecurrence(
  db: Db,
  input: { event: AgendaEvent | null; recurrence: RecurrenceInput; timezone: string },
): Promise<PreviewDate[]> {
  const errors = new FieldErrors();
  const read = readRecurrence(errors, input.recurrence, input.timezone);
  errors.throwIfAny();
  const rule = read!.rule;
  const excluded = new Set(rule.exceptions);
  const all = expandRecurrence({ ...rule, exceptions: [] }).map((o) => ({
    day: o.day,
    startsAt: o.startsAt,
    endsAt: o.endsAt,
    timezone: rule.timezone,
    kind: o.extra ? ('extra' as const) : ('rule' as const),
    excluded: excluded.has(o.day) && !o.extra,
  }));
  const event = input.event;
  if (!event || event.dates.length === 0) return all;
  const given = new Set(read!.occurrences.map((o) => o.startsAt.getTime()));
  const notGiven = event.dates.filter((d) => !given.has(d.startsAt.getTime()));
  const used = await datesInUse(
    db,
    event.placeId,
    event.id,
    notGiven.map((d) => d.id),
  );
  const kept = notGiven
    .filter((d) => used.has(d.id))
    .map((d) => ({
      day: localDate(d.startsAt, d.timezone),
      startsAt: d.startsAt,
      endsAt: d.endsAt,
      timezone: d.timezone,
      kind: 'kept' as const,
      excluded: false,
    }));
  // A sold date on a day of the rule stays as it is and stands for that day (writeDates does the same).
  const keptDays = new Set(kept.map((k) => k.day));
  return [...all.filter((o) => o.kind === 'extra' || !keptDays.has(o.day)), ...kept].sort(
    (a, b) => a.startsAt.getTime() - b.startsAt.getTime(),
  );
}
