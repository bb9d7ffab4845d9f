import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { SYSTEM } from '../access/actor.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { randomToken } from '../shared/secrets.ts';
import { DEVICE_CLOCK_SKEW_MS, readDeviceHeaders, signDeviceRequest, verifyDeviceRequest } from './deviceSignature.ts';
import { NONCE_RETENTION_MS, purgeDeviceNonces } from './purgeDeviceNonces.ts';
import { registerDevice } from './registerDevice.ts';
import { useLedgerWorld, type LedgerWorld } from './testFixtures.ts';

let db: Db;
let w: LedgerWorld;
useLedgerWorld((opened) => ({ db, w } = opened));

const HOUR = 3600_000;

describe('device nonces are kept as long as a replay could pass, not forever', () => {
  test('old nonces go, the newest of each device stays, and a request replayed after the purge is still refused', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const other = await registerDevice(db, SYSTEM, {
      placeId: w.device.placeId,
      name: 'Till 2',
      kind: 'till',
      publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    });
    const now = Date.now();
    // A request really accepted two hours ago: its nonce is in the table like any other.
    const body = '{}';
    const headers = signDeviceRequest(w.device.privateKey, {
      placeId: w.device.placeId,
      deviceId: w.device.id,
      method: 'POST',
      path: '/api/v1/x',
      body,
      timestamp: now - 2 * HOUR,
    });
    const signed = readDeviceHeaders(headers, { method: 'POST', path: '/api/v1/x', body })!;
    await inTransaction(db, (trx) => verifyDeviceRequest(trx, signed, now - 2 * HOUR));
    const rows = [
      { device_id: w.device.id, nonce: signed.nonce, at: now - 2 * HOUR },
      { device_id: w.device.id, nonce: randomToken(12), at: now - 3 * HOUR },
      { device_id: w.device.id, nonce: randomToken(12), at: now - NONCE_RETENTION_MS + 60_000 },
      { device_id: other.id, nonce: randomToken(12), at: now - 5 * HOUR },
      { device_id: other.id, nonce: randomToken(12), at: now - 6 * HOUR },
    ];
    for (const r of rows.slice(1)) {
      await db
        .insertInto('ledger_device_nonces')
        .values({ place_id: w.device.placeId, device_id: r.device_id, nonce: r.nonce, seen_at: new Date(r.at) })
        .execute();
    }
    await db
      .updateTable('ledger_device_nonces')
      .set({ seen_at: new Date(rows[0]!.at) })
      .where('nonce', '=', signed.nonce)
      .execute();

    assert.equal(await purgeDeviceNonces(db, new Date(now)), 3);
    const left = await db
      .selectFrom('ledger_device_nonces')
      .select(['device_id', 'nonce'])
      .where('place_id', '=', w.device.placeId)
      .execute();
    const kept = new Set(left.map((r) => r.nonce));
    assert.equal(kept.has(rows[2]!.nonce), true, 'within the retention: kept');
    assert.equal(kept.has(rows[3]!.nonce), true, 'the newest nonce of a quiet device is kept (its last seen time)');
    for (const gone of [rows[0]!, rows[1]!, rows[4]!]) assert.equal(kept.has(gone.nonce), false);
    assert.equal(await purgeDeviceNonces(db, new Date(now)), 0);

    // The replay of the two-hour-old request: its nonce is gone, its timestamp is not fresh.
    await assert.rejects(
      inTransaction(db, (trx) => verifyDeviceRequest(trx, signed, now)),
      (e: unknown) =>
        e instanceof DomainError && e.code === 'ledger-device-signature' && e.params.reason === 'timestamp',
    );
    assert.ok(NONCE_RETENTION_MS >= 2 * DEVICE_CLOCK_SKEW_MS);
  });
});
