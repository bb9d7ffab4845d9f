import { sql, type RawBuilder } from 'kysely';
import type { Actor } from '../access/actor.ts';
import { uuidv7 } from '../shared/ids.ts';

/** The audit_log columns, in the order of auditRow's values. */
export const AUDIT_INTO = sql`audit_log (id, place_id, actor_person_id, actor_api_key_id, action, subject_id, data)`;

/**
 * One audit entry written as `audit()` (src/access/audit.ts) writes it, as a `select` of values for an
 * `insert into ${AUDIT_INTO} …` inside a larger statement: the entry is written by the very statement
 * that makes the change (both or neither), without a round trip of its own.
 */
export function auditRow(
  actor: Actor,
  entry: { placeId: string | null; action: string; subjectId: string | null; data: Record<string, unknown> },
): RawBuilder<unknown> {
  return sql`select ${uuidv7()}::uuid, ${entry.placeId}::uuid, ${actor.kind === 'person' ? actor.personId : null}::uuid,
    ${actor.kind === 'apiKey' ? actor.keyId : null}::uuid, ${entry.action}::text, ${entry.subjectId}::uuid, ${JSON.stringify(entry.data)}::jsonb`;
}
