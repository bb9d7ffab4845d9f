import type { Db } from '../db/database.ts';

export interface AgendaSettings {
  acceptsProposals: boolean;
}

/** The agenda settings of a venue (the defaults when it never set them). */
export async function agendaSettings(db: Db, placeId: string): Promise<AgendaSettings> {
  const row = await db
    .selectFrom('agenda_settings')
    .select('accepts_proposals')
    .where('place_id', '=', placeId)
    .executeTakeFirst();
  return { acceptsProposals: row?.accepts_proposals ?? false };
}
