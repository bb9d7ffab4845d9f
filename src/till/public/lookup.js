// @ts-check
// A card tapped with an empty cart (its balances and memberships), and cancelling the last sale (a
// reversal with its own id, reused on retry).
import { codeOf, reasonOf, request } from './api.js';
import { cardFields } from './cart.js';
import { balanceLine, balanceLines, dateOf, el, euros, format, locale, newId, words } from './dom.js';
import { hideResult, openDialog, refreshBar, showResult } from './screens.js';
import { closeTill } from './session.js';
import { sessionId, state } from './state.js';
import { store } from './storage.js';

/** @typedef {import('./types.js').LastSale} LastSale */

/** @param {{ id: string, session: string } | null} reversal @returns {Promise<unknown>} */
export async function cancelLast(reversal) {
  const last = state.lastSale;
  if (!last) return showResult('ko', words.nothingToCancel, []);
  if (!reversal) {
    const ok = await openDialog(words.cancelThisTitle, whatCancelling(last), words.cancelThis, words.keepLastSale);
    if (!ok) return;
  }
  const body = reversal || { id: newId(), session: sessionId() };
  state.busy = true;
  let answer;
  try {
    answer = await request('POST', '/api/v1/till/sales/' + last.id + '/reverse', body);
  } catch {
    state.busy = false;
    const retry = () => {
      hideResult();
      void cancelLast(body);
    };
    return showResult(
      'warn',
      words.unreachable,
      [words.unreachableCard],
      [
        { label: words.retry, run: retry },
        { label: words.abandon, run: hideResult, quiet: true },
      ],
    );
  }
  state.busy = false;
  if (answer.status === 200 || answer.status === 201) {
    state.lastSale = null;
    store.set('lastSale', null);
    refreshBar();
    const balances = balanceLines(answer.body.balances);
    return showResult('ok', words.cancelled, [
      balances.length ? format(words.newBalance, { balance: balances.join(' · ') }) : '',
    ]);
  }
  if (codeOf(answer.body) === 'till-session') return closeTill(words.session);
  showResult('ko', reasonOf(answer), []);
}

/**
 * The sale the dialog would cancel — its amount, time and items — and what cancelling does: each payment
 * given back the way it was made, a top-up taken off the card, a cash-out put back on it.
 * @param {LastSale} last @returns {Node[]}
 */
function whatCancelling(last) {
  const zone = state.config && state.config.timezone;
  const time = last.at
    ? new Intl.DateTimeFormat(locale, { timeStyle: 'short', ...(zone ? { timeZone: zone } : {}) }).format(
        new Date(last.at),
      )
    : '';
  const what = time ? format(words.cancelWhatAt, { amount: euros(last.totalCents), time }) : euros(last.totalCents);
  const card = last.card || '';
  /** @type {string[]} */
  const effects = [];
  for (const p of last.payments || []) {
    if (p.method === 'card') effects.push(format(words.cancelCard, { amount: euros(p.amountCents), card }));
    else if (p.method === 'bank_card') effects.push(format(words.cancelBank, { amount: euros(p.amountCents) }));
    else if (p.amountCents > 0) effects.push(format(words.cancelCash, { amount: euros(p.amountCents) }));
    else effects.push(format(words.cancelCashBack, { amount: euros(-p.amountCents) }));
  }
  for (const i of last.items || []) {
    if (i.kind === 'top_up' || i.kind === 'gift_top_up')
      effects.push(format(words.cancelTopUp, { name: i.name, amount: euros(i.valueCents), card }));
    if (i.kind === 'cash_out') effects.push(format(words.cancelCashOut, { amount: euros(i.valueCents), card }));
  }
  if (!last.payments) effects.push(words.cancelLastExplain);
  const items = (last.items || []).map((i) => format(words.cancelItem, { quantity: i.quantity, name: i.name }));
  return [
    el('p', { class: 'till-cancel-what', text: what }),
    list(items, '', 'till-cancel-items'),
    el('h3', { text: words.cancelEffects }),
    list(effects, '', 'till-cancel-effects'),
  ];
}

/** @param {string[]} lines @param {string} empty @param {string} className */
const list = (lines, empty, className) =>
  el(
    'ul',
    { class: className },
    (lines.length ? lines : [empty]).map((x) => el('li', { text: x })),
  );

/** @param {string} uid */
export async function lookup(uid) {
  state.busy = true;
  let answer;
  try {
    answer = await request('POST', '/api/v1/till/cards/lookup', { session: sessionId(), ...cardFields(uid) });
  } catch {
    state.busy = false;
    return showResult('warn', words.unreachable, []);
  }
  state.busy = false;
  if (answer.status !== 200) {
    if (codeOf(answer.body) === 'till-session') return closeTill(words.session);
    return showResult('ko', reasonOf(answer), []);
  }
  /** @type {{ card: { number: string, status: string, linked: boolean }, balances: import('./types.js').Balance[], memberships: { product: string, endsOn: string | null }[] }} */
  const b = answer.body;
  const blocked = b.card.status === 'blocked';
  /** @type {(string|Node)[]} */
  const details = [b.card.linked ? words.linked : words.anonymous];
  if (blocked) details.unshift(words.blocked);
  // Which currencies a payment here may take, and which it may not (another venue's, not accepted here).
  const usable = b.balances.filter((x) => x.usableHere !== false);
  const elsewhere = b.balances.filter((x) => x.usableHere === false);
  if (!blocked) details.push(el('h3', { text: words.usableHere }));
  if (!blocked) details.push(list(usable.map(balanceLine), words.noBalance, 'till-balances'));
  if (elsewhere.length) {
    details.push(el('h3', { text: words.notUsableHere }));
    details.push(list(elsewhere.map(balanceLine), '', 'till-balances till-balances-elsewhere'));
  }
  const memberships = b.memberships.map((m) =>
    format(words.membershipUntil, { product: m.product, date: dateOf(m.endsOn) }),
  );
  details.push(el('h3', { text: words.memberships }));
  details.push(list(memberships, words.noMembership, 'till-memberships'));
  showResult(blocked ? 'ko' : 'info', format(words.lookupTitle, { number: b.card.number }), details);
}
