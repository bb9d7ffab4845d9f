// @ts-check
// A card tapped with an empty cart (its balances and memberships), and cancelling the last sale (a
// reversal with its own id, reused on retry).
import { codeOf, reasonOf, request } from './api.js';
import { cardFields } from './cart.js';
import { balanceLines, dateOf, el, euros, format, newId, words } from './dom.js';
import { hideResult, openDialog, refreshBar, showResult } from './screens.js';
import { closeTill } from './session.js';
import { sessionId, state } from './state.js';
import { store } from './storage.js';

/** @param {{ id: string, session: string } | null} reversal @returns {Promise<unknown>} */
export async function cancelLast(reversal) {
  const last = state.lastSale;
  if (!last) return showResult('ko', words.nothingToCancel, []);
  if (!reversal) {
    const ok = await openDialog(
      format(words.cancelLastConfirm, { amount: euros(last.totalCents) }),
      [words.cancelLastExplain],
      words.cancelLast,
      words.keepLastSale,
    );
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
  details.push(list(balanceLines(b.balances), words.noBalance, 'till-balances'));
  const memberships = b.memberships.map((m) =>
    format(words.membershipUntil, { product: m.product, date: dateOf(m.endsOn) }),
  );
  details.push(el('h3', { text: words.memberships }));
  details.push(list(memberships, words.noMembership, 'till-memberships'));
  showResult(blocked ? 'ko' : 'info', format(words.lookupTitle, { number: b.card.number }), details);
}
