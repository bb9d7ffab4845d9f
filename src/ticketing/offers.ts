import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { PriceKind } from './tables.ts';

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
    db
      .selectFrom('event_dates as d')
      .leftJoin('date_capacity as c', (j) =>
        j.onRef('c.place_id', '=', 'd.place_id').onRef('c.event_date_id', '=', 'd.id'),
      )
      .select(['d.id', 'd.starts_at', 'd.timezone', 'c.capacity', 'c.taken'])
      .where('d.place_id', '=', placeId)
      .where('d.event_id', '=', eventId)
      .where('d.starts_at', '>', sql<Date>`now()`)
      .orderBy('d.starts_at')
      .execute(),
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
  return dates
    .map((d) => ({
      dateId: d.id,
      startsAt: d.starts_at,
      timezone: d.timezone,
      prices: prices
        .filter((p) => p.event_date_id === null || p.event_date_id === d.id)
        .map((p) => {
          const dateLeft =
            d.capacity === null || d.capacity === undefined ? null : Math.max(0, d.capacity - (d.taken ?? 0));
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
