import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid, uuidv7 } from '../shared/ids.ts';
import { parseEuros } from '../shared/money.ts';
import {
  DEFAULT_ARTICLE_COLOUR,
  MAX_PRICE_CENTS,
  NO_VAT_KINDS,
  OPEN_PRICE_KINDS,
  bool,
  parseVatPercent,
  positionFor,
  readArticleKind,
  readColour,
  readName,
  readOptionalId,
  readPosition,
  text,
  toArticle,
  type PosArticle,
} from './posSetup.ts';
import { giftCurrenciesOf, topUpCurrenciesOf } from '../ledger/index.ts';
import type { ArticleKind } from './tables.ts';
import { findProduct } from '../memberships/index.ts';

/**
 * An article as sent by a page (strings: `price` in euros "3,50", `openPrice` checkbox, `vatRate` a
 * percent "8,5") or by the API (`priceCents` integer or null, `vatRate` integer basis points).
 * On an update, what is not sent keeps its value.
 */
export interface ArticleInput {
  name?: unknown;
  kind?: unknown;
  categoryId?: unknown;
  price?: unknown;
  openPrice?: unknown;
  priceCents?: unknown;
  vatRate?: unknown;
  colour?: unknown;
  currencyId?: unknown;
  membershipProductId?: unknown;
  position?: unknown;
  archived?: unknown;
}

interface ArticleFields {
  name: string;
  kind: ArticleKind;
  categoryId: string | null;
  priceCents: number | null;
  vatRate: number;
  colour: string;
  currencyId: string | null;
  membershipProductId: string | null;
  position: number | undefined;
  archived: boolean;
}

/** Reads and checks an article's fields (without the database). */
export function readArticleFields(raw: ArticleInput): ArticleFields {
  const errors = new FieldErrors();
  const name = readName(errors, raw.name);
  const kind = readArticleKind(errors, raw.kind);
  // Price: cents from the API, euros from a page; null = typed at the till.
  let priceCents: number | null = null;
  let priceField = 'price';
  if (raw.priceCents !== undefined) {
    priceField = 'priceCents';
    const c = raw.priceCents;
    if (c !== null && (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0 || c > MAX_PRICE_CENTS))
      errors.add('priceCents', 'pos.price', { max: MAX_PRICE_CENTS / 100 });
    else priceCents = c;
  } else if (!bool(raw.openPrice)) {
    const typed = text(raw.price);
    if (typed === '') {
      if (kind === 'free') priceCents = 0;
      else errors.add('price', 'pos.price-required');
    } else {
      const cents = parseEuros(typed);
      if (cents === null || cents > MAX_PRICE_CENTS) errors.add('price', 'pos.price', { max: MAX_PRICE_CENTS / 100 });
      else priceCents = cents;
    }
  }
  if (kind === 'free' && priceCents === null) priceCents = 0;
  if (!errors.has(priceField) && !errors.has('kind')) {
    if (priceCents === null && !OPEN_PRICE_KINDS.includes(kind)) errors.add(priceField, 'pos.price-required');
    if (kind === 'free' && priceCents !== null && priceCents !== 0) errors.add(priceField, 'pos.free-price');
    if ((kind === 'deposit' || kind === 'deposit_return') && priceCents === 0)
      errors.add(priceField, 'pos.price-required');
  }
  // VAT: basis points from the API, a percent from a page.
  let vatRate = 0;
  if (typeof raw.vatRate === 'number') {
    if (!Number.isInteger(raw.vatRate) || raw.vatRate < 0 || raw.vatRate > 10_000) errors.add('vatRate', 'pos.vat');
    else vatRate = raw.vatRate;
  } else if (raw.vatRate !== undefined && raw.vatRate !== null) {
    const bp = parseVatPercent(raw.vatRate);
    if (bp === null) errors.add('vatRate', 'pos.vat');
    else vatRate = bp;
  }
  if (vatRate !== 0 && NO_VAT_KINDS.includes(kind)) errors.add('vatRate', 'pos.vat-not-applicable');
  const colour = readColour(errors, raw.colour, DEFAULT_ARTICLE_COLOUR);
  const categoryId = readOptionalId(errors, 'categoryId', raw.categoryId, 'pos.category');
  let currencyId = readOptionalId(errors, 'currencyId', raw.currencyId, 'pos.currency');
  let membershipProductId = readOptionalId(
    errors,
    'membershipProductId',
    raw.membershipProductId,
    'pos.membership-product',
  );
  // A page sends every select; only the ones of the chosen kind count.
  if (kind === 'top_up' || kind === 'gift_top_up') {
    if (!currencyId && !errors.has('currencyId')) errors.add('currencyId', 'required');
  } else currencyId = null;
  if (kind === 'membership') {
    if (!membershipProductId && !errors.has('membershipProductId')) errors.add('membershipProductId', 'required');
  } else membershipProductId = null;
  const position = readPosition(errors, raw.position);
  errors.throwIfAny();
  return {
    name,
    kind,
    categoryId,
    priceCents,
    vatRate,
    colour,
    currencyId,
    membershipProductId,
    position,
    archived: bool(raw.archived),
  };
}

