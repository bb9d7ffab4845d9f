/**
 * What the till needs from the cards module, inside its own transaction: the card locked first (the
 * cards module's `lockCard`, docs/CARDS.md lock order), whose wallet it spends from, staff checks.
 */
import type { Trx } from '../db/database.ts';
import { findCardByUid, lockCard, normaliseUid, type Card } from '../cards/index.ts';
import { roleOf } from '../access/permissions.ts';
import { DomainError, FieldErrors } from '../shared/errors.ts';

export const cardUnknown = () => new DomainError('till-card-unknown', 404);
export const cardBlocked = () => new DomainError('till-card-blocked', 403);

/**
 * The card with this UID, its row locked until commit: every till payment of a card queues here, so
 * two tills debiting the same card run one after the other. Unknown → 404; blocked → 403 unless
 * `allowBlocked` (a lookup shows the blocked status; a refund may go back to a blocked card).
 */
export async function lockCardByUid(trx: Trx, uid: string, options: { allowBlocked?: boolean } = {}): Promise<Card> {
  const found = await findCardByUid(trx, uid);
  if (!found) throw cardUnknown();
  // The card as committed now, its row locked until commit: use this one, not the one read before.
  const card = await lockCard(trx, found.id);
  if (card.status === 'blocked' && !options.allowBlocked) throw cardBlocked();
  return card;
}

/** The person is a cashier or an admin of the venue (may open a till there). */
export async function isStaff(trx: Trx, personId: string, placeId: string): Promise<boolean> {
  const role = await roleOf(trx, personId, placeId);
  return role === 'cashier' || role === 'admin';
}

/** A card UID as a till sends it, normalised; a 422 on the field `cardUid` when it is not one. */
export function readCardUid(raw: unknown): string {
  const uid = normaliseUid(raw);
  if (uid) return uid;
  const errors = new FieldErrors();
  errors.add('cardUid', 'format');
  errors.throwIfAny();
  throw new Error('unreachable');
}
