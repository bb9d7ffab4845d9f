import { createHash, sign, type KeyObject } from 'node:crypto';
import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { publicKeyFromBase64, verifyText } from './nodeKey.ts';
import { locksSql, type LockKeys } from '../db/locks.ts';
import type { DeviceSignature } from './tables.ts';

/** How far a device's clock may be from the server's; older requests are refused as stale. */
export const DEVICE_CLOCK_SKEW_MS = 5 * 60_000;
const NONCE_RE = /^[A-Za-z0-9_-]{16,64}$/;

/** The headers a signed device request carries (docs/LEDGER.md, "Device signatures"). */
export const DEVICE_HEADERS = {
  device: 'x-rezo-device',
  timestamp: 'x-rezo-timestamp',
  nonce: 'x-rezo-nonce',
  signature: 'x-rezo-signature',
  /** `2`: the signature covers the query string too. Absent: version 1 (tills from before), path only. */
  version: 'x-rezo-signature-version',
} as const;

/**
 * What a device signs. Version 2 (`version: '2'`): `path` is the request target as sent, path and
 * query string byte for byte (`/api/v1/till/config?page=2`). Version 1 (no `version`): the path only,
 * accepted only for a request without a query string (verifyDeviceRequest).
 */
export function deviceMessage(r: {
  version?: string | undefined;
  method: string;
  path: string;
  bodySha256: string;
  timestamp: string;
  nonce: string;
}): string {
  const prefix = r.version === '2' ? 'rezo-device-v2' : 'rezo-device-v1';
  return [prefix, r.method.toUpperCase(), r.path, r.bodySha256, r.timestamp, r.nonce].join('\n');
}

export function bodySha256(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * What a till does before sending: the headers for one request. Used by clients, tests and the benchmark.
 * `path`: the request target exactly as it will be sent, with its query string if any (already
 * percent-encoded: `new URL(…)`'s `pathname + search` is what an HTTP client sends). `version: 1`
 * signs as tills did before version 2 (for tests of old tills).
 */
export function signDeviceRequest(
  key: KeyObject,
  r: {
    placeId: string;
    deviceId: string;
    method: string;
    path: string;
    body: string;
    timestamp?: number;
    nonce?: string;
    version?: 1 | 2;
  },
): Record<string, string> {
  const version = r.version === 1 ? undefined : '2';
  const timestamp = String(r.timestamp ?? Date.now());
  const nonce =
    r.nonce ??
    createHash('sha256').update(`${Math.random()}${process.hrtime.bigint()}`).digest('base64url').slice(0, 32);
  const message = deviceMessage({
    version,
    method: r.method,
    path: r.path,
    bodySha256: bodySha256(r.body),
    timestamp,
    nonce,
  });
  return {
    ...(version ? { [DEVICE_HEADERS.version]: version } : {}),
    [DEVICE_HEADERS.device]: `${r.placeId}:${r.deviceId}`,
    [DEVICE_HEADERS.timestamp]: timestamp,
    [DEVICE_HEADERS.nonce]: nonce,
    [DEVICE_HEADERS.signature]: sign(null, Buffer.from(message, 'utf8'), key).toString('base64url'),
  };
}

/**
 * Reads the signed envelope from request headers; null when the request is not device-signed.
 * `request.path`: the request target as received, path and query string (Fastify's `request.url`).
 */
export function readDeviceHeaders(
  headers: Record<string, string | string[] | undefined>,
  request: { method: string; path: string; body: Uint8Array | string },
): DeviceSignature | null {
  const get = (name: string) => {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const device = get(DEVICE_HEADERS.device);
  if (device === undefined) return null;
  const [placeId = '', deviceId = ''] = device.split(':');
  const version = headers[DEVICE_HEADERS.version];
  return {
    // Absent for version 1: its stored envelopes stay as they were. Anything but a single string is
    // kept as an unknown version, refused by verifyDeviceRequest.
    ...(version === undefined ? {} : { version: typeof version === 'string' ? version : '?' }),
    placeId,
    deviceId,
    method: request.method.toUpperCase(),
    path: request.path,
    bodySha256: bodySha256(request.body),
    timestamp: get(DEVICE_HEADERS.timestamp) ?? '',
    nonce: get(DEVICE_HEADERS.nonce) ?? '',
    signature: get(DEVICE_HEADERS.signature) ?? '',
  };
}

const refused = (reason: string) => new DomainError('ledger-device-signature', 401, { reason });

/**
 * Checks a device-signed request inside the transaction that acts on it: known signature version
 * (version 1 only without a query string: it does not cover one); known, not revoked device; valid
 * Ed25519 signature; fresh timestamp; nonce never seen. The nonce is recorded in the same
 * transaction, so a refused request writes nothing and an accepted one cannot be replayed.
 * `locks`: advisory locks the caller needs next (its idempotency keys), taken in the same statement
 * (one round trip fewer); what they protect must be read in a later statement.
 */
export async function verifyDeviceRequest(
  trx: Trx,
  s: DeviceSignature,
  now = Date.now(),
  locks?: LockKeys,
): Promise<{ placeId: string; deviceId: string; kind: 'till' | 'scanner' }> {
  if (s.version === undefined ? s.path.includes('?') : s.version !== '2') throw refused('version');
  if (!isUuid(s.placeId) || !isUuid(s.deviceId)) throw refused('device');
  if (!/^[0-9]{13}$/.test(s.timestamp) || Math.abs(now - Number(s.timestamp)) > DEVICE_CLOCK_SKEW_MS)
    throw refused('timestamp');
  if (!NONCE_RE.test(s.nonce)) throw refused('nonce');
  // The device's key and the nonce's insertion in one statement. If the signature then fails, the
  // error rolls the transaction back and the nonce with it; a concurrent replay waits on the nonce's
  // primary key and finds it taken.
  const { rows } = await sql<{ public_key: string; kind: 'till' | 'scanner'; revoked: boolean; fresh: boolean }>`
    with device as (
      select public_key, kind, revoked_at is not null as revoked from ledger_devices where place_id = ${s.placeId} and id = ${s.deviceId}
    ), locks as (${locks ? locksSql(trx, locks) : sql`select 1`}
    ), nonce as (
      insert into ledger_device_nonces (place_id, device_id, nonce)
      select ${s.placeId}, ${s.deviceId}, ${s.nonce} from device where not revoked
      on conflict (place_id, device_id, nonce) do nothing
      returning nonce
    )
    select public_key, kind, revoked, exists (select 1 from nonce) as fresh, (select count(*) from locks) as locks from device`.execute(
    trx,
  );
  const device = rows[0];
  if (!device || device.revoked) throw refused('device');
  if (!verifyText(publicKeyFromBase64(device.public_key), deviceMessage(s), s.signature)) throw refused('signature');
  if (!device.fresh) throw refused('replay');
  return { placeId: s.placeId, deviceId: s.deviceId, kind: device.kind };
}

/** Devices of kind `scanner` never move money (docs/LEDGER.md): 403 `ledger-device-kind`. */
export function requireTill(device: { kind: 'till' | 'scanner' }): void {
  if (device.kind !== 'till') throw new DomainError('ledger-device-kind', 403, { kind: device.kind });
}
