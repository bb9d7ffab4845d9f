import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import { agendaSettings, type AgendaSettings } from './agendaSettings.ts';

/** Changes a venue's agenda settings (whether it accepts proposals from visitors). */
export async function updateAgendaSettings(
  db: Db,
  actor: Actor,
  input: { placeId: string; acceptsProposals: unknown },
): Promise<AgendaSettings> {
  if (typeof input.acceptsProposals !== 'boolean') {
    throw new DomainError('validation', 422, {}, [{ field: 'acceptsProposals', message: 'type' }]);
  }
  const accepts = input.acceptsProposals;
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'events.write');
    await trx
      .insertInto('agenda_settings')
      .values({ place_id: input.placeId, accepts_proposals: accepts })
      .onConflict((oc) =>
        oc.column('place_id').doUpdateSet({ accepts_proposals: accepts, updated_at: sql<Date>`now()` }),
      )
      .execute();
    await audit(trx, actor, {
      placeId: input.placeId,
      action: 'agenda.settings.updated',
      data: { acceptsProposals: accepts },
    });
    return agendaSettings(trx, input.placeId);
  });
}
