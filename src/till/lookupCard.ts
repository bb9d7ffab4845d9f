import { inTransaction, type Db } from '../db/database.ts';
import { findCardByUid, walletOwnerOf } from '../cards/index.ts';
import { verifyDeviceRequest, type DeviceSignature } from '../ledger/index.ts';
import { validMembershipsOf } from '../memberships/index.ts';
import { businessDayOf, venueClock } from './businessDay.ts';
import { cardUnknown, readCardUid } from './cardAccess.ts';
import { requireSession } from './recordSale.ts';
import { presentBalances, type BalanceOut } from './sales.ts';
import { tillSessionKey } from './tillSession.ts';
import { hasCardRefs, resolveCardRefs, type CardRefFields } from './cardRef.ts';
import { walletBalances } from './wallet.ts';

export interface CardLookup {
  card: { number: string; status: 'active' | 'blocked'; linked: boolean };
  /** In payment order: what a card payment here takes first, then what is not usable here. */
  balances: BalanceOut[];
  /** Valid memberships of the card's holder at this venue on the business day (shown on tap). */
  memberships: { product: string; endsOn: string | null }[];
}

/**
 * What a till shows when a card is tapped: its balances (usable here first, in payment order), the
 * holder's memberships valid at this venue today, and whether it is blocked (a blocked card is shown
 * as such, with no balance to spend). Unknown card → 404 `till-card-unknown`. Device-signed, with a session.
 */
export async function lookupCard(
  db: Db,
  device: DeviceSignature,
  input: { session: unknown } & CardRefFields,
  now = new Date(),
): Promise<CardLookup> {
  const byRef = hasCardRefs(input);
  if (!byRef) readCardUid(input.cardUid);
  const key = await tillSessionKey(db);
  return inTransaction(db, async (trx) => {
    const { placeId, deviceId } = await verifyDeviceRequest(trx, device);
    await requireSession(key, trx, input.session, { placeId, deviceId });
    // By number or QR token: resolved to the UID once the device and the session are checked (docs/TILL.md).
    const uid = readCardUid((await resolveCardRefs(trx, input)).cardUid);
    const card = await findCardByUid(trx, uid);
    if (!card) throw cardUnknown();
    const info = { number: card.number, status: card.status, linked: card.personId !== null };
    if (card.status === 'blocked') return { card: info, balances: [], memberships: [] };
    const balances = presentBalances(await walletBalances(trx, walletOwnerOf(card), placeId));
    let memberships: CardLookup['memberships'] = [];
    if (card.personId) {
      const clock = await venueClock(trx, placeId);
      const day = businessDayOf(now, clock.timezone, clock.dayStartsAt);
      memberships = (await validMembershipsOf(trx, card.personId, day, [placeId])).map((m) => ({
        product: m.productName,
        endsOn: m.endsOn,
      }));
    }
    return { card: info, balances, memberships };
  });
}
