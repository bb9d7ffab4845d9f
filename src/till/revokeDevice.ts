import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { isUuid } from '../shared/ids.ts';
import { notFound } from '../shared/errors.ts';

/**
 * A venue admin revokes a device (lost phone, stolen Raspberry Pi): from the commit on, every request
 * it signs is refused (verifyDeviceRequest reads revoked_at in the request's transaction). The row
 * stays: sales and transfers name it. Revoking twice keeps the first date.
 */
export async function revokeDevice(
  db: Db,
  actor: Actor,
  input: { placeId: string; deviceId: string },
): Promise<{ id: string; revokedAt: Date }> {
  if (!isUuid(input.deviceId)) throw notFound('device');
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'place.settings');
    const device = await trx
      .selectFrom('ledger_devices')
      .select(['id', 'name', 'revoked_at'])
      .where('place_id', '=', input.placeId)
      .where('id', '=', input.deviceId)
      .forUpdate()
      .executeTakeFirst();
    if (!device) throw notFound('device');
    if (device.revoked_at) return { id: device.id, revokedAt: device.revoked_at };
    const row = await trx
      .updateTable('ledger_devices')
      .set({ revoked_at: sql<Date>`now()` })
      .where('place_id', '=', input.placeId)
      .where('id', '=', input.deviceId)
      .returning('revoked_at')
      .executeTakeFirstOrThrow();
    await audit(trx, actor, {
      placeId: input.placeId,
      action: 'till.device.revoked',
      subjectId: device.id,
      data: { name: device.name },
    });
    return { id: device.id, revokedAt: row.revoked_at! };
  });
}
