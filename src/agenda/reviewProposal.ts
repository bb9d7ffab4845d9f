import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import { bumpSequence, lockEvent, type AgendaEvent } from './events.ts';

/**
 * An editor approves a pending proposal (it is published as it is; they may edit it first) or
 * rejects it (it stays an invisible draft, kept so the proposer's history is not rewritten).
 */
export async function reviewProposal(
  db: Db,
  actor: Actor,
  input: { eventId: string; decision: unknown },
): Promise<AgendaEvent> {
  if (input.decision !== 'approve' && input.decision !== 'reject') {
    throw new DomainError('validation', 422, {}, [{ field: 'decision', message: 'choice' }]);
  }
  const approve = input.decision === 'approve';
  return inTransaction(db, async (trx) => {
    const event = await lockEvent(trx, input.eventId);
    await authorize(trx, actor, event.placeId, 'events.write');
    if (event.proposalState !== 'pending') {
      throw new DomainError('agenda-transition', 409, {
        from: event.proposalState ?? event.state,
        to: approve ? 'approved' : 'rejected',
      });
    }
    await trx
      .updateTable('events')
      .set(
        approve
          ? { proposal_state: 'approved', state: 'published', published_at: sql<Date>`now()` }
          : { proposal_state: 'rejected' },
      )
      .where('place_id', '=', event.placeId)
      .where('id', '=', event.id)
      .execute();
    await bumpSequence(trx, event.placeId, event.id);
    await audit(trx, actor, {
      placeId: event.placeId,
      action: approve ? 'event.proposal.approved' : 'event.proposal.rejected',
      subjectId: event.id,
    });
    return lockEvent(trx, event.id);
  });
}
