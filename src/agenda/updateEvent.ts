import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { readEvent, type EventInput } from './eventInput.ts';
import {
  bumpSequence,
  chooseSlug,
  eventAsInput,
  lockEvent,
  writeDates,
  writeRecurrence,
  writeTags,
  type AgendaEvent,
} from './events.ts';
import { placeTimezone } from '../places/index.ts';
import { rruleText } from './recurrence.ts';

/**
 * Changes an event. Fields left out of `input` keep their value (PATCH); the result is validated as
 * a whole. Dates given with their id keep it. The iCalendar SEQUENCE increases.
 *
 * Dates given one by one (`dates` without `recurrence`) end the event's rule. A rule (new or kept)
 * writes the dates out again: a date on a day the rule still has keeps its id; a date with tickets
 * sold is never deleted nor moved (events.ts, writeDates) — it is kept and the edit page flags it.
 */
export async function updateEvent(db: Db, actor: Actor, input: EventInput & { eventId: string }): Promise<AgendaEvent> {
  return inTransaction(db, async (trx) => {
    const current = await lockEvent(trx, input.eventId);
    await authorize(trx, actor, current.placeId, 'events.write');
    const merged: EventInput = { ...eventAsInput(current) };
    for (const [k, v] of Object.entries(input))
      if (v !== undefined && k !== 'eventId') (merged as Record<string, unknown>)[k] = v;
    if (input.dates !== undefined && input.recurrence === undefined) merged.recurrence = null;
    const event = readEvent(merged, { timezone: await placeTimezone(trx, current.placeId) });
    const slug =
      event.slug === current.slug ? current.slug : await chooseSlug(trx, event.slug, event.fields.title, current.id);
    await trx
      .updateTable('events')
      .set({ ...event.fields, slug })
      .where('place_id', '=', current.placeId)
      .where('id', '=', current.id)
      .execute();
    await writeTags(trx, current.placeId, current.id, event.tags);
    const { kept } = await writeDates(trx, current.placeId, current.id, event.dates, {
      matchDays: event.recurrence !== null,
    });
    await writeRecurrence(trx, current.placeId, current.id, event.recurrence);
    await bumpSequence(trx, current.placeId, current.id);
    await audit(trx, actor, {
      placeId: current.placeId,
      action: 'event.updated',
      subjectId: current.id,
      data: {
        fields: Object.keys(input).filter((k) => k !== 'eventId'),
        ...(event.recurrence ? { rrule: rruleText(event.recurrence) } : {}),
        ...(kept.length ? { keptDates: kept } : {}),
      },
    });
    return lockEvent(trx, current.id);
  });
}
