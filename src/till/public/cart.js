// @ts-check
// The point of sale and its cart: the articles grid, the lines, the total (the server's own rules,
// ./tillRules.js, so the cart's total is the sale's total by construction), and the sale built from it.
/* global document, navigator */
import { $, $button, $input, el, euros, format, newId, noteEuros, textColourOn, typedEuros, words } from './dom.js';
import { amountField, openDialog, prompt, refreshBar, showScreen } from './screens.js';
import { sessionId, state } from './state.js';
import { store } from './storage.js';
import {
  CARD_KINDS,
  MAX_QUANTITY,
  NEGATIVE_KINDS,
  lineAmountCents,
  normaliseUid,
  parseEuros,
  presetsFor,
} from './tillRules.js';

/**
 * @typedef {import('./types.js').Article} Article
 * @typedef {import('./types.js').Line} Line
 * @typedef {import('./types.js').Payment} Payment
 * @typedef {import('./types.js').PaymentMethod} PaymentMethod
 * @typedef {import('./types.js').Sale} Sale
 */

/** The point of sale chosen on this till, if the venue still has it. */
export function point() {
  return ((state.config && state.config.points) || []).filter((p) => p.id === state.pointId)[0] || null;
}

/** @returns {unknown} */
export function choosePoint() {
  const points = (state.config && state.config.points) || [];
  const chosen = points.filter((p) => p.id === state.pointId)[0];
  if (chosen) return showSale();
  if (points.length === 1) {
    state.pointId = points[0].id;
    store.set('point', state.pointId);
    return showSale();
  }
  const list = $('till-point-list');
  list.replaceChildren(
    ...(points.length
      ? points.map((p) =>
          el('button', {
            type: 'button',
            class: 'till-primary',
            text: p.name,
            on: {
              click: () => {
                state.pointId = p.id;
                store.set('point', p.id);
                showSale();
              },
            },
          }),
        )
      : [el('p', { class: 'till-warning', text: state.config ? words.noPoints : words.configFailed })]),
  );
  showScreen('points');
}

/** @param {Article} a */
function articleButton(a) {
  const bg = /^#[0-9a-f]{6}$/i.test(a.colour) ? a.colour : '#37474f';
  return el(
    'button',
    {
      type: 'button',
      class: 'till-article',
      'data-kind': a.kind,
      style: { background: bg, color: textColourOn(bg), borderColor: bg },
      on: { click: () => addArticle(a) },
    },
    [
      el('span', { class: 'till-article-name', text: a.name }),
      el('span', {
        class: 'till-article-price',
        text: a.priceCents === null ? '…' : (NEGATIVE_KINDS.includes(a.kind) ? '−' : '') + euros(a.priceCents),
      }),
    ],
  );
}

/** @returns {unknown} */
export function showSale() {
  const p = point();
  if (!p) return choosePoint();
  $('till-point-name').textContent = p.name;
  $('till-cashier').textContent =
    state.session && state.session.cashier && state.session.cashier.name
      ? format(words.cashier, { name: state.session.cashier.name })
      : '';
  $('till-articles').replaceChildren(...p.articles.map(articleButton));
  const methods = p.paymentMethods;
  $('till-pay-card').hidden = methods.indexOf('card') < 0;
  $('till-pay-cash').hidden = methods.indexOf('cash') < 0;
  $('till-pay-bank').hidden = methods.indexOf('bank_card') < 0;
  showScreen('sale');
  document.documentElement.setAttribute('data-till', 'sale');
  renderCart();
  refreshBar();
}

// A line's euros and which articles need a card: the server's own rules (tillRules.js).
/** @param {Line} line */
function lineAmount(line) {
  const unit = line.article.priceCents === null ? line.amountCents || 0 : line.article.priceCents;
  return lineAmountCents(line.article.kind, unit, line.quantity);
}
export function cartTotal() {
  return state.cart.reduce((sum, line) => sum + lineAmount(line), 0);
}
export function needsCard() {
  return state.cart.some((line) => CARD_KINDS.includes(line.article.kind));
}

/** @param {Article} article */
async function addArticle(article) {
  if (state.busy) return;
  if (article.priceCents === null) {
    const values = await openDialog(
      format(words.amountTitle, { name: article.name }),
      presetButtons(article).concat(amountField('amount', words.amount, '')),
      words.amountOk,
    );
    const cents = values && parseEuros(values.amount);
    if (!cents) return;
    state.cart.push({ key: newId(), article, quantity: 1, amountCents: cents });
  } else {
    const line = state.cart.filter((l) => l.key === article.id)[0];
    // A line holds at most MAX_QUANTITY (the server's limit): one more tap past it changes nothing.
    if (line) line.quantity = Math.min(MAX_QUANTITY, line.quantity + 1);
    else state.cart.push({ key: article.id, article, quantity: 1 });
  }
  prompt('');
  renderCart();
}
/**
 * A top-up's usual amounts at one tap (tillRules.js `presetsFor`): the amount is put in and added.
 * @param {Article} article @returns {Node[]}
 */
