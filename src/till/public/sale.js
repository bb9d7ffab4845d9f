// @ts-check
// Sending a sale and telling its outcome. A sale carries an id made when the cashier pays, reused for
// every retry until a definite answer, so a retry never charges twice. Without the server the till
// says so at once and never shows green: a sale without card waits in the queue (queue.js); a card
// sale is decided by the server only — retried with the same id, or given up after asking the server
// whether it was recorded. A card short of funds pays what it has, the rest by another means.
import { Unreachable, codeOf, messageOf, reasonOf, reasons, request } from './api.js';
import { cardFields, clearCart, items, methodTaken, newSale } from './cart.js';
import { balanceLines, euros, format, words } from './dom.js';
import { enqueue, queueable } from './queue.js';
import {
  askCash,
  confirmBank,
  dialogOpen,
  hideResult,
  prompt,
  refreshBar,
  resultShown,
  showResult,
} from './screens.js';
import { closeTill } from './session.js';
import { keepLastSale, sessionId, state } from './state.js';
import { store } from './storage.js';

/**
 * @typedef {import('./types.js').Answer} Answer
 * @typedef {import('./types.js').Payment} Payment
 * @typedef {import('./types.js').PaymentMethod} PaymentMethod
 * @typedef {import('./types.js').Sale} Sale
 * @typedef {import('./types.js').SaleContext} SaleContext
 * @typedef {import('./types.js').SentSale} SentSale
 * @typedef {import('./types.js').Split} Split
 * @typedef {import('./types.js').Action} Action
 */

/** @param {Sale} sale @param {SaleContext} context @returns {Promise<unknown>} */
export async function sendSale(sale, context) {
  const uncertain = state.uncertain && state.uncertain.sale;
  const retrying = !!uncertain && uncertain.id === sale.id;
  // A card payment waits until an uncertain card sale is known (the customer may be paying twice);
  // cash and the bank terminal do not: the uncertain one is asked about in the background.
  if (uncertain && !retrying && paysByCard(sale) && !(await settleUncertain())) return;
  state.pending = { sale, context };
  state.waitingMethod = null;
  prompt(words.sending);
  state.busy = true;
  // The time the money was taken: a sale that has to wait for the network is booked on its day by it.
  const soldAt = new Date().toISOString();
  let answer;
  try {
    answer = await request('POST', '/api/v1/till/sales', sale);
  } catch (err) {
    return noAnswer(err, sale, context, soldAt);
  }
  state.busy = false;
  prompt('');
  state.pending = null;
  // A definite answer: the uncertain sale (if this was its retry) is settled either way.
  if (retrying) remember(null);
  // Retried from the bar while another customer's cart is on the till: that cart stays.
  const keepCart = retrying && !sameCart(sale);
  if (answer.status === 200 || answer.status === 201) return saleDone(answer.body, { keepCart });
  return refused(answer, sale, context);
}
/** @param {Sale} sale */
const paysByCard = (sale) => sale.payments.some((p) => p.method === 'card');
/** Whether the cart on the till is still that sale's. @param {Sale} sale */
const sameCart = (sale) => JSON.stringify(items()) === JSON.stringify(sale.items);

/**
 * No answer from the server: a sale without card waits in the queue; a card sale is kept as uncertain.
 * @param {unknown} err @param {Sale} sale @param {SaleContext} context @param {string} soldAt
 */
async function noAnswer(err, sale, context, soldAt) {
  state.busy = false;
  prompt('');
  if (!(err instanceof Unreachable)) {
    state.pending = null;
    return showResult('ko', format(words.error, { detail: messageOf(err) }), []);
  }
  if (queueable(sale)) {
    try {
      await enqueue(sale, context, soldAt);
    } catch (e) {
      return showResult('ko', words.unreachable, [format(words.error, { detail: messageOf(e) })]);
    }
    state.pending = null;
    clearCart();
    // Calm, not an error: the sale is kept on the till and the money is in the drawer.
    return showResult('queued', words.savedOffline, [
      words.savedOfflineNext,
      context.change && context.change > 0 ? format(words.paidChange, { change: euros(context.change) }) : '',
      euros(context.total),
    ]);
  }
  // A card payment is decided by the server only: retry with the same id, or give up — after asking
  // the server whether it was recorded (remembered until then, even if the result is just closed: the
  // bar shows it pending, and the till asks in the background).
  remember({ sale, context });
  return showUncertain();
}
/** @param {Sale} sale @param {SaleContext} context */
function retry(sale, context) {
  hideResult();
  void sendSale(sale, context);
}

/**
 * The server refused the sale: why, what is missing, and for a short card the offer to split.
 * @param {Answer} answer @param {Sale} sale @param {SaleContext} context
 */
