/**
 * The points-of-sale setup of a venue as its admin sees it (archived things included), the reading
 * rules shared by the setup use cases, and the currencies and products an article may name.
 * Docs: docs/POINTS-OF-SALE.md.
 */
import type { Selectable, Updateable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import { type CurrencyKind, giftCurrenciesOf, topUpCurrenciesOf } from '../ledger/index.ts';
import { FieldErrors } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { dayStartsAtOf } from './posConfig.ts';
import { topUpLimitsFor, type CurrencyTopUpLimits } from './topUpLimits.ts';
import { ARTICLE_KINDS, PAYMENT_METHODS, type ArticleKind, type PaymentMethod } from './tables.ts';
import { productsOf } from '../memberships/index.ts';

export interface PosPoint {
  id: string;
  name: string;
  paymentMethods: PaymentMethod[];
  position: number;
  archived: boolean;
  /** The articles this point shows, in order. */
  articleIds: string[];
}

export interface PosCategory {
  id: string;
  name: string;
  colour: string;
  position: number;
}

export interface PosArticle {
  id: string;
  name: string;
  kind: ArticleKind;
  categoryId: string | null;
  priceCents: number | null;
  vatRate: number;
  colour: string;
  currencyId: string | null;
  membershipProductId: string | null;
  position: number;
  archived: boolean;
}

export interface CreditableCurrency {
  id: string;
  code: string;
  name: string;
  kind: CurrencyKind;
}

export interface PosSetup {
  dayStartsAt: string;
  points: PosPoint[];
  categories: PosCategory[];
  articles: PosArticle[];
  /** Currencies a top_up article may credit: the federated euro of the venue's federations, its own local euro. */
  topUpCurrencies: CreditableCurrency[];
  /** Currencies a gift_top_up article may credit: the venue's own gift currencies. */
  giftCurrencies: CreditableCurrency[];
  /** Every currency of the two lists above with its counter top-up limits in force. */
  topUpLimits: CurrencyTopUpLimits[];
  membershipProducts: { id: string; name: string; active: boolean }[];
}

export const DEFAULT_ARTICLE_COLOUR = '#37474f';
export const DEFAULT_CATEGORY_COLOUR = '#455a64';
/** Kinds whose price may be left to the cashier (typed at the till). */
export const OPEN_PRICE_KINDS: readonly ArticleKind[] = ['sale', 'top_up', 'cash_out', 'gift_top_up', 'membership'];
/** Kinds that move money, not goods: no VAT. */
export const NO_VAT_KINDS: readonly ArticleKind[] = ['top_up', 'cash_out', 'gift_top_up'];
/** Highest price of an article: 100 000 €. */
export const MAX_PRICE_CENTS = 10_000_000;

export const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');
export const bool = (v: unknown): boolean => v === true || v === 'on' || v === '1' || v === 'true';

export function readName(errors: FieldErrors, raw: unknown, field = 'name'): string {
  const name = text(raw);
  if (!name) errors.add(field, 'required');
  else if (name.length > 80) errors.add(field, 'too-long', { max: 80 });
  return name;
}

/** '#1e88e5', '#1E88E5' or '1e88e5' → '#1e88e5'; empty → the default. */
export function readColour(errors: FieldErrors, raw: unknown, fallback: string): string {
  const value = text(raw).toLowerCase();
  if (!value) return fallback;
  const m = /^#?([0-9a-f]{6})$/.exec(value);
  if (!m) {
    errors.add('colour', 'pos.colour');
    return fallback;
  }
  return `#${m[1]}`;
}

/** A position (order on screen): an integer from 0 to 100000; empty → undefined (keep / put last). */
export function readPosition(errors: FieldErrors, raw: unknown): number | undefined {
  if (raw === undefined || raw === null || text(raw) === '') return undefined;
  const n = typeof raw === 'number' ? raw : Number(text(raw));
  if (!Number.isInteger(n) || n < 0 || n > 100_000) {
    errors.add('position', 'range-between', { min: 0, max: 100_000 });
    return undefined;
  }
  return n;
}

/** A VAT rate typed as a percent ("8,5", "8.5", 20, "2,10 %") → basis points (850, 2000, 210). No floats. */
export function parseVatPercent(raw: unknown): number | null {
  const value = text(raw).replace(/\s|%/g, '');
  if (value === '') return 0;
  const m = /^(\d{1,3})(?:[.,](\d{1,2}))?$/.exec(value);
  if (!m) return null;
  const bp = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return bp <= 10_000 ? bp : null;
}

/** Payment methods from a form (one string or several) or JSON (an array). */
export function readPaymentMethods(errors: FieldErrors, raw: unknown): PaymentMethod[] {
  const list = raw === undefined || raw === null || raw === '' ? [] : Array.isArray(raw) ? raw : [raw];
  const chosen = new Set<PaymentMethod>();
  for (const m of list) {
    if (typeof m !== 'string' || !PAYMENT_METHODS.includes(m as PaymentMethod)) {
      errors.add('paymentMethods', 'choice');
      return [];
    }
    chosen.add(m as PaymentMethod);
  }
  if (chosen.size === 0) errors.add('paymentMethods', 'pos.payment-methods');
  // Always in the canonical order, whatever order they were sent in.
  return PAYMENT_METHODS.filter((m) => chosen.has(m));
}

export function readArticleKind(errors: FieldErrors, raw: unknown): ArticleKind {
  const kind = text(raw) as ArticleKind;
  if (!ARTICLE_KINDS.includes(kind)) errors.add('kind', 'choice');
  return kind;
}

/** Where a new point, category or article goes: the position asked for, else after the venue's last one. */
export async function positionFor(
  db: Db,
  table: 'pos_points' | 'pos_categories' | 'pos_articles',
  placeId: string,
  asked: number | undefined,
): Promise<number> {
  if (asked !== undefined) return asked;
  const last = await db
    .selectFrom(table)
    .select((eb) => eb.fn.max('position').as('max'))
    .where('place_id', '=', placeId)
    .executeTakeFirst();
  return last?.max === null || last?.max === undefined ? 0 : Number(last.max) + 1;
}

/**
 * The update half of saving a point or a category: its row locked, then changed; with nothing to change
 * (an empty PATCH) the row as it is, without an empty UPDATE, and `changed` false (the caller then
 * writes no audit entry). Undefined when the venue has no such row.
 */
export function updatePosRow(
  db: Db,
  table: 'pos_points',
  placeId: string,
  id: string,
  changes: Updateable<DB['pos_points']>,
): Promise<{ row: Selectable<DB['pos_points']>; changed: boolean } | undefined>;
export function updatePosRow(
  db: Db,
  table: 'pos_categories',
  placeId: string,
  id: string,
  changes: Updateable<DB['pos_categories']>,
): Promise<{ row: Selectable<DB['pos_categories']>; changed: boolean } | undefined>;
export async function updatePosRow(
  db: Db,
  table: 'pos_points' | 'pos_categories',
  placeId: string,
  id: string,
  changes: Record<string, unknown>,
) {
  const before = await db
    .selectFrom(table)
    .selectAll()
    .where('place_id', '=', placeId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!before) return undefined;
  if (Object.keys(changes).length === 0) return { row: before, changed: false };
  const row = await db
    .updateTable(table)
    .set(changes as never)
    .where('place_id', '=', placeId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row, changed: true };
}

/** An optional id of a row of this venue (checked by the caller): '' → null, not a UUID → error. */
export function readOptionalId(errors: FieldErrors, field: string, raw: unknown, message: string): string | null {
  const value = text(raw);
  if (!value) return null;
  if (!isUuid(value)) errors.add(field, message);
  return value.toLowerCase();
}

export async function pointArticleIds(db: Db, placeId: string): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('pos_point_articles')
    .select(['point_id', 'article_id'])
    .where('place_id', '=', placeId)
    .orderBy('point_id')
    .orderBy('position')
    .orderBy('article_id')
    .execute();
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.point_id, [...(out.get(r.point_id) ?? []), r.article_id]);
  return out;
}

