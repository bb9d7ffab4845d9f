import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { readEvent } from './eventInput.ts';
import { bumpSequence, lockEvent, type AgendaEvent } from './events.ts';

/**
 * Moves one date of a published event to a new start (and end; without one, the duration is kept).
 * The event becomes "postponed" and the date remembers its first start (previous_starts_at, shown
 * as schema.org previousStartDate), even when postponed twice.
 */
export async function postponeEvent(
  db: Db,
  actor: Actor,
  input: { eventId: string; dateId?: string; startsAt: unknown; endsAt?: unknown },
): Promise<AgendaEvent> {
  return inTransaction(db, async (trx) => {
    const event = await lockEvent(trx, input.eventId);
    await authorize(trx, actor, event.placeId, 'events.write');
    if (event.state !== 'published' && event.state !== 'postponed') {
      throw new DomainError('agenda-transition', 409, { from: event.state, to: 'postponed' });
    }
    const date = input.dateId ? event.dates.find((d) => d.id === input.dateId) : event.dates[0];
    if (!date) {
      const errors = new FieldErrors();
      errors.add('dateId', 'choice');
      errors.throwIfAny();
    }
    // The same parsing and checks as the event form, on this one date.
    const parsed = readEvent(
      {
        title: event.title,
        atVenue: true,
        dates: [{ startsAt: input.startsAt, endsAt: input.endsAt ?? '', timezone: date!.timezone }],
      },
      { timezone: date!.timezone },
    ).dates[0]!;
    const endsAt =
      parsed.endsAt ??
      (date!.endsAt ? new Date(parsed.startsAt.getTime() + (date!.endsAt.getTime() - date!.startsAt.getTime())) : null);
    if (parsed.startsAt.getTime() === date!.startsAt.getTime()) {
      throw new DomainError('validation', 422, {}, [{ field: 'startsAt', message: 'agenda.same-date' }]);
    }
    await trx
      .updateTable('event_dates')
      .set({
        starts_at: parsed.startsAt,
        ends_at: endsAt,
        previous_starts_at: date!.previousStartsAt ?? date!.startsAt,
      })
      .where('place_id', '=', event.placeId)
      .where('id', '=', date!.id)
      .execute();
    await trx
      .updateTable('events')
      .set({ state: 'postponed' })
      .where('place_id', '=', event.placeId)
      .where('id', '=', event.id)
      .execute();
    await bumpSequence(trx, event.placeId, event.id);
    await audit(trx, actor, {
      placeId: event.placeId,
      action: 'event.postponed',
      subjectId: event.id,
      data: { dateId: date!.id, from: date!.startsAt.toISOString(), to: parsed.startsAt.toISOString() },
    });
    return lockEvent(trx, event.id);
  });
}
