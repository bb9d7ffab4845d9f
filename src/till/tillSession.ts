import type { Db } from '../db/database.ts';
import { loadNodeKey, signText, verifyText, type NodeKey } from '../ledger/nodeKey.ts';
import { DomainError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { randomToken } from '../shared/secrets.ts';

/** How long a till session lasts: a shift, at most. */
export const TILL_SESSION_TTL_MS = 12 * 3600_000;

export interface TillSession {
  placeId: string;
  deviceId: string;
  cashierPersonId: string;
  /** The staff card that opened the session: blocking it ends the session (docs/TILL.md). */
  cardId: string;
  expiresAt: Date;
}

// The node key, per database handle: read once, not on every sale.
const keys = new WeakMap<object, NodeKey>();
/**
 * The node key that signs till sessions. Call it with the root database handle BEFORE opening the
 * transaction (on PGlite, one connection, a query on the root handle inside a transaction would wait forever).
 */
export async function tillSessionKey(db: Db): Promise<NodeKey> {
  let key = keys.get(db);
  if (!key) {
    key = await loadNodeKey(db);
    keys.set(db, key);
  }
  return key;
}

/**
 * A till session: a token signed by the node key naming the venue, the device, the cashier and the
 * staff card that opened it, valid 12 hours. The till sends it with every sale; the node checks it
 * without a table (like a wallet pass), and checks that the card is still active (requireSession).
 */
export function issueTillSession(
  key: NodeKey,
  s: Omit<TillSession, 'expiresAt'>,
  now = Date.now(),
): { token: string; expiresAt: Date } {
  const expires = now + TILL_SESSION_TTL_MS;
  const payload = [
    'rezo-till-session-v2',
    s.placeId,
    s.deviceId,
    s.cashierPersonId,
    s.cardId,
    String(expires),
    randomToken(9),
  ].join('|');
  return {
    token: `${Buffer.from(payload).toString('base64url')}.${signText(key.privateKey, payload)}`,
    expiresAt: new Date(expires),
  };
}

/**
 * The session a token proves, for this device; else 401 `till-session` (forged, expired, another
 * device, or a version-1 token, which did not name its card). The caller still checks the cashier and
 * the card against the database (requireSession).
 */
export function readTillSession(
  key: NodeKey,
  token: unknown,
  device: { placeId: string; deviceId: string },
  now = Date.now(),
): TillSession {
  const refused = () => new DomainError('till-session', 401);
  if (typeof token !== 'string' || token.length > 500) throw refused();
  const [encoded = '', signature = ''] = token.split('.');
  const payload = Buffer.from(encoded, 'base64url').toString('utf8');
  const [version, placeId = '', deviceId = '', personId = '', cardId = '', expires = ''] = payload.split('|');
  if (
    version !== 'rezo-till-session-v2' ||
    !isUuid(placeId) ||
    !isUuid(deviceId) ||
    !isUuid(personId) ||
    !isUuid(cardId) ||
    !/^[0-9]{13}$/.test(expires)
  )
    throw refused();
  if (Number(expires) < now) throw refused();
  if (placeId !== device.placeId || deviceId !== device.deviceId) throw refused();
  if (!verifyText(key.publicKey, payload, signature)) throw refused();
  return { placeId, deviceId, cashierPersonId: personId, cardId, expiresAt: new Date(Number(expires)) };
}
