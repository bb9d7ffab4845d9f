import type Stripe from 'stripe';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { canTakePayments } from '../payments/index.ts';
import { offersOf, type DateOffers } from './offers.ts';
import { onSitePaymentOf } from './payOnSite.ts';

/** What a buyer is offered and how they may pay it: online, on site (docs/TICKETING.md, "Paying on site"). */
export interface SellableCheckout {
  offers: DateOffers[];
  /** The venue's money can be taken online (Stripe with its connected account, or the demo provider). */
  online: boolean;
  /** The venue lets buyers pay at the door or the desk. */
  onSite: boolean;
}

/**
 * What a buyer is offered (docs/PAYMENTS.md, "Prices nobody can pay"): the event's offers, without
 * the prices that need money when the venue can take it neither online (no Stripe, or the venue has
 * no connected account, and no demo provider) nor on site. Dates left with nothing are left out.
 */
export async function sellableCheckout(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  placeId: string,
  eventId: string,
): Promise<SellableCheckout> {
  const [offers, online, onSite] = await Promise.all([
    offersOf(db, placeId, eventId),
    canTakePayments(db, stripe, config, placeId),
    onSitePaymentOf(db, placeId),
  ]);
  return { offers: online || onSite ? offers : freeOffersOnly(offers), online, onSite: onSite !== null };
}

/** The offers of `sellableCheckout` alone (the offers API, the cart's pages). */
export async function sellableOffers(
  db: Db,
  stripe: Stripe | null,
  config: Config,
  placeId: string,
  eventId: string,
): Promise<DateOffers[]> {
  return (await sellableCheckout(db, stripe, config, placeId, eventId)).offers;
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
