import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import { bumpSequence, lockEvent, type AgendaEvent } from './events.ts';

/**
 * Publishes a draft, or brings a cancelled event back. A pending proposal is published through
 * reviewProposal, which records the decision.
 */
export async function publishEvent(db: Db, actor: Actor, input: { eventId: string }): Promise<AgendaEvent> {
  return inTransaction(db, async (trx) => {
    const event = await lockEvent(trx, input.eventId);
    await authorize(trx, actor, event.placeId, 'events.write');
    if (event.proposalState === 'pending' || event.proposalState === 'rejected') {
      throw new DomainError('agenda-transition', 409, { from: event.proposalState, to: 'published' });
    }
    if (event.state !== 'draft' && event.state !== 'cancelled') {
      throw new DomainError('agenda-transition', 409, { from: event.state, to: 'published' });
    }
    await trx
      .updateTable('events')
      .set({ state: 'published', published_at: sql<Date>`coalesce(published_at, now())` })
      .where('place_id', '=', event.placeId)
      .where('id', '=', event.id)
      .execute();
    await bumpSequence(trx, event.placeId, event.id);
    await audit(trx, actor, {
      placeId: event.placeId,
      action: 'event.published',
      subjectId: event.id,
      data: { from: event.state },
    });
    return lockEvent(trx, event.id);
  });
}