/**
 * A venue admin creates an article (no `articleId`) or changes one. Archiving hides it from the tills
 * and keeps it in the history; articles are never deleted (journal lines freeze their name and price
 * anyway). The currency of a top-up must be one the venue may mint; a membership article sells one of
 * the venue's membership products.
 */
export async function saveArticle(
  db: Db,
  actor: Actor,
  input: { placeId: string; articleId?: string } & ArticleInput,
): Promise<PosArticle> {
  const { placeId, articleId, ...raw } = input;
  if (articleId !== undefined && !isUuid(articleId)) throw notFound('article');
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, placeId, 'place.settings');
    let merged: ArticleInput = raw;
    if (articleId !== undefined) {
      const before = await trx
        .selectFrom('pos_articles')
        .selectAll()
        .where('place_id', '=', placeId)
        .where('id', '=', articleId)
        .forUpdate()
        .executeTakeFirst();
      if (!before) throw notFound('article');
      const current: ArticleInput = {
        name: before.name,
        kind: before.kind,
        categoryId: before.category_id ?? '',
        priceCents: before.price_cents === null ? null : Number(before.price_cents),
        vatRate: before.vat_rate,
        colour: before.colour,
        currencyId: before.currency_id ?? '',
        membershipProductId: before.membership_product_id ?? '',
        position: before.position,
        archived: before.archived,
      };
      const sent = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as ArticleInput;
      merged = { ...current, ...sent };
      if (sent.price !== undefined || sent.openPrice !== undefined) delete merged.priceCents;
    }
    const f = readArticleFields(merged);
    const errors = new FieldErrors();
    if (f.categoryId) {
      const category = await trx
        .selectFrom('pos_categories')
        .select('id')
        .where('place_id', '=', placeId)
        .where('id', '=', f.categoryId)
        .executeTakeFirst();
      if (!category) errors.add('categoryId', 'pos.category');
    }
    if (f.currencyId) {
      const allowed =
        f.kind === 'top_up' ? await topUpCurrenciesOf(trx, placeId) : await giftCurrenciesOf(trx, placeId);
      if (!allowed.some((c) => c.id === f.currencyId))
        errors.add('currencyId', f.kind === 'top_up' ? 'pos.currency' : 'pos.gift-currency');
    }
    if (f.membershipProductId) {
      const product = await findProduct(trx, placeId, f.membershipProductId);
      if (!product) errors.add('membershipProductId', 'pos.membership-product');
    }
    errors.throwIfAny();
    const columns = {
      name: f.name,
      kind: f.kind,
      category_id: f.categoryId,
      price_cents: f.priceCents,
      vat_rate: f.vatRate,
      colour: f.colour,
      currency_id: f.currencyId,
      membership_product_id: f.membershipProductId,
      archived: f.archived,
    };
    let row;
    if (articleId === undefined) {
      const position = await positionFor(trx, 'pos_articles', placeId, f.position);
      row = await trx
        .insertInto('pos_articles')
        .values({ place_id: placeId, id: uuidv7(), ...columns, position })
        .returningAll()
        .executeTakeFirstOrThrow();
    } else {
      row = await trx
        .updateTable('pos_articles')
        .set({ ...columns, ...(f.position !== undefined ? { position: f.position } : {}) })
        .where('place_id', '=', placeId)
        .where('id', '=', articleId)
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    await audit(trx, actor, {
      placeId,
      action: articleId === undefined ? 'till.article.created' : 'till.article.updated',
      subjectId: row.id,
      data: { name: f.name, kind: f.kind, priceCents: f.priceCents, vatRate: f.vatRate, archived: f.archived },
    });
    return toArticle(row);
  });
}
