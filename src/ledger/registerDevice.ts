import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { publicKeyFromBase64 } from './nodeKey.ts';

export interface RegisterDeviceInput {
  placeId: string;
  name: string;
  kind: 'till' | 'scanner';
  /** The device's Ed25519 public key, SPKI DER in base64. */
  publicKey: string;
}

/**
 * Registers a till or scanner of a venue with its public key. The pairing screens belong to the till
 * issue; this is the use case they will call (venue admins only).
 */
export async function registerDevice(db: Db, actor: Actor, input: RegisterDeviceInput): Promise<{ id: string }> {
  const errors = new FieldErrors();
  if (!input.name || input.name.length > 80) errors.add('name', 'required');
  if (input.kind !== 'till' && input.kind !== 'scanner') errors.add('kind', 'choice');
  try {
    if (publicKeyFromBase64(input.publicKey).asymmetricKeyType !== 'ed25519')
      errors.add('publicKey', 'ledger.public-key');
  } catch {
    errors.add('publicKey', 'ledger.public-key');
  }
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'place.settings');
    const id = uuidv7();
    await trx
      .insertInto('ledger_devices')
      .values({ place_id: input.placeId, id, name: input.name, kind: input.kind, public_key: input.publicKey })
      .execute();
    await audit(trx, actor, {
      placeId: input.placeId,
      action: 'ledger.device.registered',
      subjectId: id,
      data: { name: input.name, kind: input.kind },
    });
    return { id };
  });
}
