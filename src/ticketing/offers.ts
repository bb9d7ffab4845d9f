import type { Db } from '../db/database.ts';
import type { PriceKind } from './tables.ts';
import { upcomingDatesOf } from '../agenda/index.ts';

export interface PriceOffer {
  id: string;
  name: string;
  kind: PriceKind;
  priceCents: number;
  minPriceCents: number;
  perOrderLimit: number;
  /** Places left at this price on this date; null when neither the date nor the price is limited. */
  remaining: number | null;
  /** Inside its sales window now. */
  onSale: boolean;
  salesOpenAt: Date | null;
}

export interface DateOffers {
  dateId: string;
  startsAt: Date;
  timezone: string;
  prices: PriceOffer[];
}

/**
 * What an event sells, date by date, with the seats left: the smaller of what the date's shared
 * capacity and the price's own stock still allow. Read without locks: a figure to show, re-checked
 * by placeOrder when someone buys.
 */
export async function offersOf(db: Db, placeId: string, eventId: string, now = new Date()): Promise<DateOffers[]> {
  const [dates, prices] = await Promise.all([
    upcomingDatesOf(db, placeId, eventId),
    db
      .selectFrom('ticket_prices')
      .selectAll()
      .where('place_id', '=', placeId)
      .where('event_id', '=', eventId)
      .where('active', '=', true)
      .orderBy('position')
      .orderBy('created_at')
      .execute(),
  ]);
  const capacities = dates.length
    ? await db
        .selectFrom('date_capacity')
        .select(['event_date_id', 'capacity', 'taken'])
        .where('place_id', '=', placeId)
        .where(
          'event_date_id',
          'in',
          dates.map((d) => d.id),
        )
        .execute()
    : [];
  const capacityOf = new Map(capacities.map((c) => [c.event_date_id, c]));
  return dates
    .map((d) => ({
      dateId: d.id,
      startsAt: d.startsAt,
      timezone: d.timezone,
      prices: prices
        .filter((p) => p.event_date_id === null || p.event_date_id === d.id)
        .map((p) => {
          const c = capacityOf.get(d.id);
          const dateLeft = c === undefined ? null : Math.max(0, c.capacity - c.taken);
          const stockLeft = p.stock === null ? null : Math.max(0, p.stock - p.taken);
          const remaining =
            dateLeft === null ? stockLeft : stockLeft === null ? dateLeft : Math.min(dateLeft, stockLeft);
          return {
            id: p.id,
            name: p.name,
            kind: p.kind,
            priceCents: p.price_cents,
            minPriceCents: p.min_price_cents,
            perOrderLimit: p.per_order_limit,
            remaining,
            onSale: (!p.sales_open_at || p.sales_open_at <= now) && (!p.sales_close_at || now < p.sales_close_at),
            salesOpenAt: p.sales_open_at,
          };
        }),
    }))
    .filter((d) => d.prices.length > 0);
}

/** schema.org `Offer`s of one date, for the event's JSON-LD. */
export function schemaOffers(offers: DateOffers, url: string) {
  return offers.prices.map((p) => ({
    '@type': 'Offer',
    name: p.name,
    price: ((p.kind === 'pay_what_you_want' ? p.minPriceCents : p.kind === 'free' ? 0 : p.priceCents) / 100).toFixed(2),
    priceCurrency: 'EUR',
    availability:
      p.remaining === 0
        ? 'https://schema.org/SoldOut'
        : p.onSale
          ? 'https://schema.org/InStock'
          : 'https://schema.org/PreOrder',
    ...(p.remaining !== null ? { inventoryLevel: { '@type': 'QuantitativeValue', value: p.remaining } } : {}),
    ...(p.salesOpenAt ? { validFrom: p.salesOpenAt.toISOString() } : {}),
    url,
  }));
}