export const toArticle = (r: {
  id: string;
  name: string;
  kind: ArticleKind;
  category_id: string | null;
  price_cents: number | null;
  vat_rate: number;
  colour: string;
  currency_id: string | null;
  membership_product_id: string | null;
  position: number;
  archived: boolean;
}): PosArticle => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  categoryId: r.category_id,
  priceCents: r.price_cents === null ? null : Number(r.price_cents),
  vatRate: r.vat_rate,
  colour: r.colour,
  currencyId: r.currency_id,
  membershipProductId: r.membership_product_id,
  position: r.position,
  archived: r.archived,
});

/** Everything the setup page and GET /api/v1/places/{placeId}/pos show. The caller has checked place.settings. */
export async function posSetupOf(db: Db, placeId: string): Promise<PosSetup> {
  const dayStartsAt = await dayStartsAtOf(db, placeId);
  const links = await pointArticleIds(db, placeId);
  const points = await db
    .selectFrom('pos_points')
    .selectAll()
    .where('place_id', '=', placeId)
    .orderBy('archived')
    .orderBy('position')
    .orderBy('name')
    .orderBy('id')
    .execute();
  const categories = await db
    .selectFrom('pos_categories')
    .selectAll()
    .where('place_id', '=', placeId)
    .orderBy('position')
    .orderBy('name')
    .orderBy('id')
    .execute();
  const articles = await db
    .selectFrom('pos_articles')
    .selectAll()
    .where('place_id', '=', placeId)
    .orderBy('archived')
    .orderBy('position')
    .orderBy('name')
    .orderBy('id')
    .execute();
  const topUpCurrencies = await topUpCurrenciesOf(db, placeId);
  const giftCurrencies = await giftCurrenciesOf(db, placeId);
  const products = (await productsOf(db, placeId)).map((p) => ({ id: p.id, name: p.name, active: p.active }));
  return {
    dayStartsAt,
    points: points.map((p) => ({
      id: p.id,
      name: p.name,
      paymentMethods: p.payment_methods,
      position: p.position,
      archived: p.archived,
      articleIds: links.get(p.id) ?? [],
    })),
    categories: categories.map((c) => ({ id: c.id, name: c.name, colour: c.colour, position: c.position })),
    articles: articles.map(toArticle),
    topUpCurrencies,
    giftCurrencies,
    topUpLimits: await topUpLimitsFor(db, placeId, [...topUpCurrencies, ...giftCurrencies]),
    membershipProducts: products,
  };
}

/** The name of one of the venue's articles, or null (the notice after creating one). */
export async function articleNameOf(db: Db, placeId: string, articleId: string): Promise<string | null> {
  if (!isUuid(articleId)) return null;
  const row = await db
    .selectFrom('pos_articles')
    .select('name')
    .where('place_id', '=', placeId)
    .where('id', '=', articleId)
    .executeTakeFirst();
  return row?.name ?? null;
}
