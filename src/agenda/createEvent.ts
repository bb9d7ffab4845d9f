import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { uuidv7 } from '../shared/ids.ts';
import { readEvent, type EventInput } from './eventInput.ts';
import { chooseSlug, lockEvent, writeDates, writeRecurrence, writeTags, type AgendaEvent } from './events.ts';
import { placeTimezone } from '../places/index.ts';
import { rruleText } from './recurrence.ts';

/**
 * Creates an event of a venue as a draft (nobody outside the team sees it until it is published).
 * Dates without a zone take the venue's. With a recurrence, its dates are written out in the same
 * transaction and the rule is stored.
 */
export async function createEvent(db: Db, actor: Actor, input: EventInput & { placeId: string }): Promise<AgendaEvent> {
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'events.write');
    const event = readEvent(input, { timezone: await placeTimezone(trx, input.placeId) });
    const id = uuidv7();
    const slug = await chooseSlug(trx, event.slug, event.fields.title, id);
    await trx
      .insertInto('events')
      .values({ place_id: input.placeId, id, slug, ...event.fields, state: 'draft' })
      .execute();
    await writeTags(trx, input.placeId, id, event.tags);
    await writeDates(trx, input.placeId, id, event.dates);
    await writeRecurrence(trx, input.placeId, id, event.recurrence);
    await audit(trx, actor, {
      placeId: input.placeId,
      action: 'event.created',
      subjectId: id,
      data: { slug, ...(event.recurrence ? { rrule: rruleText(event.recurrence) } : {}) },
    });
    return lockEvent(trx, id);
  });
}
