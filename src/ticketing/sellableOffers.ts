import type Stripe from 'stripe';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { canTakePayments } from '../payments/index.ts';
import { offersOf, type DateOffers } from './offers.ts';

/**
 * What a buyer is offered (docs/PAYMENTS.md, "Prices nobody can pay"): the event's offers, without
 * the prices that need money when the node cannot take the venue's money online (no Stripe, or the
 * venue has no connected account, and no demo provider). Dates left with nothing are left out.
 */
export async function sellableOffers(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  placeId: string,
  eventId: string,
): Promise<DateOffers[]> {
  const [offers, canPay] = await Promise.all([
    offersOf(db, placeId, eventId),
    canTakePayments(db, stripe, config, placeId),
  ]);
  return canPay ? offers : freeOffersOnly(offers);
}

/**
 * Only what costs nothing: free prices and members' prices at 0 (a pay-what-you-want price needs
 * payment as soon as someone gives anything).
 */
export function freeOffersOnly(offers: DateOffers[]): DateOffers[] {
  return offers
    .map((d) => ({
      ...d,
      prices: d.prices.filter((p) => p.kind === 'free' || (p.kind === 'member_only' && p.priceCents === 0)),
    }))
    .filter((d) => d.prices.length > 0);
}
