import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors } from '../shared/errors.ts';
import { text } from './posSetup.ts';

/**
 * A venue admin sets when its business day starts ('HH:MM', local time of the venue; default 04:00):
 * a sale at 01:30 belongs to the day before. Sales already made keep their business day.
 */
export async function saveTillSettings(
  db: Db,
  actor: Actor,
  input: { placeId: string; dayStartsAt: unknown },
): Promise<{ dayStartsAt: string }> {
  const errors = new FieldErrors();
  const m = /^([01]?\d|2[0-3])[:hH]([0-5]\d)$/.exec(text(input.dayStartsAt));
  if (!m) errors.add('dayStartsAt', 'pos.day-starts-at');
  errors.throwIfAny();
  const dayStartsAt = `${m![1]!.padStart(2, '0')}:${m![2]}`;
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'place.settings');
    await trx
      .insertInto('till_settings')
      .values({ place_id: input.placeId, day_starts_at: dayStartsAt })
      .onConflict((oc) => oc.column('place_id').doUpdateSet({ day_starts_at: dayStartsAt }))
      .execute();
    await audit(trx, actor, { placeId: input.placeId, action: 'till.settings.updated', data: { dayStartsAt } });
    return { dayStartsAt };
  });
}
