import type { Db } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { Actor } from './actor.ts';

/** Writes an audit entry. Call it inside the transaction of the change it records: both or neither. */
export async function audit(
  db: Db,
  actor: Actor,
  entry: { placeId?: string | null; action: string; subjectId?: string | null; data?: Record<string, unknown> },
): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: uuidv7(),
      place_id: entry.placeId ?? null,
      actor_person_id: actor.kind === 'person' ? actor.personId : null,
      actor_api_key_id: actor.kind === 'apiKey' ? actor.keyId : null,
      action: entry.action,
      subject_id: entry.subjectId ?? null,
      data: JSON.stringify(entry.data ?? {}),
    })
    .execute();
}
