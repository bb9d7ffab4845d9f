/**
 * What a till of a venue needs to sell: the venue, its business day boundary, its points of sale with
 * their articles in order, and the currencies a card may pay with here, in payment order.
 * Read by GET /api/v1/till/config (apiRoutes.ts) and by the sale use case. Docs: docs/POINTS-OF-SALE.md.
 */
import type { Db } from '../db/database.ts';
import { type CurrencyKind, currenciesAcceptedAt, currencyCodesById } from '../ledger/index.ts';
import { notFound } from '../shared/errors.ts';
import { findPlaceById } from '../places/index.ts';
import type { ArticleKind, PaymentMethod } from './tables.ts';

export interface TillConfigArticle {
  id: string;
  name: string;
  kind: ArticleKind;
  /** Minor units (cents); null = the cashier types the amount (top-up, cash-out, open price). */
  priceCents: number | null;
  /** Basis points: 850 = 8,5 %. */
  vatRate: number;
  colour: string;
  category: { id: string; name: string; colour: string } | null;
  /** top_up / gift_top_up: the currency credited. */
  currency: { id: string; code: string; decimals: number } | null;
  membershipProductId: string | null;
}

export interface TillConfigPoint {
  id: string;
  name: string;
  paymentMethods: PaymentMethod[];
  articles: TillConfigArticle[];
}

export interface TillConfigCurrency {
  id: string;
  code: string;
  name: string;
  kind: CurrencyKind;
  decimals: number;
}

export interface TillConfig {
  place: { id: string; name: string; slug: string; timezone: string };
  /** Local time 'HH:MM' at which the venue's business day starts (default '04:00'). */
  dayStartsAt: string;
  points: TillConfigPoint[];
  /**
   * The active currencies the venue accepts (it issues them, or they are accepted here), in the order
   * a card payment takes them: gift → local_euro → federated_euro, then the others (loyalty, time,
   * membership), each group by code.
   */
  currencies: TillConfigCurrency[];
}

/** Payment order of currency kinds: what a card spends first. */
export const CURRENCY_PAYMENT_ORDER: readonly CurrencyKind[] = [
  'gift',
  'local_euro',
  'federated_euro',
  'loyalty',
  'time',
  'membership',
];

export const DEFAULT_DAY_STARTS_AT = '04:00';

/** 'HH:MM:SS' (PostgreSQL time) → 'HH:MM'. */
export const toHourMinute = (time: string): string => time.slice(0, 5);

/** The venue's active currencies accepted here, in payment order. */
export async function acceptedCurrencies(db: Db, placeId: string): Promise<TillConfigCurrency[]> {
  const rows = await currenciesAcceptedAt(db, placeId);
  const rank = (k: CurrencyKind) => CURRENCY_PAYMENT_ORDER.indexOf(k);
  return rows
    .map((r) => ({ id: r.id, code: r.code, name: r.name, kind: r.kind, decimals: Number(r.decimals) }))
    .sort((a, b) => rank(a.kind) - rank(b.kind) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}

/** The business day boundary of a venue ('HH:MM'). */
export async function dayStartsAtOf(db: Db, placeId: string): Promise<string> {
  const row = await db
    .selectFrom('till_settings')
    .select('day_starts_at')
    .where('place_id', '=', placeId)
    .executeTakeFirst();
  return row ? toHourMinute(String(row.day_starts_at)) : DEFAULT_DAY_STARTS_AT;
}

/**
 * The till configuration of a venue. Only points and articles not archived; points in their order,
 * each point's articles in the order the admin chose. No permission check: the caller (a device
 * whose signature was verified for this venue, or an admin page) has already been authorised.
 */
export async function tillConfig(db: Db, placeId: string): Promise<TillConfig> {
  const place = await findPlaceById(db, placeId);
  if (!place) throw notFound('place');
  // One query after the other: the caller may pass a transaction (one connection).
  const dayStartsAt = await dayStartsAtOf(db, placeId);
  const points = await db
    .selectFrom('pos_points')
    .select(['id', 'name', 'payment_methods'])
    .where('place_id', '=', placeId)
    .where('archived', '=', false)
    .orderBy('position')
    .orderBy('name')
    .orderBy('id')
    .execute();
  const rows = await db
    .selectFrom('pos_point_articles as pa')
    .innerJoin('pos_articles as a', (j) =>
      j.onRef('a.place_id', '=', 'pa.place_id').onRef('a.id', '=', 'pa.article_id'),
    )
    .leftJoin('pos_categories as cat', (j) =>
      j.onRef('cat.place_id', '=', 'a.place_id').onRef('cat.id', '=', 'a.category_id'),
    )
    .select([
      'pa.point_id',
      'a.id',
      'a.name',
      'a.kind',
      'a.price_cents',
      'a.vat_rate',
      'a.colour',
      'a.membership_product_id',
      'cat.id as category_id',
      'cat.name as category_name',
      'cat.colour as category_colour',
      'a.currency_id',
    ])
    .where('pa.place_id', '=', placeId)
    .where('a.archived', '=', false)
    .orderBy('pa.point_id')
    .orderBy('pa.position')
    .orderBy('a.position')
    .orderBy('a.name')
    .orderBy('a.id')
    .execute();
  const codes = await currencyCodesById(
    db,
    rows.flatMap((r) => (r.currency_id ? [r.currency_id] : [])),
  );
  const currencies = await acceptedCurrencies(db, placeId);
  const byPoint = new Map<string, TillConfigArticle[]>();
  for (const r of rows) {
    const list = byPoint.get(r.point_id) ?? [];
    list.push({
      id: r.id,
      name: r.name,
      kind: r.kind,
      priceCents: r.price_cents === null ? null : Number(r.price_cents),
      vatRate: r.vat_rate,
      colour: r.colour,
      category: r.category_id ? { id: r.category_id, name: r.category_name!, colour: r.category_colour! } : null,
      currency: r.currency_id
        ? { id: r.currency_id, code: codes.get(r.currency_id)!.code, decimals: codes.get(r.currency_id)!.decimals }
        : null,
      membershipProductId: r.membership_product_id,
    });
    byPoint.set(r.point_id, list);
  }
  return {
    place: { id: place.id, name: place.name, slug: place.slug, timezone: place.timezone },
    dayStartsAt,
    points: points.map((p) => ({
      id: p.id,
      name: p.name,
      paymentMethods: p.payment_methods,
      articles: byPoint.get(p.id) ?? [],
    })),
    currencies,
  };
}
