import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { lockLedgerDevice, setLedgerDeviceName } from '../ledger/index.ts';
import { readDeviceName } from './devices.ts';

/** A venue admin renames a device ("Bar 2", "Entrée"). Past journal lines keep the device's id. */
export async function renameDevice(
  db: Db,
  actor: Actor,
  input: { placeId: string; deviceId: string; name: unknown },
): Promise<{ id: string; name: string }> {
  const errors = new FieldErrors();
  const name = readDeviceName(errors, input.name);
  errors.throwIfAny();
  if (!isUuid(input.deviceId)) throw notFound('device');
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'place.settings');
    const before = await lockLedgerDevice(trx, input.placeId, input.deviceId);
    if (!before) throw notFound('device');
    await setLedgerDeviceName(trx, input.placeId, input.deviceId, name);
    await audit(trx, actor, {
      placeId: input.placeId,
      action: 'till.device.renamed',
      subjectId: input.deviceId,
      data: { from: before.name, to: name },
    });
    return { id: input.deviceId, name };
  });
}
