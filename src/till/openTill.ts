import { inTransaction, type Db } from '../db/database.ts';
import { requireTill, verifyDeviceRequest, type DeviceSignature } from '../ledger/index.ts';
import { DomainError } from '../shared/errors.ts';
import { cardBlocked, isStaff, readCardUid } from './cardAccess.ts';
import { issueTillSession, tillSessionKey } from './tillSession.ts';
import { getPerson } from '../accounts/index.ts';
import { findCardByUid } from '../cards/index.ts';

export interface OpenTillResult {
  session: string;
  cashier: { personId: string; name: string };
  expiresAt: Date;
}

/**
 * Opens a till (invariant 9): a paired device, a staff card (linked to a person with the cashier or
 * admin role at the device's venue) → a till session, signed by the node, naming the venue, the
 * device, the cashier and the card, valid 12 hours (blocking the card ends it). An unknown, anonymous or not-staff card gets the same
 * 403 `till-not-staff` (a till learns nothing about cards it may not use); a blocked card 403 `till-card-blocked`.
 */
export async function openTill(db: Db, device: DeviceSignature, input: { cardUid: unknown }): Promise<OpenTillResult> {
  const uid = readCardUid(input.cardUid);
  const key = await tillSessionKey(db);
  return inTransaction(db, async (trx) => {
    const verified = await verifyDeviceRequest(trx, device);
    // A scanner never opens a till: no session, so it never moves money at the till either.
    requireTill(verified);
    const { placeId, deviceId } = verified;
    const card = await findCardByUid(trx, uid);
    if (!card || !card.personId) throw new DomainError('till-not-staff', 403);
    if (card.status === 'blocked') throw cardBlocked();
    if (!(await isStaff(trx, card.personId, placeId))) throw new DomainError('till-not-staff', 403);
    const cashier = await getPerson(trx, card.personId);
    const { token, expiresAt } = issueTillSession(key, {
      placeId,
      deviceId,
      cashierPersonId: card.personId,
      cardId: card.id,
    });
    return { session: token, cashier: { personId: card.personId, name: cashier?.name ?? '' }, expiresAt };
  });
}
