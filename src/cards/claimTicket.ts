import { hmac, safeEqual } from '../shared/secrets.ts';

/** How long the "log in, then link" ticket stays valid: long enough to read a login mail. */
export const CLAIM_TTL_SECONDS = 2 * 3600;

/**
 * A claim ticket: `<card id>.<expiry, s>.<HMAC>` made by the node for someone who showed the card's
 * QR token but must log in first. The login link's return path carries the ticket, never the QR
 * token itself (the return path is stored with the login token and mailed).
 */
export function makeClaimTicket(secret: string, cardId: string, now = Date.now()): string {
  const expires = Math.floor(now / 1000) + CLAIM_TTL_SECONDS;
  return `${cardId}.${expires}.${hmac(secret, `rezo-card-claim|${cardId}|${expires}`)}`;
}

/** The card id of a valid, unexpired ticket, or null. */
export function readClaimTicket(secret: string, ticket: unknown, now = Date.now()): string | null {
  if (typeof ticket !== 'string' || ticket.length > 200) return null;
  const m = /^([0-9a-f-]{36})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(ticket);
  if (!m) return null;
  const [, cardId, expires, mac] = m as unknown as [string, string, string, string];
  if (!safeEqual(mac, hmac(secret, `rezo-card-claim|${cardId}|${expires}`))) return null;
  if (Number(expires) * 1000 < now) return null;
  return cardId;
}
