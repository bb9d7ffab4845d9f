import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { requirePerson } from '../access/permissions.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { MAX_AMOUNT_MINOR } from '../shared/money.ts';
import { randomToken } from '../shared/secrets.ts';
import { loadNodeKey, signText, verifyText } from './nodeKey.ts';

/** How long a wallet QR stays valid: long enough to show it at the counter, short enough not to be reused later. */
export const WALLET_PASS_TTL_MS = 2 * 60_000;
const VERSION = 'rezo-wallet-pass-v2';

/** What a wallet pass lets a venue do: debit this person's wallet, once, for at most this amount, until then. */
export interface WalletPass {
  personId: string;
  placeId: string;
  maxAmount: number;
  expiresAt: Date;
  /** Spent once: its row in ledger_wallet_passes. */
  nonce: string;
}

/**
 * A wallet pass: what the person's phone shows as a QR code at a counter so that a venue may debit
 * their wallet (docs/LEDGER.md, "Wallet passes"). One pass = one payment intent: the venue, the most
 * it may take, an expiry two minutes away, a nonce; signed by the node, so no table is written to
 * issue it; spent once in the transaction that uses it (transferRequest.ts).
 */
export async function issueWalletPass(
  db: Db,
  actor: Actor | null,
  intent: { placeId: string; maxAmount: unknown },
  now = Date.now(),
): Promise<{ pass: string; expiresAt: Date; placeId: string; maxAmount: number }> {
  requirePerson(actor);
  const errors = new FieldErrors();
  const max = intent.maxAmount;
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1 || max > MAX_AMOUNT_MINOR)
    errors.add('maxAmount', 'ledger.amount-range', { max: MAX_AMOUNT_MINOR });
  if (!isUuid(intent.placeId)) errors.add('venue', 'format');
  errors.throwIfAny();
  const maxAmount = max as number;
  const key = await loadNodeKey(db);
  const expires = now + WALLET_PASS_TTL_MS;
  const payload = [VERSION, actor.personId, intent.placeId, String(maxAmount), String(expires), randomToken(12)].join(
    '|',
  );
  return {
    pass: `${Buffer.from(payload).toString('base64url')}.${signText(key.privateKey, payload)}`,
    expiresAt: new Date(expires),
    placeId: intent.placeId,
    maxAmount,
  };
}

/**
 * What a wallet pass proves (signed by this node, not expired), or a 403 `ledger-holder-absent`.
 * Whether it was already spent, and whether it fits the request (venue, amount, person), is decided in
 * the transaction that spends it.
 */
export async function readWalletPass(db: Db, pass: string | undefined, now = Date.now()): Promise<WalletPass> {
  // Built only when refusing: an Error captures a stack trace, too costly on every payment.
  const absent = () => new DomainError('ledger-holder-absent', 403);
  if (!pass || pass.length > 400) throw absent();
  const [encoded = '', signature = ''] = pass.split('.');
  const payload = Buffer.from(encoded, 'base64url').toString('utf8');
  const [version, personId = '', placeId = '', max = '', expires = '', nonce = ''] = payload.split('|');
  if (
    version !== VERSION ||
    !isUuid(personId) ||
    !isUuid(placeId) ||
    !/^[1-9][0-9]{0,9}$/.test(max) ||
    Number(max) > MAX_AMOUNT_MINOR ||
    !/^[0-9]{13}$/.test(expires) ||
    !/^[A-Za-z0-9_-]{16,64}$/.test(nonce)
  )
    throw absent();
  if (Number(expires) < now) throw absent();
  const key = await loadNodeKey(db);
  if (!verifyText(key.publicKey, payload, signature)) throw absent();
  return { personId, placeId, maxAmount: Number(max), expiresAt: new Date(Number(expires)), nonce };
}
