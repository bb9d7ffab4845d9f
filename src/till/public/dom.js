// @ts-check
// The page and its words: elements by id, the page's data (src/till/tillPage.ts writes both), and
// formatting (amounts, tokens, dates, colours) in the page's language.
/* global document, crypto */

/** The page's element of that id (the page has them all: tillPage.ts). @param {string} id @returns {HTMLElement} */
export const $ = (id) => {
  const node = document.getElementById(id);
  if (!node) throw new Error('#' + id + ' is missing');
  return node;
};
/** @param {string} id */
export const $input = (id) => /** @type {HTMLInputElement} */ ($(id));
/** @param {string} id */
export const $button = (id) => /** @type {HTMLButtonElement} */ ($(id));

/** @type {{ words: Record<string, string>, locale: string, lang: string, currency: string, decimalSeparator: string }} */
export const config = JSON.parse($('till-data').textContent || '{}');
export const words = config.words;
export const locale = config.locale;
export const plural = new Intl.PluralRules(config.lang);

/** @param {string} template @param {Record<string, unknown>} [params] */
export function format(template, params) {
  return String(template).replace(/\{(\w+)\}/g, (m, name) => (params && name in params ? String(params[name]) : m));
}
const money = new Intl.NumberFormat(locale, { style: 'currency', currency: config.currency || 'EUR' });
/** @param {number} cents */
export function euros(cents) {
  return money.format(cents / 100);
}
const whole = new Intl.NumberFormat(locale, {
  style: 'currency',
  currency: config.currency || 'EUR',
  minimumFractionDigits: 0,
});
/** A round amount without its cents, as printed on a banknote ("5 €"); any other as `euros`. @param {number} cents */
export function noteEuros(cents) {
  return cents % 100 === 0 ? whole.format(cents / 100) : euros(cents);
}
/** An amount as a person types it in the page's language (no symbol): 1250 → "12,50". @param {number} cents */
export function typedEuros(cents) {
  return (cents / 100).toFixed(2).replace('.', config.decimalSeparator);
}
/** @param {number} amount @param {number} [decimals] @param {string} [code] */
function tokens(amount, decimals, code) {
  const d = typeof decimals === 'number' ? decimals : 2;
  const n = new Intl.NumberFormat(locale, { minimumFractionDigits: d, maximumFractionDigits: d }).format(
    amount / Math.pow(10, d),
  );
  return code ? n + ' ' + code : n;
}
/**
 * The wallet's lines as the server gives them.
 * @param {import('./types.js').Balance[] | undefined} balances
 */
export function balanceLines(balances) {
  return (balances || []).map(
    (b) => tokens(b.amount, b.decimals, b.currency) + (b.usableHere === false ? ' (' + words.notUsable + ')' : ''),
  );
}
/** One currency of a wallet: its amount, code and name. @param {import('./types.js').Balance} b */
export function balanceLine(b) {
  return tokens(b.amount, b.decimals, b.currency) + (b.name && b.name !== b.currency ? ' — ' + b.name : '');
}
/** A calendar day ('YYYY-MM-DD') in the page's language. @param {unknown} day */
export function dateOf(day) {
  const d = new Date(String(day) + 'T12:00:00Z');
  return Number.isNaN(d.getTime())
    ? String(day)
    : new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}
export function newId() {
  return crypto.randomUUID();
}
/** @param {string} background */
export function textColourOn(background) {
  const m = /^#([0-9a-f]{6})$/i.exec(background || '');
  if (!m) return '#fff';
  const [r, g, b] = [0, 2, 4]
    .map((i) => parseInt(m[1].slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4)));
  const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Whichever of black and white contrasts more with the button.
  return (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? '#000' : '#fff';
}
/**
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {(Node|string)[]} [children]
 */
export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => {
    if (v === undefined || v === null || v === false) return;
    if (k === 'text') node.textContent = v;
    else if (k === 'on') Object.entries(v).forEach(([ev, fn]) => node.addEventListener(ev, fn));
    else if (k === 'style') Object.assign(node.style, v);
    else node.setAttribute(k, v === true ? '' : v);
  });
  (children || []).forEach((c) => node.append(c));
  return node;
}
