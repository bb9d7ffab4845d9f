import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors } from '../shared/errors.ts';
import {
  DEVICE_KINDS,
  PAIRING_TTL_MS,
  newPairingCode,
  normalizePairingCode,
  pairingCodeHash,
  readDeviceName,
  type DeviceKind,
} from './devices.ts';

export interface PairingCode {
  /** Shown once, to be typed on the device or read from the QR code: "ABCD-EFGH". Never stored. */
  code: string;
  kind: DeviceKind;
  name: string;
  expiresAt: Date;
}

/**
 * A venue admin starts pairing a till or a scanner: a one-time code valid 10 minutes. Only its
 * SHA-256 is stored; the device sends it with its public key to POST /api/v1/devices/pair.
 */
export async function createPairingCode(
  db: Db,
  actor: Actor,
  input: { placeId: string; kind: unknown; name: unknown },
): Promise<PairingCode> {
  const errors = new FieldErrors();
  const kind = input.kind as DeviceKind;
  if (!DEVICE_KINDS.includes(kind)) errors.add('kind', 'choice');
  const name = readDeviceName(errors, input.name);
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'place.settings');
    // A code equal to one made before (used or not) is drawn again: the hash is the primary key.
    for (let attempt = 0; ; attempt++) {
      const code = newPairingCode();
      const row = await trx
        .insertInto('device_pairings')
        .values({
          place_id: input.placeId,
          code_sha256: pairingCodeHash(normalizePairingCode(code)!),
          kind,
          name,
          created_by: actor.kind === 'person' ? actor.personId : null,
          expires_at: sql<Date>`now() + ${`${PAIRING_TTL_MS / 1000} seconds`}::interval`,
        })
        .onConflict((oc) => oc.column('code_sha256').doNothing())
        .returning('expires_at')
        .executeTakeFirst();
      if (!row) {
        if (attempt < 5) continue;
        throw new Error('could not draw a free pairing code');
      }
      await audit(trx, actor, { placeId: input.placeId, action: 'till.pairing.created', data: { kind, name } });
      return { code, kind, name, expiresAt: row.expires_at };
    }
  });
}