async function refused(answer, sale, context) {
  const code = codeOf(answer.body);
  if (code === 'till-session') return closeTill(words.session);
  let missing = missingOf(answer.body);
  if (code === 'till-insufficient-funds' && missing === null && context.cardUid && !context.second)
    missing = await missingByLookup(context);
  if (code === 'till-insufficient-funds' && missing !== null && !context.split && sale.payments.length === 1) {
    return offerSplit(context, missing);
  }
  const details = [];
  if (code === 'till-insufficient-funds' && missing !== null)
    details.push(format(words.missing, { amount: euros(missing) }));
  if (code === 'till-insufficient-funds' && context.second) details.unshift(words.secondCardShort);
  if (!reasons[code] && answer.body.detail && answer.body.title) details.push(answer.body.detail);
  (Array.isArray(answer.body.errors) ? answer.body.errors : [])
    .slice(0, 3)
    .forEach((/** @type {{ field: string, message: string }} */ e) => details.push(e.message || e.field));
  showResult('ko', reasonOf(answer), details);
}

/**
 * The amount a card is short of: `missing` in the problem (src/till/apiRoutes.ts, TillProblem), in minor units.
 * @param {any} body
 * @returns {number | null}
 */
function missingOf(body) {
  const m = body && body.missing;
  return typeof m === 'number' && m > 0 ? m : null;
}
/**
 * When the answer does not say what is missing, the card's usable balances tell.
 * @param {SaleContext} context
 */
async function missingByLookup(context) {
  try {
    const answer = await request('POST', '/api/v1/till/cards/lookup', {
      session: sessionId(),
      cardUid: context.cardUid,
    });
    if (answer.status !== 200) return null;
    /** @type {import('./types.js').Balance[]} */
    const balances = answer.body.balances;
    const usable = balances
      .filter((b) => b.usableHere !== false && b.decimals === 2)
      .reduce((n, b) => n + Math.max(0, b.amount), 0);
    return context.total > usable ? context.total - usable : null;
  } catch {
    return null;
  }
}

/**
 * Green: the sale is recorded (src/till/apiRoutes.ts, SaleOut).
 * @param {any} body
 * @param {{ afterAll?: boolean, keepCart?: boolean }} [options]
 */
function saleDone(body, options) {
  const opts = options || {};
  const total = body.sale.totalCents;
  keepLastSale(body);
  // A sale found recorded after all clears the cart only if it is still that sale's cart.
  if (!opts.keepCart) clearCart();
  refreshBar();
  const change = body.changeCents;
  const details = [];
  if (opts.afterAll) details.push(words.recordedAfterAll);
  if (change > 0) details.push(format(words.paidChange, { change: euros(change) }));
  const balances = balanceLines(body.balances);
  const others = body.otherCards || [];
  if (balances.length)
    details.push(
      format(words.newBalance, { balance: balances.join(' · ') }) +
        (others.length && body.card ? ' (' + body.card.number + ')' : ''),
    );
  for (const other of others) {
    const lines = balanceLines(other.balances);
    if (lines.length)
      details.push(format(words.newBalance, { balance: lines.join(' · ') }) + ' (' + other.number + ')');
  }
  showResult(
    'ok',
    total < 0 ? format(words.giveOut, { amount: euros(-total) }) : format(words.paid, { amount: euros(total) }),
    details,
  );
}

/** @param {SentSale | null} uncertain */
function remember(uncertain) {
  state.uncertain = uncertain;
  store.set('uncertain', uncertain);
  refreshBar();
}
/**
 * What became of a sale sent without an answer: { recorded: body } (the answer the till never got),
 * { unknown: true } (never recorded: nothing was charged), or null (cannot tell now).
 * @param {string} saleId
 * @returns {Promise<{ recorded?: any, unknown?: true } | null>}
 */
async function saleStatus(saleId) {
  try {
    const answer = await request('GET', '/api/v1/till/sales/' + saleId);
    if (answer.status === 200 && answer.body && answer.body.sale) return { recorded: answer.body };
    if (answer.status === 404 && codeOf(answer.body) === 'till-sale-unknown') return { unknown: true };
    return null;
  } catch {
    return null;
  }
}
/** @param {Sale} sale @param {SaleContext} context */
function stillUnknown(sale, context) {
  const abandon = () => {
    remember(null);
    state.pending = null;
    hideResult();
  };
  return showResult(
    'warn',
    words.unreachable,
    [words.stillUnknown],
    [
      { label: words.retry, run: () => retry(sale, context) },
      { label: words.abandonAnyway, run: abandon, quiet: true },
    ],
  );
}
/**
 * "Give up" on an uncertain card sale: green if it was recorded after all, forgotten if it never was.
 * @param {Sale} sale @param {SaleContext} context
 */
