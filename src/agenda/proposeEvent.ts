import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { DomainError, unauthenticated } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { agendaSettings } from './agendaSettings.ts';
import { readEvent, type EventInput } from './eventInput.ts';
import { chooseSlug, lockEvent, writeDates, writeTags, type AgendaEvent } from './events.ts';
import { placeTimezone } from '../places/index.ts';
import { lockPerson } from '../accounts/index.ts';

/** Pending proposals one person may have at one venue: enough for real use, a bound on spam. */
export const MAX_PENDING_PROPOSALS = 5;

/**
 * A logged-in visitor proposes an event to a venue that accepts proposals. It is stored as a draft
 * with a pending proposal: invisible outside the venue's team until an editor approves it.
 */
export async function proposeEvent(
  db: Db,
  actor: Actor,
  input: EventInput & { placeId: string },
): Promise<AgendaEvent> {
  if (actor.kind !== 'person') throw unauthenticated();
  return inTransaction(db, async (trx) => {
    const timezone = await placeTimezone(trx, input.placeId);
    if (!(await agendaSettings(trx, input.placeId)).acceptsProposals)
      throw new DomainError('agenda-proposals-closed', 403);
    const event = readEvent({ ...input, visibility: 'public' }, { timezone });
    // Serialise one person's proposals to this venue so the count below cannot be raced past.
    await lockPerson(trx, actor.personId);
    const pending = await trx
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('place_id', '=', input.placeId)
      .where('proposed_by', '=', actor.personId)
      .where('proposal_state', '=', 'pending')
      .executeTakeFirstOrThrow();
    if (Number(pending.n) >= MAX_PENDING_PROPOSALS)
      throw new DomainError('agenda-too-many-proposals', 429, { max: MAX_PENDING_PROPOSALS });
    const id = uuidv7();
    const slug = await chooseSlug(trx, null, event.fields.title, id);
    await trx
      .insertInto('events')
      .values({
        place_id: input.placeId,
        id,
        slug,
        ...event.fields,
        state: 'draft',
        proposed_by: actor.personId,
        proposal_state: 'pending',
      })
      .execute();
    await writeTags(trx, input.placeId, id, event.tags);
    await writeDates(trx, input.placeId, id, event.dates);
    await audit(trx, actor, { placeId: input.placeId, action: 'event.proposed', subjectId: id });
    return lockEvent(trx, id);
  });
}
