import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import { SYSTEM, personActor } from '../access/actor.ts';
import { publicKeyFromBase64, insertLedgerDevice } from '../ledger/index.ts';
import { findPlaceById } from '../places/index.ts';
import { FieldErrors } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { normalizePairingCode, pairingCodeHash, pairingCodeRefused, type DeviceKind } from './devices.ts';

export interface PairedDevice {
  placeId: string;
  deviceId: string;
  kind: DeviceKind;
  name: string;
  place: { name: string; slug: string };
}

/** An Ed25519 public key, SPKI DER in base64 (what the till generates and keeps the private half of). */
function readPublicKey(errors: FieldErrors, raw: unknown): string {
  const value = typeof raw === 'string' ? raw.trim() : '';
  if (!value) {
    errors.add('publicKey', 'required');
    return '';
  }
  try {
    if (
      value.length > 200 ||
      !/^[A-Za-z0-9+/]+={0,2}$/.test(value) ||
      publicKeyFromBase64(value).asymmetricKeyType !== 'ed25519'
    )
      errors.add('publicKey', 'ledger.public-key');
  } catch {
    errors.add('publicKey', 'ledger.public-key');
  }
  return value;
}

/**
 * A device pairs itself with a one-time code: not signed (the code is the secret). In one
 * transaction, the code is consumed by a conditional UPDATE (unused and unexpired, row-locked: two
 * devices racing for one code → one wins, the other finds it used) and the device row is inserted
 * with its public key, with an audit entry naming the admin who made the code. Unknown, used or
 * expired code → 404 `device-pairing-code` (the same answer for all three).
 */
export async function pairDevice(db: Db, input: { code: unknown; publicKey: unknown }): Promise<PairedDevice> {
  const errors = new FieldErrors();
  const typed = typeof input.code === 'string' ? input.code : '';
  if (!typed.trim()) errors.add('code', 'required');
  const publicKey = readPublicKey(errors, input.publicKey);
  errors.throwIfAny();
  const code = normalizePairingCode(typed);
  if (!code) throw pairingCodeRefused();
  return inTransaction(db, async (trx) => {
    const deviceId = uuidv7();
    const pairing = await trx
      .updateTable('device_pairings')
      .set({ used_at: sql<Date>`now()`, device_id: deviceId })
      .where('code_sha256', '=', pairingCodeHash(code))
      .where('used_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .returning(['place_id', 'kind', 'name', 'created_by'])
      .executeTakeFirst();
    if (!pairing) throw pairingCodeRefused();
    await insertLedgerDevice(trx, {
      placeId: pairing.place_id,
      id: deviceId,
      name: pairing.name,
      kind: pairing.kind,
      publicKey,
    });
    const venue = await findPlaceById(trx, pairing.place_id);
    if (!venue) throw new Error(`pairing of a missing place ${pairing.place_id}`);
    const place = { name: venue.name, slug: venue.slug };
    // The admin who showed the code authorised the pairing.
    const actor = pairing.created_by ? personActor(pairing.created_by) : SYSTEM;
    await audit(trx, actor, {
      placeId: pairing.place_id,
      action: 'till.device.paired',
      subjectId: deviceId,
      data: { kind: pairing.kind, name: pairing.name },
    });
    return { placeId: pairing.place_id, deviceId, kind: pairing.kind, name: pairing.name, place };
  });
}