async function giveUp(sale, context) {
  hideResult();
  state.busy = true;
  prompt(words.checking);
  const status = await saleStatus(sale.id);
  state.busy = false;
  prompt('');
  if (status && status.recorded) return recordedAfterAll(status.recorded, sale);
  if (status && status.unknown) {
    remember(null);
    state.pending = null;
    return showResult('ko', words.notRecorded, []);
  }
  // Cannot tell (still offline): kept, and asked again before the next sale.
  return stillUnknown(sale, context);
}
/** @param {any} body @param {Sale} sale */
function recordedAfterAll(body, sale) {
  remember(null);
  state.pending = null;
  return saleDone(body, { afterAll: true, keepCart: !sameCart(sale) });
}
/** Before another sale: the uncertain one is asked about first. True when it is safe to go on. */
async function settleUncertain() {
  const { sale, context } = /** @type {SentSale} */ (state.uncertain);
  state.busy = true;
  prompt(words.checking);
  const status = await saleStatus(sale.id);
  state.busy = false;
  prompt('');
  if (status && status.unknown) {
    remember(null);
    return true;
  }
  if (status && status.recorded) recordedAfterAll(status.recorded, sale);
  else stillUnknown(sale, context);
  return false;
}

/**
 * The uncertain card sale, asked about without holding anything up (every 15 s, and when the network
 * is back): told once known, when nothing else is on the screen; else asked again next time.
 */
export async function checkUncertain() {
  if (!state.uncertain || !state.uncertain.sale || state.busy || dialogOpen() || resultShown()) return;
  const { sale, context } = state.uncertain;
  const status = await saleStatus(sale.id);
  if (!status || !state.uncertain || state.uncertain.sale.id !== sale.id || state.busy || dialogOpen() || resultShown())
    return;
  if (status.recorded) return recordedAfterAll(status.recorded, sale);
  remember(null);
  if (state.pending && state.pending.sale.id === sale.id) state.pending = null;
  showResult('ko', words.notRecorded, [format(words.uncertainAmount, { amount: euros(context.total) })]);
}
/** The bar's "card payment not confirmed": the same choice as when it happened. */
export function showUncertain() {
  if (!state.uncertain) return;
  const { sale, context } = state.uncertain;
  return showResult(
    'warn',
    words.unreachable,
    [format(words.uncertainAmount, { amount: euros(context.total) }), words.unreachableCard],
    [
      { label: words.retry, run: () => retry(sale, context) },
      { label: words.abandon, run: () => void giveUp(sale, context), quiet: true },
    ],
  );
}

// The card was short by `missing`: it pays what it has, the rest by cash, bank card or a second card.
/** @param {SaleContext} context @param {number} missing */
function offerSplit(context, missing) {
  const firstCents = context.total - missing;
  /** @type {Split} */
  const split = { total: context.total, firstUid: context.cardUid || '', firstCents, restCents: missing };
  /** @type {Action[]} */
  const actions = [];
  if (methodTaken('cash')) actions.push({ label: words.restCash, run: () => restBy('cash', split) });
  if (methodTaken('bank_card')) actions.push({ label: words.restBank, run: () => restBy('bank_card', split) });
  actions.push({
    label: words.restCard,
    run: () => {
      hideResult();
      state.split = split;
      prompt(format(words.tapSecondCard, { amount: euros(missing) }));
    },
  });
  showResult('ko', words.insufficient, [format(words.missing, { amount: euros(missing) })], actions);
}
/** @param {PaymentMethod} method @param {Split} split */
async function restBy(method, split) {
  hideResult();
  /** @type {Payment} */
  const first = { method: 'card', amountCents: split.firstCents, ...cardFields(split.firstUid) };
  /** @type {Payment} */
  let rest;
  let change = 0;
  if (method === 'cash') {
    const cash = await askCash(split.restCents);
    if (!cash) return;
    rest = { method: 'cash', amountCents: split.restCents };
    if (cash.tenderedCents !== null) {
      rest.tenderedCents = cash.tenderedCents;
      change = cash.tenderedCents - split.restCents;
    }
  } else {
    if (!(await confirmBank(split.restCents))) return;
    rest = { method: 'bank_card', amountCents: split.restCents };
  }
  const payments = split.firstCents > 0 ? [first, rest] : [rest];
  return sendSale(newSale(payments, split.firstUid), {
    total: split.total,
    cardUid: split.firstUid,
    change,
    split: true,
  });
}
/** The second card of a split. @param {string} uid */
export function payRestWithCard(uid) {
  const split = /** @type {Split} */ (state.split);
  state.split = null;
  prompt('');
  /** @type {Payment[]} */
  const payments = /** @type {Payment[]} */ ([
    { method: 'card', amountCents: split.firstCents, ...cardFields(split.firstUid) },
    { method: 'card', amountCents: split.restCents, ...cardFields(uid) },
  ]).filter((p) => p.amountCents > 0);
  return sendSale(newSale(payments, split.firstUid), { total: split.total, cardUid: uid, split: true, second: true });
}
