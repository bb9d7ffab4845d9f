import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { isUuid } from '../shared/ids.ts';
import { notFound } from '../shared/errors.ts';
import { lockLedgerDevice, setLedgerDeviceRevoked } from '../ledger/index.ts';

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
    const device = await lockLedgerDevice(trx, input.placeId, input.deviceId);
    if (!device) throw notFound('device');
    if (device.revokedAt) return { id: device.id, revokedAt: device.revokedAt };
    const revokedAt = await setLedgerDeviceRevoked(trx, input.placeId, input.deviceId);
    await audit(trx, actor, {
      placeId: input.placeId,
      action: 'till.device.revoked',
      subjectId: device.id,
      data: { name: device.name },
    });
    return { id: device.id, revokedAt };
  });
}
