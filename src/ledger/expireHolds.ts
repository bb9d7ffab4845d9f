import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { resolveHold } from './resolveHold.ts';

/**
 * Voids the holds whose time is up (a job of the node). Bounded per call; each void is its own
 * transaction, so one hold resolved meanwhile by a venue (409) does not stop the others.
 */
export async function expireHolds(db: Db, now = new Date(), limit = 500): Promise<number> {
  const due = await db
    .selectFrom('ledger_transfers as h')
    .select('h.id')
    .where('h.phase', '=', 'pending')
    .where('h.expires_at', '<=', now)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('ledger_transfers as r')
            .select(sql`1`.as('one'))
            .whereRef('r.pending_id', '=', 'h.id'),
        ),
      ),
    )
    .orderBy('h.expires_at')
    .limit(limit)
    .execute();
  let voided = 0;
  for (const hold of due) {
    try {
      await resolveHold(db, SYSTEM, 'void', { id: uuidv7(), holdId: hold.id }, now);
      voided++;
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'ledger-hold-resolved')) throw error;
    }
  }
  return voided;
}
