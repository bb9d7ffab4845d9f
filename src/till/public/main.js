// @ts-check
// The till (src/till/tillPage.ts serves it; docs/TILL.md is the contract, and its "Client" section the
// map of these modules). Plain JavaScript ES modules, no build, type-checked from their JSDoc
// (tsconfig.browser.json); the rules the till shares with the server come from one module,
// ./tillRules.js (src/shared/tillRules.js). This module wires the page: the card reader, the buttons,
// the start.
/* global window, document, navigator */
import { messageOf } from './api.js';
import { cardRefOf, choosePoint, clearCart, needsCard, renderCart } from './cart.js';
import { wireCamera } from './camera.js';
import { $, $button, $input, format, words } from './dom.js';
import { cancelLast, lookup } from './lookup.js';
import { payBank, payByCard, payCardPressed, payCash } from './pay.js';
import { flush, refreshQueue, wireQueue } from './queue.js';
import { checkUncertain, payRestWithCard, showUncertain } from './sale.js';
import {
  currentScreen,
  dialogOpen,
  hideResult,
  refreshBar,
  resultShown,
  showResult,
  showScreen,
  wireScreens,
} from './screens.js';
import { loadConfig, openTill, showOpen, showPairing, wireSession } from './session.js';
import { sessionValid, state } from './state.js';
import { getDevice } from './storage.js';
import { normaliseUid } from './tillRules.js';

/**
 * A card was read: what it means depends on the screen and the cart.
 * @param {unknown} raw
 */
async function cardRead(raw) {
  if (state.busy || dialogOpen()) return;
  // A UID (NFC, wedge), the printed number typed, or the QR code's address: a card reference (cart.js `cardFields`).
  const uid = cardRefOf(raw);
  if (resultShown()) hideResult();
  if (!uid) {
    if (String(raw || '').trim()) showResult('ko', words.invalidUid, [String(raw).trim().slice(0, 40)]);
    return;
  }
  const screen = currentScreen();
  // The staff card that opens a till is read by its UID only.
  if (screen === 'open') {
    const staff = normaliseUid(raw);
    return staff ? openTill(staff) : showResult('ko', words.invalidUid, []);
  }
  if (screen !== 'sale') return;
  if (state.split) return payRestWithCard(uid);
  if (state.cart.length === 0) return lookup(uid);
  if (needsCard() && !state.attached) {
    state.attached = uid;
    renderCart();
    const method = state.waitingMethod;
    state.waitingMethod = null;
    if (method === 'cash') return payCash();
    if (method === 'bank_card') return payBank();
    if (method === 'card') return payByCard(uid);
    return;
  }
  return payByCard(uid);
}

/** A keyboard-wedge reader types the UID and Enter into the reader field; a person may type it too. */
function wireReader() {
  $('till-card-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const wedge = $input('till-wedge');
    const typed = $input('till-card-typed');
    const raw = document.activeElement === typed ? typed.value : wedge.value || typed.value;
    wedge.value = '';
    typed.value = '';
    if (document.activeElement === typed) typed.blur();
    void cardRead(raw);
  });
}
/** Web NFC, where the browser has it: a button starts it (the browser asks the cashier first). */
function startNfc() {
  if (!('NDEFReader' in window)) return;
  const button = $button('till-nfc');
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      const reader = new /** @type {any} */ (window).NDEFReader();
      await reader.scan();
      reader.addEventListener('reading', (/** @type {any} */ event) => {
        void cardRead(event.serialNumber);
      });
      button.textContent = words.nfcOn;
      button.disabled = true;
    } catch {
      button.textContent = words.nfcFailed;
    }
  });
}

function wireButtons() {
  $('till-pay-card').addEventListener('click', payCardPressed);
  $('till-pay-cash').addEventListener('click', () => {
    void payCash();
  });
  $('till-pay-bank').addEventListener('click', () => {
    void payBank();
  });
  $('till-clear').addEventListener('click', clearCart);
  $('till-cancel-last').addEventListener('click', () => {
    void cancelLast(null);
  });
  $('till-uncertain').addEventListener('click', () => {
    void showUncertain();
  });
  window.addEventListener('online', () => {
    void checkUncertain();
  });
}

async function start() {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/till/sw.js', { scope: '/till' }).catch(() => null);
  }
  startNfc();
  refreshBar();
  try {
    state.device = (await getDevice()) || null;
  } catch {
    state.device = null;
  }
  if (!state.device) return showPairing();
  // A door phone paired as a scanner never opens a till.
  if (state.device.kind === 'scanner') return window.location.replace('/door');
  await refreshQueue();
  if (!sessionValid()) return showOpen();
  await loadConfig();
  choosePoint();
  if (state.queueSize) void flush();
}

wireScreens();
wireReader();
wireSession();
wireQueue();
wireButtons();
wireCamera((raw) => cardRead(raw));
// Every 15 s: the waiting sales are sent, or, offline with none, the server is tried again; an uncertain
// card sale is asked about.
setInterval(() => {
  if (!state.device) return;
  if (state.uncertain) void checkUncertain();
  if (state.queueSize > 0) void flush();
  else if (state.offline) void loadConfig();
}, 15000);
start().catch((err) => {
  showScreen('pair');
  $('till-pair-message').textContent = format(words.error, { detail: messageOf(err) });
});
