// @ts-check
// The rules the till in the browser and the server share (docs/TILL.md), in one dependency-free ES
// module: plain JavaScript with JSDoc types, imported as is by the server (src/till, src/cards,
// src/shared/money.ts) and served to the till as /static/till/tillRules.js (src/till/tillPage.ts).
// Nothing here may touch Node or the DOM: both load it.

/**
 * What an article of a point of sale does (docs/POINTS-OF-SALE.md, "Article kinds").
 * @typedef {'sale'|'top_up'|'cash_out'|'membership'|'deposit'|'deposit_return'|'gift_top_up'|'free'} ArticleKind
 */

/** @type {readonly ArticleKind[]} */
export const ARTICLE_KINDS = [
  'sale',
  'top_up',
  'cash_out',
  'membership',
  'deposit',
  'deposit_return',
  'gift_top_up',
  'free',
];

/** Articles that move a wallet at the counter: at most one per sale, never paid by the card itself. */
/** @type {readonly ArticleKind[]} */
export const COUNTER_KINDS = ['top_up', 'gift_top_up', 'cash_out'];
/** Articles sold one per line (quantity 1). */
/** @type {readonly ArticleKind[]} */
export const ONE_PER_LINE_KINDS = ['top_up', 'gift_top_up', 'cash_out', 'membership'];
/** Articles that are for a card (the sale needs one): the counter articles and memberships. */
/** @type {readonly ArticleKind[]} */
export const CARD_KINDS = ['top_up', 'gift_top_up', 'cash_out', 'membership'];
/** Articles whose line is money given back (negative). */
/** @type {readonly ArticleKind[]} */
export const NEGATIVE_KINDS = ['cash_out', 'deposit_return'];
/** Articles whose line costs no euros: gift credit is given, not sold; a free article is free. */
/** @type {readonly ArticleKind[]} */
export const NO_EURO_KINDS = ['gift_top_up', 'free'];

/**
 * A sale line's euros, in cents: unit × quantity, negative for money given back, 0 for gift credit
 * and free articles. The till's cart total and the server's sale total are sums of these.
 * @param {ArticleKind} kind
 * @param {number} unitCents the article's price, or the amount typed at the till
 * @param {number} quantity
 * @returns {number}
 */
export function lineAmountCents(kind, unitCents, quantity) {
  if (NO_EURO_KINDS.includes(kind)) return 0;
  return (NEGATIVE_KINDS.includes(kind) ? -1 : 1) * unitCents * quantity;
}

/** A sale's limits (the API's request schema and recordSale check them; the till keeps within them). */
export const MAX_ITEMS = 100;
export const MAX_PAYMENTS = 10;
export const MAX_QUANTITY = 999;
/** Different cards paying one sale (a short card and one or two others: docs/TILL.md, "Split"). */
export const MAX_CARDS = 3;

/**
 * Parses an amount of euros typed by a person — "12", "12,5", "12.50", "1 200,00" — into cents.
 * Returns null for anything else (negative, more than two decimals, letters). Never uses floats.
 * @param {string} input
 * @returns {number | null}
 */
export function parseEuros(input) {
  const s = input.replace(/[\s\u00a0\u202f]/g, '').replace(/€$/, '');
  const m = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/**
 * A card UID as a reader types it or Web NFC reads it — `04:a2:…`, `04 A2 …` and `04a2…` are the same
 * UID — as upper-case hex without separators; null when it is not a 4, 7 or 10-byte UID.
 * @param {unknown} raw
 * @returns {string | null}
 */
export function normaliseUid(raw) {
  if (typeof raw !== 'string') return null;
  const hex = raw.replace(/[\s:-]/g, '').toUpperCase();
  return /^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/.test(hex) ? hex : null;
}

/**
 * Cash handed over for `amountCents`: what goes back to the customer, in cents (0 when nothing was said,
 * negative when short: the till shows what is missing, the server refuses it). The server's answer
 * (`changeCents`) and the till's cash dialog both say this.
 * @param {number} amountCents
 * @param {number | null} tenderedCents
 * @returns {number}
 */
export function changeCents(amountCents, tenderedCents) {
  return tenderedCents === null ? 0 : tenderedCents - amountCents;
}

/** The euro banknotes a customer most often hands over at a bar (the cash dialog's buttons). */
/** @type {readonly number[]} */
export const BANKNOTES_CENTS = [500, 1000, 2000, 5000];
/**
 * The banknotes that pay `amountCents` alone: each note at least the amount, smallest first (a 4 €
 * beer: 5, 10, 20, 50 €; 12 €: 20 and 50 €; over 50 €: none, the amount is typed).
 * @param {number} amountCents
 * @returns {number[]}
 */
export function banknotesFor(amountCents) {
  return BANKNOTES_CENTS.filter((note) => note >= amountCents);
}

/** The amounts a top-up or gift credit offers at one tap (any other amount is typed). */
/** @type {readonly number[]} */
export const TOP_UP_PRESETS_CENTS = [500, 1000, 2000, 5000];
/**
 * The amounts offered at one tap for an article of that kind whose amount is typed: a top-up's and gift
 * credit's presets; none for the others (a cash-out or an open price is what the customer says).
 * @param {ArticleKind} kind
 * @returns {readonly number[]}
 */
export function presetsFor(kind) {
  return kind === 'top_up' || kind === 'gift_top_up' ? TOP_UP_PRESETS_CENTS : [];
}
