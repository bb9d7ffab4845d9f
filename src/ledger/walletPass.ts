import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { requirePerson } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { randomToken } from '../shared/secrets.ts';
import { loadNodeKey, signText, verifyText } from './nodeKey.ts';

/** How long a wallet QR stays valid: long enough to show it at the counter, short enough not to be reused later. */
export const WALLET_PASS_TTL_MS = 2 * 60_000;

/**
 * A wallet pass: what the person's phone shows as a QR code at a counter, proving the holder is
 * present (rule 6). Signed by the node, so a till checks it without a secret of its own; it names the
 * person and expires quickly. Cards (another issue) are the other way to prove presence.
 */
export async function issueWalletPass(
  db: Db,
  actor: Actor | null,
  now = Date.now(),
): Promise<{ pass: string; expiresAt: Date }> {
  requirePerson(actor);
  const key = await loadNodeKey(db);
  const payload = ['rezo-wallet-pass-v1', actor.personId, String(now + WALLET_PASS_TTL_MS), randomToken(12)].join('|');
  return {
    pass: `${Buffer.from(payload).toString('base64url')}.${signText(key.privateKey, payload)}`,
    expiresAt: new Date(now + WALLET_PASS_TTL_MS),
  };
}

/** The person a wallet pass proves present, or a 403 `ledger-holder-absent`. */
export async function holderOfPass(db: Db, pass: string | undefined, now = Date.now()): Promise<string> {
  // Built only when refusing: an Error captures a stack trace, too costly on every payment.
  const absent = () => new DomainError('ledger-holder-absent', 403);
  if (!pass || pass.length > 400) throw absent();
  const [encoded = '', signature = ''] = pass.split('.');
  const payload = Buffer.from(encoded, 'base64url').toString('utf8');
  const [version, personId = '', expires = ''] = payload.split('|');
  if (version !== 'rezo-wallet-pass-v1' || !isUuid(personId) || !/^[0-9]{13}$/.test(expires)) throw absent();
  if (Number(expires) < now) throw absent();
  const key = await loadNodeKey(db);
  if (!verifyText(key.publicKey, payload, signature)) throw absent();
  return personId;
}
