import { sql } from 'kysely';
import type { Db, Trx } from '../db/database.ts';

/**
 * The rows of ledger_devices: the tills and scanners whose public keys sign ledger requests
 * (deviceSignature.ts). The ledger owns them; the till's pairing and device pages (src/till/devices.ts,
 * pairDevice.ts, renameDevice.ts, revokeDevice.ts) authorise and audit, and write through these.
 */
export interface LedgerDevice {
  id: string;
  name: string;
  kind: 'till' | 'scanner';
  createdAt: Date;
  revokedAt: Date | null;
  /** The last signed request the device made (from its nonces), if any. */
  lastSeenAt: Date | null;
}

/** The devices of a venue, newest first; revoked ones included (they stay in the history of sales). */
export async function ledgerDevicesOf(db: Db, placeId: string): Promise<LedgerDevice[]> {
  const rows = await db
    .selectFrom('ledger_devices as d')
    .select(['d.id', 'd.name', 'd.kind', 'd.created_at', 'd.revoked_at'])
    .select(
      sql<Date | null>`(select max(n.seen_at) from ledger_device_nonces n where n.place_id = d.place_id and n.device_id = d.id)`.as(
        'last_seen_at',
      ),
    )
    .where('d.place_id', '=', placeId)
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastSeenAt: r.last_seen_at === null ? null : new Date(r.last_seen_at),
  }));
}

/** Adds a device with its public key (SPKI DER, base64). The caller has authorised it and audits it. */
export async function insertLedgerDevice(
  trx: Trx,
  device: { placeId: string; id: string; name: string; kind: 'till' | 'scanner'; publicKey: string },
): Promise<void> {
  await trx
    .insertInto('ledger_devices')
    .values({
      place_id: device.placeId,
      id: device.id,
      name: device.name,
      kind: device.kind,
      public_key: device.publicKey,
    })
    .execute();
}

/** A device of a venue, its row locked until the end of the transaction; undefined if there is none. */
export async function lockLedgerDevice(
  trx: Trx,
  placeId: string,
  deviceId: string,
): Promise<{ id: string; name: string; revokedAt: Date | null } | undefined> {
  const row = await trx
    .selectFrom('ledger_devices')
    .select(['id', 'name', 'revoked_at'])
    .where('place_id', '=', placeId)
    .where('id', '=', deviceId)
    .forUpdate()
    .executeTakeFirst();
  return row && { id: row.id, name: row.name, revokedAt: row.revoked_at };
}

/** Revokes a device now (the caller locked it and saw it not revoked); answers when. */
export async function setLedgerDeviceRevoked(trx: Trx, placeId: string, deviceId: string): Promise<Date> {
  const row = await trx
    .updateTable('ledger_devices')
    .set({ revoked_at: sql<Date>`now()` })
    .where('place_id', '=', placeId)
    .where('id', '=', deviceId)
    .returning('revoked_at')
    .executeTakeFirstOrThrow();
  return row.revoked_at!;
}

/** Renames a device (the caller locked it). */
export async function setLedgerDeviceName(trx: Trx, placeId: string, deviceId: string, name: string): Promise<void> {
  await trx
    .updateTable('ledger_devices')
    .set({ name })
    .where('place_id', '=', placeId)
    .where('id', '=', deviceId)
    .execute();
}