function presetButtons(article) {
  const presets = presetsFor(article.kind);
  if (!presets.length) return [];
  /** @param {number} cents */
  const choose = (cents) => {
    $input('till-amount-amount').value = typedEuros(cents);
    /** @type {HTMLFormElement} */ ($('till-dialog-form')).requestSubmit();
  };
  const buttons = presets.map((cents) =>
    el('button', { type: 'button', class: 'till-note', text: noteEuros(cents), on: { click: () => choose(cents) } }),
  );
  return [el('div', { class: 'till-notes', role: 'group', 'aria-label': words.presets }, buttons)];
}
/** @param {string} key @param {number} delta */
function changeQuantity(key, delta) {
  const line = state.cart.filter((l) => l.key === key)[0];
  if (!line) return;
  line.quantity = Math.min(MAX_QUANTITY, line.quantity + delta);
  if (line.quantity <= 0) state.cart = state.cart.filter((l) => l !== line);
  if (!needsCard()) state.attached = null;
  renderCart();
}
export function clearCart() {
  state.cart = [];
  state.attached = null;
  state.waitingMethod = null;
  state.split = null;
  prompt('');
  renderCart();
}

/** @param {Line} line */
function lineItem(line) {
  return el('li', { class: 'till-line' }, [
    el('span', { class: 'till-line-qty', text: line.quantity + ' ×' }),
    el('span', { class: 'till-line-name', text: line.article.name }),
    el('span', { class: 'till-line-amount', text: euros(lineAmount(line)) }),
    el('button', {
      type: 'button',
      class: 'till-step',
      text: '−',
      'aria-label': format(words.less, { name: line.article.name }),
      on: { click: () => changeQuantity(line.key, -1) },
    }),
    line.article.priceCents === null
      ? ''
      : el('button', {
          type: 'button',
          class: 'till-step',
          text: '+',
          'aria-label': format(words.more, { name: line.article.name }),
          on: { click: () => changeQuantity(line.key, 1) },
        }),
  ]);
}
export function renderCart() {
  const lines = $('till-lines');
  if (!state.cart.length) lines.replaceChildren(el('li', { class: 'till-empty', text: words.cartEmpty }));
  else lines.replaceChildren(...state.cart.map(lineItem));
  $('till-total').textContent = euros(cartTotal());
  const attached = $('till-attached');
  attached.hidden = !state.attached;
  // A card read by NFC is known by its UID only: staff never see UIDs (its number shows once paid or looked up).
  const shown = state.attached && cardFields(state.attached).cardNumber ? state.attached : '✓';
  attached.textContent = state.attached ? format(words.attached, { number: shown }) : '';
  const empty = state.cart.length === 0;
  ['till-pay-card', 'till-pay-cash', 'till-pay-bank', 'till-clear'].forEach((id) => {
    $button(id).disabled = empty || (id === 'till-pay-card' && (state.offline || navigator.onLine === false));
  });
}

/** The cart as the sale's items (an amount only for the lines whose amount was typed). */
export function items() {
  return state.cart.map((line) =>
    line.article.priceCents === null
      ? { articleId: line.article.id, quantity: line.quantity, amountCents: line.amountCents }
      : { articleId: line.article.id, quantity: line.quantity },
  );
}
/**
 * A new sale of the cart, with its own id (the idempotency key, reused for every retry).
 * @param {Payment[]} payments @param {string | null} [cardUid] @returns {Sale}
 */
export function newSale(payments, cardUid) {
  /** @type {Sale} */
  const sale = {
    id: newId(),
    session: sessionId(),
    pointId: /** @type {string} */ (state.pointId),
    items: items(),
    payments,
  };
  if (cardUid) Object.assign(sale, cardFields(cardUid));
  return sale;
}
/** @param {PaymentMethod} method */
export function methodTaken(method) {
  const p = point();
  return !!p && p.paymentMethods.indexOf(method) >= 0;
}

/**
 * A card as read: its UID (NFC, a wedge reader), the card page's address its QR code holds, or its printed
 * number typed; null when it is none of these. @param {unknown} raw @returns {string | null}
 */
export function cardRefOf(raw) {
  const text = String(raw ?? '').trim();
  if (/\/cards\/[A-Za-z0-9_-]{16,128}/.test(text)) return text;
  const uid = normaliseUid(text);
  if (uid) return uid;
  return /^[A-Za-z0-9][A-Za-z0-9 _-]{0,39}$/.test(text) ? text.toUpperCase() : null;
}

/**
 * The request's fields naming a card reference (docs/TILL.md): `cardUid`, `cardToken` (the QR address) or
 * `cardNumber`. @param {string} ref @returns {{ cardUid?: string, cardNumber?: string, cardToken?: string }}
 */
export function cardFields(ref) {
  if (ref.includes('/cards/')) return { cardToken: ref };
  const uid = normaliseUid(ref);
  return uid ? { cardUid: uid } : { cardNumber: ref };
}
