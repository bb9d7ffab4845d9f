// @ts-check
// The waiting sales: cash and bank-card sales without a card, made while the server was unreachable,
// kept in IndexedDB with their id and time of sale, and sent later in order. The server's acceptance
// removes one; a refusal never does (the cash is in the drawer): it is kept, shown, sent again on request.
/* global window */
import { codeOf, reasonOf, request } from './api.js';
import { $, dateOf, el, euros, format, locale, words } from './dom.js';
import { hideResult, refreshBar, resultShown, showResult } from './screens.js';
import { keepLastSale, sessionId, sessionValid, state } from './state.js';
import { queueAdd, queueAll, queueDelete, queuePut } from './storage.js';

/**
 * @typedef {import('./types.js').Sale} Sale
 * @typedef {import('./types.js').SaleContext} SaleContext
 * @typedef {import('./types.js').QueueEntry} QueueEntry
 * @typedef {import('./types.js').Answer} Answer
 */

/**
 * A sale without card that may wait for the network: only cash and the venue's own bank terminal.
 * @param {Sale} sale
 */
export function queueable(sale) {
  return (
    !sale.cardUid &&
    !sale.cardNumber &&
    !sale.cardToken &&
    sale.payments.every((p) => p.method === 'cash' || p.method === 'bank_card')
  );
}
/**
 * Queued with its time of sale (signed with the body when sent): the server books it on the
 * business day it was made, or, that day closed since, on the next one marked late.
 * @param {Sale} sale @param {SaleContext} context @param {string} soldAt
 */
export async function enqueue(sale, context, soldAt) {
  await queueAdd({ sale: Object.assign({}, sale, { soldAt }), context, at: soldAt });
  await refreshQueue();
}

export async function refreshQueue() {
  try {
    const all = await queueAll();
    state.queueSize = all.filter((e) => !e.refused).length;
    state.refusedSize = all.length - state.queueSize;
  } catch {
    state.queueSize = 0;
    state.refusedSize = 0;
  }
  refreshBar();
}
/** @type {Promise<void> | null} */
let flushing = null;
/** Sends the waiting sales (one run at a time). */
export function flush() {
  if (!flushing) {
    flushing = flushQueue().finally(() => {
      flushing = null;
      return refreshQueue();
    });
  }
  return flushing;
}
/**
 * Sends one waiting sale; after a session refused, again with the current session (same id, so
 * still once). Null when the server is still unreachable.
 * @param {QueueEntry} entry @returns {Promise<Answer | null>}
 */
async function send(entry) {
  const post = () => request('POST', '/api/v1/till/sales', entry.sale, { timeout: 15000 }).catch(() => null);
  const answer = await post();
  if (!answer || codeOf(answer.body) !== 'till-session' || !sessionValid() || entry.sale.session === sessionId())
    return answer;
  // Opened again since: the sale goes with the current session.
  entry.sale.session = sessionId();
  await queuePut(entry);
  return post();
}
async function flushQueue() {
  if (!state.device) return;
  const entries = (await queueAll()).filter((e) => !e.refused).sort((a, b) => a.seq - b.seq);
  let late = null;
  for (const entry of entries) {
    const answer = await send(entry);
    if (!answer) return; // Still unreachable: the rest waits, in order.
    const code = codeOf(answer.body);
    if (answer.status === 200 || answer.status === 201 || code === 'till-sale-conflict') {
      // 409: this id is on the server already (the first try got through with another session).
      await queueDelete(entry.seq);
      if (answer.body && answer.body.sale && answer.body.sale.id) {
        keepLastSale(answer.body);
        if (answer.body.sale.lateFromDay) late = answer.body.sale;
      }
    } else if (code === 'till-session' || code === 'ledger-device-signature') {
      return; // Waits for a staff card (or a fixed clock); nothing is lost.
    } else {
      // Refused: the cash is in the drawer, so the sale stays on this till, marked and shown, until
      // the server takes it. The sales queued after it go on.
      entry.refused = { code: code || String(answer.status), detail: reasonOf(answer) };
      await queuePut(entry);
      showResult(
        'ko',
        format(words.queueRefused, { detail: entry.refused.detail }),
        [euros((entry.context && entry.context.total) || 0), words.refusedKept],
        [{ label: words.showNotRecorded, run: () => void showRefused() }],
      );
    }
    await refreshQueue();
  }
  if (late && !resultShown())
    showResult('info', format(words.lateBooked, { day: dateOf(late.businessDay), sold: dateOf(late.lateFromDay) }), []);
}
/** The sales the server refused: when each was made, its total, why; sent again on request. */
async function showRefused() {
  const refused = (await queueAll()).filter((e) => e.refused).sort((a, b) => a.seq - b.seq);
  if (refused.length === 0) return hideResult();
  const when = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' });
  const line = (/** @type {QueueEntry} */ e) =>
    el('li', {
      text: format(words.refusedLine, {
        when: when.format(new Date(e.sale.soldAt || e.at || Date.now())),
        amount: euros((e.context && e.context.total) || 0),
        reason: e.refused ? e.refused.detail : '',
      }),
    });
  const retry = async () => {
    for (const e of refused) {
      delete e.refused;
      await queuePut(e);
    }
    hideResult();
    await refreshQueue();
    void flush();
  };
  showResult(
    'ko',
    words.refusedTitle,
    [el('ul', { class: 'till-refused-list' }, refused.map(line)), words.refusedKept],
    [{ label: words.retry, run: retry }],
  );
}

/** The listeners of the queue's buttons and of the network coming back (main.js calls it once). */
export function wireQueue() {
  $('till-refused').addEventListener('click', () => {
    void showRefused();
  });
  $('till-queue').addEventListener('click', () => {
    void flush();
  });
  window.addEventListener('online', () => {
    refreshBar();
    void flush();
  });
  window.addEventListener('offline', refreshBar);
}
