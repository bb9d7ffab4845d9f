// @ts-check
// The three ways to pay a cart: a card (the customer's wallet), cash (with change, or cash given out
// for a negative total) and the venue's own bank terminal. A cart with a top-up, cash-out or
// membership needs the customer's card first, whatever the method.
import { cardFields, cartTotal, methodTaken, needsCard, newSale } from './cart.js';
import { words } from './dom.js';
import { askCash, confirmBank, focusReader, prompt, showResult } from './screens.js';
import { sendSale } from './sale.js';
import { state } from './state.js';

/**
 * @typedef {import('./types.js').Payment} Payment
 * @typedef {import('./types.js').PaymentMethod} PaymentMethod
 */

export function payCardPressed() {
  if (!state.cart.length) return;
  if (state.attached) return payByCard(state.attached);
  state.waitingMethod = 'card';
  prompt(words.tapCard);
  focusReader();
}
/** @param {string} uid */
export function payByCard(uid) {
  if (!methodTaken('card')) return showResult('ko', words.noCardMethod, []);
  const total = cartTotal();
  if (total === 0) return sendSale(newSale([], uid), { total });
  // Money going out (a deposit returned, a cash-out) is given in cash, never onto a card here.
  if (total < 0) return showResult('ko', words.method, []);
  return sendSale(newSale([{ method: 'card', amountCents: total, ...cardFields(uid) }], uid), { total, cardUid: uid });
}
/** True when the cart needs a card not tapped yet: the method waits for it. @param {PaymentMethod} method */
function requireCard(method) {
  if (needsCard() && !state.attached) {
    state.waitingMethod = method;
    prompt(words.tapCardFor);
    focusReader();
    return true;
  }
  return false;
}

export async function payCash() {
  if (!state.cart.length || !methodTaken('cash')) return;
  if (requireCard('cash')) return;
  const total = cartTotal();
  if (total === 0) return sendSale(newSale([], state.attached), { total });
  const cash = await askCash(total);
  if (!cash) return;
  if (total < 0) {
    // Money given back (a cash-out, cups returned): no payment line, the cash given back is said.
    const back = newSale([], state.attached);
    back.cashBackCents = -total;
    return sendSale(back, { total, change: 0 });
  }
  /** @type {Payment} */
  const payment = { method: 'cash', amountCents: total };
  if (cash.tenderedCents !== null) payment.tenderedCents = cash.tenderedCents;
  return sendSale(newSale([payment], state.attached), {
    total,
    change: cash.tenderedCents === null ? 0 : cash.tenderedCents - total,
  });
}
export async function payBank() {
  if (!state.cart.length || !methodTaken('bank_card')) return;
  if (requireCard('bank_card')) return;
  const total = cartTotal();
  // Money going out is given back in cash, never through the terminal.
  if (total < 0) return showResult('ko', words.method, []);
  if (!(await confirmBank(total))) return;
  return sendSale(newSale([{ method: 'bank_card', amountCents: total }], state.attached), { total });
}
