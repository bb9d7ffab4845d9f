import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { randomToken } from '../shared/secrets.ts';

/**
 * Ticket QR payloads: `R1.<ticket id>.<date id>.<key id>.<signature>`, ids as base64url of their 16
 * bytes, the signature Ed25519 over "R1|<place id>|<ticket id>|<date id>". A scanner holding the
 * venue's public keys decides offline that a payload is genuine and for which date; what happened to
 * the ticket since (cancelled, already in) needs the server or the downloaded revocation list.
 */
const VERSION = 'R1';

const uuidToB64 = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url');
function b64ToUuid(s: string): string | null {
  const b = Buffer.from(s, 'base64url');
  if (b.length !== 16 || b.toString('base64url') !== s) return null;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
const message = (placeId: string, ticketId: string, dateId: string) =>
  Buffer.from(`${VERSION}|${placeId}|${ticketId}|${dateId}`);

export interface TicketKey {
  id: string;
  /** Raw 32-byte Ed25519 public key, base64url. */
  publicKey: string;
}

/** The venue's current signing key, made on first use. Concurrent first uses agree on one. */
async function signingKey(db: Db, placeId: string) {
  const existing = await db
    .selectFrom('ticket_keys')
    .select(['id', 'private_key'])
    .where('place_id', '=', placeId)
    .where('retired_at', 'is', null)
    .orderBy('created_at')
    .executeTakeFirst();
  if (existing) return existing;
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'jwk' }).x!;
  await db
    .insertInto('ticket_keys')
    .values({
      place_id: placeId,
      id: randomToken(9),
      public_key: raw,
      private_key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    })
    .execute();
  return await db
    .selectFrom('ticket_keys')
    .select(['id', 'private_key'])
    .where('place_id', '=', placeId)
    .where('retired_at', 'is', null)
    .orderBy('created_at')
    .executeTakeFirstOrThrow();
}

export async function signTicket(
  db: Db,
  ticket: { placeId: string; id: string; eventDateId: string },
): Promise<string> {
  const key = await signingKey(db, ticket.placeId);
  const sig = sign(
    null,
    message(ticket.placeId, ticket.id, ticket.eventDateId),
    createPrivateKey(key.private_key),
  ).toString('base64url');
  return [VERSION, uuidToB64(ticket.id), uuidToB64(ticket.eventDateId), key.id, sig].join('.');
}

export async function publicKeysOf(db: Db, placeId: string): Promise<TicketKey[]> {
  const rows = await db
    .selectFrom('ticket_keys')
    .select(['id', 'public_key'])
    .where('place_id', '=', placeId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ id: r.id, publicKey: r.public_key }));
}

export type Decoded = { ticketId: string; eventDateId: string; keyId: string } | null;

/** Verifies a payload against a venue's public keys; null when malformed, unknown key or bad signature. */
export function verifyTicketPayload(payload: string, placeId: string, keys: TicketKey[]): Decoded {
  if (payload.length > 300) return null;
  const parts = payload.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) return null;
  const [, t, d, keyId, sig] = parts as [string, string, string, string, string];
  const ticketId = b64ToUuid(t);
  const eventDateId = b64ToUuid(d);
  const key = keys.find((k) => k.id === keyId);
  if (!ticketId || !eventDateId || !key) return null;
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.publicKey }, format: 'jwk' });
  let ok = false;
  try {
    ok = verify(null, message(placeId, ticketId, eventDateId), publicKey, Buffer.from(sig, 'base64url'));
  } catch {
    ok = false;
  }
  return ok ? { ticketId, eventDateId, keyId } : null;
}
