// The till (src/till/tillPage.ts serves it; docs/TILL.md is the contract). An ES module in plain
// JavaScript, no build, type-checked from its JSDoc (tsconfig.browser.json); the rules it shares with
// the server come from one module, ./tillRules.js (src/shared/tillRules.js).
// A paired device keeps an Ed25519 key in IndexedDB (the private half cannot be read back) and signs
// every request with it (./tillSigning.js; docs/LEDGER.md, "Device signatures").
// A sale carries an id made here when the cashier pays, reused for every retry until a definite answer,
// so a retry never charges twice. Without the server the till says so at once and never shows green;
// cash and bank-card sales without a card are kept in IndexedDB and sent later, in order, with their ids.
/* global window, document, navigator, localStorage, indexedDB, fetch, crypto, AbortController, Event, confirm */
// @ts-check
import { CARD_KINDS, MAX_QUANTITY, NEGATIVE_KINDS, lineAmountCents, normaliseUid, parseEuros } from './tillRules.js';
import { base64, requestTarget, signedHeaders } from './tillSigning.js';

/**
 * @typedef {import('./tillRules.js').ArticleKind} ArticleKind
 * @typedef {'card'|'cash'|'bank_card'} PaymentMethod
 * @typedef {{ id: string, name: string, kind: ArticleKind, priceCents: number|null, colour: string, category: string }} Article
 * @typedef {{ id: string, name: string, paymentMethods: PaymentMethod[], articles: Article[] }} Point
 * @typedef {{ points: Point[] }} TillConfig
 * @typedef {{ key: string, article: Article, quantity: number, amountCents?: number }} Line
 * @typedef {{ privateKey: CryptoKey, publicKey: CryptoKey, placeId: string, deviceId: string, name: string, place: { name?: string } | null }} Device
 * @typedef {{ session: string, cashier: { name?: string }, expiresAt?: string }} Session
 * @typedef {{ method: PaymentMethod, amountCents: number, tenderedCents?: number, cardUid?: string }} Payment
 * @typedef {{ articleId: string, quantity: number, amountCents?: number }} Item
 * @typedef {{ id: string, session: string, pointId: string, items: Item[], payments: Payment[], cardUid?: string, cashBackCents?: number, soldAt?: string }} Sale
 * @typedef {{ total: number, cardUid?: string, change?: number, split?: boolean, second?: boolean }} SaleContext
 * @typedef {{ total: number, firstUid: string, firstCents: number, restCents: number }} Split
 * @typedef {{ seq: number, sale: Sale, context: SaleContext, at?: string, refused?: { code: string, detail: string } }} QueueEntry
 * @typedef {{ status: number, body: any }} Answer  the server's JSON (docs/TILL.md), read field by field
 * @typedef {{ label: string, run: () => unknown, quiet?: boolean }} Action
 */
(function () {
  'use strict';
  /** The page's element of that id (the page has them all: tillPage.ts). @param {string} id @returns {HTMLElement} */
  const $ = (id) => {
    const node = document.getElementById(id);
    if (!node) throw new Error('#' + id + ' is missing');
    return node;
  };
  /** @param {string} id */
  const $input = (id) => /** @type {HTMLInputElement} */ ($(id));
  /** @param {string} id */
  const $button = (id) => /** @type {HTMLButtonElement} */ ($(id));
  /** @type {{ words: Record<string, string>, locale: string, lang: string, currency?: string, decimalSeparator: string }} */
  const config = JSON.parse($('till-data').textContent || '{}');
  const words = config.words;
  const locale = config.locale;
  const plural = new Intl.PluralRules(config.lang);
  const TIMEOUT_MS = 5000;

  // --- small helpers ---
  /** @param {string} template @param {Record<string, unknown>} [params] */
  function format(template, params) {
    return String(template).replace(/\{(\w+)\}/g, (m, name) => (params && name in params ? String(params[name]) : m));
  }
  const money = new Intl.NumberFormat(locale, { style: 'currency', currency: config.currency || 'EUR' });
  /** @param {number} cents */
  function euros(cents) {
    return money.format(cents / 100);
  }
  /** @param {number} amount @param {number} [decimals] @param {string} [code] */
  function tokens(amount, decimals, code) {
    const d = typeof decimals === 'number' ? decimals : 2;
    const n = new Intl.NumberFormat(locale, { minimumFractionDigits: d, maximumFractionDigits: d }).format(
      amount / Math.pow(10, d),
    );
    return code ? n + ' ' + code : n;
  }
  function newId() {
    return crypto.randomUUID();
  }
  /** @param {string} background */
  function textColourOn(background) {
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
  function el(tag, attrs, children) {
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

  // --- storage: the device key and the waiting sales in IndexedDB, the rest in localStorage ---
  /** @type {Promise<IDBDatabase> | null} */
  let dbPromise = null;
  function idb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const open = indexedDB.open('rezo-till', 1);
        open.onupgradeneeded = () => {
          open.result.createObjectStore('device');
          open.result.createObjectStore('queue', { keyPath: 'seq', autoIncrement: true });
        };
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
    }
    return dbPromise;
  }
  /**
   * @param {'device'|'queue'} store
   * @param {IDBTransactionMode} mode
   * @param {(store: IDBObjectStore) => IDBRequest} action
   * @returns {Promise<any>}
   */
  function idbRun(store, mode, action) {
    return idb().then(
      (db) =>
        new Promise((resolve, reject) => {
          const tx = db.transaction(store, mode);
          const request = action(tx.objectStore(store));
          tx.oncomplete = () => resolve(request ? request.result : undefined);
          tx.onerror = () => reject(tx.error);
          tx.onabort = () => reject(tx.error);
        }),
    );
  }
  const getDevice = () => idbRun('device', 'readonly', (s) => s.get('current'));
  const putDevice = (/** @type {Device} */ d) => idbRun('device', 'readwrite', (s) => s.put(d, 'current'));
  const deleteDevice = () => idbRun('device', 'readwrite', (s) => s.delete('current'));
  /** @type {() => Promise<QueueEntry[]>} */
  const queueAll = () => idbRun('queue', 'readonly', (s) => s.getAll());
  const queueAdd = (/** @type {Omit<QueueEntry, 'seq'>} */ entry) => idbRun('queue', 'readwrite', (s) => s.add(entry));
  const queueDelete = (/** @type {number} */ seq) => idbRun('queue', 'readwrite', (s) => s.delete(seq));
  const queuePut = (/** @type {QueueEntry} */ entry) => idbRun('queue', 'readwrite', (s) => s.put(entry));

  const store = {
    /** @param {string} key @returns {any} */
    get(key) {
      try {
        return JSON.parse(localStorage.getItem('rezo-till:' + key) || 'null');
      } catch {
        return null;
      }
    },
    /** @param {string} key @param {unknown} value */
    set(key, value) {
      try {
        if (value === null || value === undefined) localStorage.removeItem('rezo-till:' + key);
        else localStorage.setItem('rezo-till:' + key, JSON.stringify(value));
      } catch {
        // A full storage must not stop the bar.
      }
    },
  };

  // --- state ---
  /**
   * @type {{
   *   device: Device | null,
   *   session: Session | null,
   *   config: TillConfig | null,
   *   pointId: string | null,
   *   lastSale: { id: string, totalCents: number } | null,
   *   cart: Line[],
   *   attached: string | null,
   *   waitingMethod: PaymentMethod | null,
   *   pending: { sale: Sale, context: SaleContext } | null,
   *   split: Split | null,
   *   uncertain: { sale: Sale, context: SaleContext } | null,
   *   offline: boolean,
   *   queueSize: number,
   *   refusedSize: number,
   *   busy: boolean,
   *   clockOffset: number,
   * }}
   */
  const state = {
    device: null,
    session: store.get('session'),
    config: store.get('config'),
    pointId: store.get('point'),
    lastSale: store.get('lastSale'),
    cart: [],
    attached: null, // the card UID a top-up, cash-out or membership is for
    waitingMethod: null, // the method chosen before the card was tapped
    pending: null, // a sale sent without a definite answer (retry with the same id)
    split: null, // waiting for a second card
    // A card sale sent without the server's answer: before giving up or the next sale, the till asks
    // GET /api/v1/till/sales/{id} whether it was recorded (kept across reloads).
    uncertain: store.get('uncertain'),
    offline: false,
    queueSize: 0,
    refusedSize: 0, // queued sales the server refused: kept, shown, sent again only when asked
    busy: false,
    clockOffset: 0,
  };

  // --- the server: signed JSON requests ---
  class Unreachable extends Error {}
  /** @param {unknown} err */
  const messageOf = (err) => (err instanceof Error ? err.message : String(err));

  /**
   * Sends one request; resolves { status, body } for any answer below 500, throws Unreachable on a
   * network error, a timeout or a server error (the sale may or may not have happened: only a retry
   * with the same id can tell).
   * @param {'GET'|'POST'} method
   * @param {string} path
   * @param {unknown} [payload]
   * @param {{ unsigned?: boolean, timeout?: number }} [options]
   * @returns {Promise<Answer>}
   */
  async function request(method, path, payload, options) {
    const opts = options || {};
    const body = payload === undefined ? '' : JSON.stringify(payload);
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json', 'accept-language': config.lang };
    if (body) headers['content-type'] = 'application/json';
    // What is signed is what is fetched: the same target string, so the server reads the same bytes.
    const target = requestTarget(path, window.location.origin);
    if (!opts.unsigned)
      Object.assign(
        headers,
        await signedHeaders(/** @type {Device} */ (state.device), method, target, body, Date.now() + state.clockOffset),
      );
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), opts.timeout || TIMEOUT_MS);
    let response;
    try {
      // No cookies: the device's signature is its only credential.
      response = await fetch(target, {
        method,
        headers,
        body: body || undefined,
        credentials: 'omit',
        cache: 'no-store',
        signal: controller.signal,
      });
    } catch {
      clearTimeout(timer);
      setOffline(true);
      throw new Unreachable('network');
    }
    let answer = null;
    try {
      const text = await response.text();
      answer = text ? JSON.parse(text) : null;
    } catch {
      answer = null;
    } finally {
      clearTimeout(timer);
    }
    if (response.status >= 500) {
      setOffline(true);
      throw new Unreachable('server ' + response.status);
    }
    // The device's clock may be wrong: the server's Date header tells by how much (5 minutes are allowed).
    const date = Date.parse(response.headers.get('date') || '');
    if (!Number.isNaN(date) && Math.abs(date - Date.now()) > 60000) state.clockOffset = date - Date.now();
    setOffline(false);
    return { status: response.status, body: answer || {} };
  }

  /**
   * The problem's code ("till-insufficient-funds"): the last segment of its type URL (RFC 9457).
   * @param {any} body
   * @returns {string}
   */
  function codeOf(body) {
    if (!body) return '';
    const m = /([a-z0-9-]+)\/?$/.exec(String(body.type || ''));
    return m ? m[1] : '';
  }
  /** @type {Record<string, string>} */
  const reasons = {
    'card-blocked': 'blocked',
    'till-card-blocked': 'blocked',
    'card-unknown': 'unknownCard',
    'till-card-unknown': 'unknownCard',
    'till-currency-not-accepted': 'currency',
    'till-payment-method': 'method',
    'till-unbalanced': 'unbalanced',
    'till-sale-conflict': 'conflict',
    'till-session': 'session',
    'till-not-staff': 'notStaff',
    'ledger-device-signature': 'signature',
    'till-insufficient-funds': 'insufficient',
  };
  /** @param {Answer} answer @returns {string} */
  function reasonOf(answer) {
    const code = codeOf(answer.body);
    if (reasons[code]) return words[reasons[code]];
    return (answer.body && (answer.body.title || answer.body.detail)) || format(words.error, { detail: answer.status });
  }

  // --- the screens ---
  const screens = ['loading', 'pair', 'open', 'points', 'sale'];
  /** @param {string} name */
  function showScreen(name) {
    screens.forEach((s) => {
      $('till-' + s).hidden = s !== name;
    });
    $('till').setAttribute('data-screen', name);
    $('till-card-form').hidden = !(name === 'open' || name === 'sale');
    focusReader();
  }
  function currentScreen() {
    return $('till').getAttribute('data-screen');
  }

  /** @param {boolean} offline */
  function setOffline(offline) {
    if (state.offline === offline) return;
    state.offline = offline;
    refreshBar();
  }
  function refreshBar() {
    const net = $('till-net');
    const offline = state.offline || navigator.onLine === false;
    net.textContent = offline ? words.offline : words.online;
    net.className = 'till-net' + (offline ? ' off' : '');
    const queue = $('till-queue');
    queue.hidden = state.queueSize === 0;
    queue.textContent = format(words['queued.' + plural.select(state.queueSize)] || words['queued.other'], {
      count: state.queueSize,
    });
    const refused = $('till-refused');
    refused.hidden = state.refusedSize === 0;
    refused.textContent = format(
      words['refusedCount.' + plural.select(state.refusedSize)] || words['refusedCount.other'],
      {
        count: state.refusedSize,
      },
    );
    $button('till-cancel-last').disabled = !state.lastSale;
  }

  // The full-screen answer: green, red, orange (unreachable) or neutral (a card's balances).
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let resultTimer;
  /**
   * @param {'ok'|'ko'|'warn'|'info'} kind
   * @param {string} big
   * @param {(string|Node|null|undefined|false)[]} [details]
   * @param {Action[]} [actions]
   */
  function showResult(kind, big, details, actions) {
    const box = $('till-result');
    clearTimeout(resultTimer);
    box.className = 'till-result ' + kind;
    /** @type {HTMLElement} */ (box.querySelector('.till-result-big')).textContent = big;
    const detail = /** @type {HTMLElement} */ (box.querySelector('.till-result-detail'));
    detail.replaceChildren(
      ...(details || []).flatMap((d) => (!d ? [] : [typeof d === 'string' ? el('p', { text: d }) : d])),
    );
    const bar = /** @type {HTMLElement} */ (box.querySelector('.till-result-actions'));
    const all = (actions || []).concat([{ label: words.close, run: hideResult, quiet: true }]);
    bar.replaceChildren(
      ...all.map((a) =>
        el('button', {
          type: 'button',
          class: a.quiet ? 'till-quiet' : 'till-primary',
          text: a.label,
          on: {
            click: (/** @type {Event} */ e) => {
              e.stopPropagation();
              a.run();
            },
          },
        }),
      ),
    );
    box.hidden = false;
    box.setAttribute('data-kind', kind);
    if (kind !== 'ok' && navigator.vibrate) navigator.vibrate([200, 100, 200]);
    // Green goes away by itself: the next customer is waiting. Red and orange stay until touched.
    if (kind === 'ok') resultTimer = setTimeout(hideResult, 5000);
    focusReader();
  }
  function hideResult() {
    clearTimeout(resultTimer);
    $('till-result').hidden = true;
    focusReader();
  }
  function resultShown() {
    return !$('till-result').hidden;
  }

  // A dialog: a title, some fields, Confirm / Cancel. Resolves the form's values, or null on Cancel.
  /** @type {((values: Record<string, string> | null) => void) | null} */
  let dialogDone = null;
  /**
   * @param {string} title
   * @param {(Node|string)[]} body
   * @param {string} [okLabel]
   * @param {() => void} [onInput]
   * @returns {Promise<Record<string, string> | null>}
   */
  function openDialog(title, body, okLabel, onInput) {
    $('till-dialog-title').textContent = title;
    $('till-dialog-body').replaceChildren(...body);
    $('till-dialog-ok').textContent = okLabel || words.confirm;
    $('till-dialog').hidden = false;
    const first = $('till-dialog-body').querySelector('input');
    if (first) first.focus();
    else $('till-dialog-ok').focus();
    if (onInput) onInput();
    return new Promise((resolve) => {
      dialogDone = resolve;
    });
  }
  /** @param {Record<string, string> | null} value */
  function closeDialog(value) {
    $('till-dialog').hidden = true;
    const done = dialogDone;
    dialogDone = null;
    if (done) done(value);
    focusReader();
  }
  function dialogOpen() {
    return !$('till-dialog').hidden;
  }
  $('till-dialog-form').addEventListener('submit', (e) => {
    e.preventDefault();
    /** @type {Record<string, string>} */
    const values = {};
    $('till-dialog-body')
      .querySelectorAll('input')
      .forEach((i) => {
        values[i.name] = i.value;
      });
    closeDialog(values);
  });
  $('till-dialog-cancel').addEventListener('click', () => closeDialog(null));
  $('till-dialog').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeDialog(null);
  });

  /**
   * An amount field with a keypad (digits, comma, erase) for touch screens without a keyboard.
   * @param {string} name @param {string} label @param {string} initial @param {() => void} [onChange]
   */
  function amountField(name, label, initial, onChange) {
    const input = /** @type {HTMLInputElement} */ (
      el('input', {
        id: 'till-amount-' + name,
        name,
        inputmode: 'decimal',
        autocomplete: 'off',
        value: initial || '',
        required: true,
        maxlength: '10',
      })
    );
    const keys = ['7', '8', '9', '4', '5', '6', '1', '2', '3', ',', '0', '⌫'].map((k) =>
      el('button', {
        type: 'button',
        class: 'till-key',
        text: k,
        'aria-label': k === '⌫' ? words.clear : undefined,
        on: {
          click: () => {
            input.value = k === '⌫' ? input.value.slice(0, -1) : input.value + k;
            input.dispatchEvent(new Event('input'));
          },
        },
      }),
    );
    if (onChange) input.addEventListener('input', onChange);
    return [el('label', { for: input.id, text: label }), input, el('div', { class: 'till-keypad' }, keys)];
  }

  // --- the card reader: a keyboard wedge typing hex + Enter into a focused field, or Web NFC ---
  function focusReader() {
    if (dialogOpen()) return;
    const active = document.activeElement;
    if (
      active &&
      active !== document.body &&
      active.id !== 'till-wedge' &&
      (active.tagName === 'INPUT' || active.tagName === 'TEXTAREA')
    )
      return;
    const wedge = $('till-wedge');
    if (!$('till-card-form').hidden) wedge.focus({ preventScroll: true });
  }
  function readerStatus() {
    const on = document.activeElement === $('till-wedge');
    $('till-reader').textContent = on ? '' : words.readerOff;
    $('till-reader').className = 'till-reader' + (on ? '' : ' off');
  }
  $('till-wedge').addEventListener('focus', readerStatus);
  $('till-wedge').addEventListener('blur', () => {
    readerStatus();
    // Back to the reader as soon as nothing else wants the keyboard.
    setTimeout(focusReader, 50);
  });
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
  document.addEventListener('click', () => setTimeout(focusReader, 0));

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

  /**
   * A card was read: what it means depends on the screen and the cart.
   * @param {unknown} raw
   */
  async function cardRead(raw) {
    if (state.busy || dialogOpen()) return;
    const uid = normaliseUid(raw);
    if (resultShown()) hideResult();
    if (!uid) {
      if (String(raw || '').trim()) showResult('ko', words.invalidUid, [String(raw).trim().slice(0, 40)]);
      return;
    }
    const screen = currentScreen();
    if (screen === 'open') return openTill(uid);
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

  // --- pairing ---
  async function canSign() {
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) return words.insecure;
    try {
      await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
      return '';
    } catch {
      return words.noEd25519;
    }
  }
  /** The venue admin's QR code opens /till#pair=CODE: the fragment never reaches a server or its logs. */
  function codeFromLink() {
    const fromLink = /(?:^#|&)pair=([A-Za-z0-9-]{4,64})/.exec(window.location.hash);
    if (fromLink) $input('till-pair-code').value = fromLink[1];
    return !!fromLink;
  }
  window.addEventListener('hashchange', () => {
    if (currentScreen() === 'pair' && codeFromLink()) pairButton().focus();
  });
  const pairButton = () => /** @type {HTMLButtonElement} */ ($('till-pair-form').querySelector('button'));
  async function showPairing() {
    showScreen('pair');
    const problem = await canSign();
    const form = $('till-pair-form');
    if (problem) {
      $('till-pair-message').textContent = problem;
      form.querySelectorAll('input, button').forEach((/** @type {any} */ x) => {
        x.disabled = true;
      });
      document.documentElement.setAttribute('data-till', 'unsupported');
      return;
    }
    document.documentElement.setAttribute('data-till', 'pairing');
    const code = $input('till-pair-code');
    codeFromLink();
    if (code.value) pairButton().focus();
    else code.focus();
  }
  $('till-pair-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const code = $input('till-pair-code').value.replace(/\s/g, '');
    if (!code || state.busy) return;
    state.busy = true;
    const message = $('till-pair-message');
    message.textContent = words.pairing;
    try {
      // The private key cannot be exported: it stays in this browser's IndexedDB.
      const keys = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
      const publicKey = base64(await crypto.subtle.exportKey('spki', keys.publicKey));
      const answer = await request('POST', '/api/v1/devices/pair', { code, publicKey }, { unsigned: true });
      if (answer.status !== 201 && answer.status !== 200) {
        message.textContent = answer.status === 404 ? words.pairFailed : reasonOf(answer);
        return;
      }
      const b = answer.body;
      state.device = {
        privateKey: keys.privateKey,
        publicKey: keys.publicKey,
        placeId: b.placeId,
        deviceId: b.deviceId,
        name: b.name || '',
        place: b.place || null,
      };
      await putDevice(state.device);
      message.textContent = format(words.paired, { name: b.name || '' });
      // The code has done its work: it must not stay in the address bar or the history.
      if (window.history && (window.location.search || window.location.hash))
        window.history.replaceState(null, '', '/till');
      state.busy = false;
      await showOpen();
    } catch (err) {
      message.textContent =
        err instanceof Unreachable ? words.unreachable : format(words.error, { detail: messageOf(err) });
    } finally {
      state.busy = false;
    }
  });

  // --- opening with a staff card ---
  /** @param {string} [message] */
  async function showOpen(message) {
    const d = /** @type {Device} */ (state.device);
    $('till-open-place').textContent = [d.place && d.place.name, d.name].filter(Boolean).join(' · ');
    $('till-open-message').textContent = message || '';
    showScreen('open');
    document.documentElement.setAttribute('data-till', 'open');
    void loadConfig();
  }
  /** @param {string} uid */
  async function openTill(uid) {
    state.busy = true;
    $('till-open-message').textContent = words.opening;
    try {
      const answer = await request('POST', '/api/v1/till/open', { cardUid: uid });
      if (answer.status !== 201 && answer.status !== 200) {
        $('till-open-message').textContent = reasonOf(answer);
        showResult('ko', reasonOf(answer), []);
        return;
      }
      state.session = {
        session: answer.body.session,
        cashier: answer.body.cashier || {},
        expiresAt: answer.body.expiresAt,
      };
      store.set('session', state.session);
      $('till-open-message').textContent = '';
      state.busy = false;
      await loadConfig();
      choosePoint();
      if (state.queueSize) void flush();
    } catch (err) {
      $('till-open-message').textContent =
        err instanceof Unreachable ? words.unreachable : format(words.error, { detail: messageOf(err) });
      if (err instanceof Unreachable) showResult('warn', words.unreachable, [words.offlineStart]);
    } finally {
      state.busy = false;
    }
  }
  /** The open session's token (a sale is made only while one is open). */
  const sessionId = () => /** @type {Session} */ (state.session).session;
  function sessionValid() {
    const s = state.session;
    return !!(s && s.session && (!s.expiresAt || Date.parse(s.expiresAt) > Date.now() + state.clockOffset));
  }
  /** @param {string} message */
  function closeTill(message) {
    state.session = null;
    store.set('session', null);
    state.split = null;
    state.pending = null;
    void showOpen(message);
  }

  /**
   * The venue's points and articles, as GET /api/v1/till/config gives them (src/till/posConfig.ts,
   * TillConfig); the last copy serves offline. An article takes its category's colour when it has one.
   * @param {any} raw
   * @returns {TillConfig}
   */
  function normaliseConfig(raw) {
    return {
      points: (raw.points || []).map((/** @type {any} */ p) => ({
        id: p.id,
        name: p.name,
        paymentMethods: p.paymentMethods || ['card', 'cash', 'bank_card'],
        articles: (p.articles || []).map((/** @type {any} */ a) => ({
          id: a.id,
          name: a.name,
          kind: a.kind || 'sale',
          priceCents: typeof a.priceCents === 'number' ? a.priceCents : null,
          colour: (a.category && a.category.colour) || a.colour || '#37474f',
          category: (a.category && a.category.name) || '',
        })),
      })),
    };
  }
  async function loadConfig() {
    try {
      const answer = await request('GET', '/api/v1/till/config');
      if (answer.status === 200) {
        state.config = normaliseConfig(answer.body);
        store.set('config', state.config);
      }
    } catch {
      // Offline: the last copy will do.
    }
    return state.config;
  }

  /** @returns {unknown} */
  function choosePoint() {
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
  function point() {
    return ((state.config && state.config.points) || []).filter((p) => p.id === state.pointId)[0] || null;
  }

  // --- the cart ---
  // A line's euros and which articles need a card: the server's own rules (tillRules.js).
  /** @param {Line} line */
  function lineAmount(line) {
    const unit = line.article.priceCents === null ? line.amountCents || 0 : line.article.priceCents;
    return lineAmountCents(line.article.kind, unit, line.quantity);
  }
  function cartTotal() {
    return state.cart.reduce((sum, line) => sum + lineAmount(line), 0);
  }
  function needsCard() {
    return state.cart.some((line) => CARD_KINDS.includes(line.article.kind));
  }

  /** @returns {unknown} */
  function showSale() {
    const p = point();
    if (!p) return choosePoint();
    $('till-point-name').textContent = p.name;
    $('till-cashier').textContent =
      state.session && state.session.cashier && state.session.cashier.name
        ? format(words.cashier, { name: state.session.cashier.name })
        : '';
    const grid = $('till-articles');
    grid.replaceChildren(
      ...p.articles.map((a) => {
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
      }),
    );
    const methods = p.paymentMethods;
    $('till-pay-card').hidden = methods.indexOf('card') < 0;
    $('till-pay-cash').hidden = methods.indexOf('cash') < 0;
    $('till-pay-bank').hidden = methods.indexOf('bank_card') < 0;
    showScreen('sale');
    document.documentElement.setAttribute('data-till', 'sale');
    renderCart();
    refreshBar();
  }

  /** @param {Article} article */
  async function addArticle(article) {
    if (state.busy) return;
    if (article.priceCents === null) {
      const values = await openDialog(
        format(words.amountTitle, { name: article.name }),
        amountField('amount', words.amount, ''),
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
  /** @param {string} key @param {number} delta */
  function changeQuantity(key, delta) {
    const line = state.cart.filter((l) => l.key === key)[0];
    if (!line) return;
    line.quantity = Math.min(MAX_QUANTITY, line.quantity + delta);
    if (line.quantity <= 0) state.cart = state.cart.filter((l) => l !== line);
    if (!needsCard()) state.attached = null;
    renderCart();
  }
  function clearCart() {
    state.cart = [];
    state.attached = null;
    state.waitingMethod = null;
    state.split = null;
    prompt('');
    renderCart();
  }
  /** @param {string} text */
  function prompt(text) {
    $('till-prompt').textContent = text;
  }
  function renderCart() {
    const lines = $('till-lines');
    if (!state.cart.length) {
      lines.replaceChildren(el('li', { class: 'till-empty', text: words.cartEmpty }));
    } else {
      lines.replaceChildren(
        ...state.cart.map((line) =>
          el('li', { class: 'till-line' }, [
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
          ]),
        ),
      );
    }
    $('till-total').textContent = euros(cartTotal());
    const attached = $('till-attached');
    attached.hidden = !state.attached;
    attached.textContent = state.attached ? format(words.attached, { number: state.attached }) : '';
    const empty = state.cart.length === 0;
    ['till-pay-card', 'till-pay-cash', 'till-pay-bank', 'till-clear'].forEach((id) => {
      $button(id).disabled = empty;
    });
  }

  // --- paying ---
  function items() {
    return state.cart.map((line) =>
      line.article.priceCents === null
        ? { articleId: line.article.id, quantity: line.quantity, amountCents: line.amountCents }
        : { articleId: line.article.id, quantity: line.quantity },
    );
  }
  /** @param {Payment[]} payments @param {string | null} [cardUid] @returns {Sale} */
  function newSale(payments, cardUid) {
    /** @type {Sale} */
    const sale = {
      id: newId(),
      session: sessionId(),
      pointId: /** @type {string} */ (state.pointId),
      items: items(),
      payments,
    };
    if (cardUid) sale.cardUid = cardUid;
    return sale;
  }
  /** @param {PaymentMethod} method */
  function methodTaken(method) {
    const p = point();
    return !!p && p.paymentMethods.indexOf(method) >= 0;
  }

  function payCardPressed() {
    if (!state.cart.length) return;
    if (state.attached) return payByCard(state.attached);
    state.waitingMethod = 'card';
    prompt(words.tapCard);
    focusReader();
  }
  /** @param {string} uid */
  function payByCard(uid) {
    if (!methodTaken('card')) return showResult('ko', words.noCardMethod, []);
    const total = cartTotal();
    if (total === 0) return sendSale(newSale([], uid), { total });
    // Money going out (a deposit returned, a cash-out) is given in cash, never onto a card here.
    if (total < 0) return showResult('ko', words.method, []);
    return sendSale(newSale([{ method: 'card', amountCents: total, cardUid: uid }], uid), { total, cardUid: uid });
  }
  /** @param {PaymentMethod} method */
  function requireCard(method) {
    if (needsCard() && !state.attached) {
      state.waitingMethod = method;
      prompt(words.tapCardFor);
      focusReader();
      return true;
    }
    return false;
  }

  /**
   * Cash: what the customer hands over, the change shown as it is typed. Negative totals give cash out.
   * @param {number} amount @returns {Promise<{ tenderedCents: number | null } | null>}
   */
  async function askCash(amount) {
    if (amount <= 0) {
      const ok = await openDialog(
        format(words.giveOut, { amount: euros(-amount) }),
        [],
        format(words.giveOutConfirm, { amount: euros(-amount) }),
      );
      return ok ? { tenderedCents: null } : null;
    }
    const changeLine = el('p', { class: 'till-change', role: 'status', 'aria-live': 'polite' });
    const exact = el('button', { type: 'button', class: 'till-quiet', text: words.exact });
    const fields = amountField('tendered', words.tendered, '', () => {
      const given = parseEuros($input('till-amount-tendered').value);
      changeLine.textContent =
        given === null
          ? ''
          : given >= amount
            ? format(words.change, { amount: euros(given - amount) })
            : format(words.changeShort, { amount: euros(amount - given) });
    });
    exact.addEventListener('click', () => {
      const input = $input('till-amount-tendered');
      input.value = (amount / 100).toFixed(2).replace('.', config.decimalSeparator);
      input.dispatchEvent(new Event('input'));
    });
    for (;;) {
      const values = await openDialog(
        euros(amount),
        fields.concat([exact, changeLine]),
        format(words.confirmCash, { amount: euros(amount) }),
      );
      if (!values) return null;
      const given = values.tendered.trim() === '' ? amount : parseEuros(values.tendered);
      if (given !== null && given >= amount) return { tenderedCents: given };
    }
  }
  async function payCash() {
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
  async function payBank() {
    if (!state.cart.length || !methodTaken('bank_card')) return;
    if (requireCard('bank_card')) return;
    const total = cartTotal();
    // Money going out is given back in cash, never through the terminal.
    if (total < 0) return showResult('ko', words.method, []);
    const ok = await openDialog(
      format(words.bankTitle, { amount: euros(total) }),
      [el('p', { text: words.bankHint })],
      words.bankConfirm,
    );
    if (!ok) return;
    return sendSale(newSale([{ method: 'bank_card', amountCents: total }], state.attached), { total });
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
    const first = { method: 'card', amountCents: split.firstCents, cardUid: split.firstUid };
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
      const ok = await openDialog(
        format(words.bankTitle, { amount: euros(split.restCents) }),
        [el('p', { text: words.bankHint })],
        words.bankConfirm,
      );
      if (!ok) return;
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
  /** @param {string} uid */
  function payRestWithCard(uid) {
    const split = /** @type {Split} */ (state.split);
    state.split = null;
    prompt('');
    /** @type {Payment[]} */
    const payments = /** @type {Payment[]} */ ([
      { method: 'card', amountCents: split.firstCents, cardUid: split.firstUid },
      { method: 'card', amountCents: split.restCents, cardUid: uid },
    ]).filter((p) => p.amountCents > 0);
    return sendSale(newSale(payments, split.firstUid), { total: split.total, cardUid: uid, split: true, second: true });
  }

  /**
   * The wallet's lines as the server gives them (src/till/apiRoutes.ts, Balance).
   * @param {{ currency: string, amount: number, decimals: number, usableHere: boolean }[] | undefined} balances
   */
  function balanceLines(balances) {
    return (balances || []).map(
      (b) => tokens(b.amount, b.decimals, b.currency) + (b.usableHere === false ? ' (' + words.notUsable + ')' : ''),
    );
  }
  /**
   * A sale without card that may wait for the network: only cash and the venue's own bank terminal.
   * @param {Sale} sale
   */
  function queueable(sale) {
    return !sale.cardUid && sale.payments.every((p) => p.method === 'cash' || p.method === 'bank_card');
  }

  /** @param {{ sale: Sale, context: SaleContext } | null} uncertain */
  function remember(uncertain) {
    state.uncertain = uncertain;
    store.set('uncertain', uncertain);
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
    return showResult(
      'warn',
      words.unreachable,
      [words.stillUnknown || words.unreachableCard],
      [
        {
          label: words.retry,
          run: () => {
            hideResult();
            void sendSale(sale, context);
          },
        },
        {
          label: words.abandonAnyway || words.abandon,
          run: () => {
            remember(null);
            state.pending = null;
            hideResult();
          },
          quiet: true,
        },
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
    prompt(words.checking || words.sending);
    const status = await saleStatus(sale.id);
    state.busy = false;
    prompt('');
    if (status && status.recorded) return recordedAfterAll(status.recorded, context, sale);
    if (status && status.unknown) {
      remember(null);
      state.pending = null;
      return words.notRecorded ? showResult('ko', words.notRecorded, []) : undefined;
    }
    // Cannot tell (still offline): kept, and asked again before the next sale.
    return stillUnknown(sale, context);
  }
  /** @param {any} body @param {SaleContext} context @param {Sale} sale */
  function recordedAfterAll(body, context, sale) {
    remember(null);
    state.pending = null;
    return saleDone(body, context, sale.id, {
      afterAll: true,
      sameCart: JSON.stringify(items()) === JSON.stringify(sale.items),
    });
  }
  /** Before another sale: the uncertain one is asked about first. True when it is safe to go on. */
  async function settleUncertain() {
    const { sale, context } = /** @type {{ sale: Sale, context: SaleContext }} */ (state.uncertain);
    state.busy = true;
    prompt(words.checking || words.sending);
    const status = await saleStatus(sale.id);
    state.busy = false;
    prompt('');
    if (status && status.unknown) {
      remember(null);
      return true;
    }
    if (status && status.recorded) recordedAfterAll(status.recorded, context, sale);
    else stillUnknown(sale, context);
    return false;
  }

  /** @param {Sale} sale @param {SaleContext} context @returns {Promise<unknown>} */
  async function sendSale(sale, context) {
    if (state.uncertain && state.uncertain.sale && state.uncertain.sale.id !== sale.id && !(await settleUncertain()))
      return;
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
      state.busy = false;
      prompt('');
      if (!(err instanceof Unreachable)) {
        state.pending = null;
        return showResult('ko', format(words.error, { detail: messageOf(err) }), []);
      }
      if (queueable(sale)) {
        try {
          // Queued with its time of sale (signed with the body when sent): the server books it on the
          // business day it was made, or, that day closed since, on the next one marked late.
          await queueAdd({ sale: Object.assign({}, sale, { soldAt }), context, at: soldAt });
        } catch (e) {
          return showResult('ko', words.unreachable, [format(words.error, { detail: messageOf(e) })]);
        }
        state.pending = null;
        await refreshQueue();
        clearCart();
        return showResult('warn', words.unreachable, [
          words.unreachableQueued,
          context.change && context.change > 0 ? format(words.paidChange, { change: euros(context.change) }) : '',
        ]);
      }
      // A card payment is decided by the server only: retry with the same id, or give up — after asking
      // the server whether it was recorded (remembered until then, even if the result is just closed).
      remember({ sale, context });
      return showResult(
        'warn',
        words.unreachable,
        [words.unreachableCard],
        [
          {
            label: words.retry,
            run: () => {
              hideResult();
              void sendSale(sale, context);
            },
          },
          {
            label: words.abandon,
            run: () => {
              void giveUp(sale, context);
            },
            quiet: true,
          },
        ],
      );
    }
    state.busy = false;
    prompt('');
    state.pending = null;
    // A definite answer: the uncertain sale (if this was its retry) is settled either way.
    if (state.uncertain && state.uncertain.sale && state.uncertain.sale.id === sale.id) remember(null);
    if (answer.status === 200 || answer.status === 201) return saleDone(answer.body, context, sale.id);
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
      const usable = (answer.body.balances || [])
        .filter((/** @type {any} */ b) => b.usableHere !== false && b.decimals === 2)
        .reduce((/** @type {number} */ n, /** @type {any} */ b) => n + Math.max(0, b.amount), 0);
      return context.total > usable ? context.total - usable : null;
    } catch {
      return null;
    }
  }

  /**
   * @param {any} body
   * @param {SaleContext} context
   * @param {string} saleId
   * @param {{ afterAll?: boolean, sameCart?: boolean }} [options]
   */
  function saleDone(body, context, saleId, options) {
    const opts = options || {};
    const sale = body.sale || {};
    const total = typeof sale.totalCents === 'number' ? sale.totalCents : context.total;
    state.lastSale = { id: sale.id || saleId, totalCents: total };
    store.set('lastSale', state.lastSale);
    // A sale found recorded after all clears the cart only if it is still that sale's cart.
    if (!opts.afterAll || opts.sameCart) clearCart();
    refreshBar();
    const change = typeof body.changeCents === 'number' ? body.changeCents : context.change || 0;
    const details = [];
    if (opts.afterAll && words.recordedAfterAll) details.push(words.recordedAfterAll);
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

  // --- cancelling the last sale: a reversal with its own id, reused on retry ---
  /** @param {{ id: string, session: string } | null} reversal @returns {Promise<unknown>} */
  async function cancelLast(reversal) {
    const last = state.lastSale;
    if (!last) return showResult('ko', words.nothingToCancel, []);
    if (!reversal) {
      const ok = await openDialog(
        format(words.cancelLastConfirm, { amount: euros(last.totalCents) }),
        [],
        words.cancelLast,
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
      return showResult(
        'warn',
        words.unreachable,
        [words.unreachableCard],
        [
          {
            label: words.retry,
            run: () => {
              hideResult();
              void cancelLast(body);
            },
          },
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

  // --- a card tapped with an empty cart: its balances and memberships ---
  /** @param {string} uid */
  async function lookup(uid) {
    state.busy = true;
    let answer;
    try {
      answer = await request('POST', '/api/v1/till/cards/lookup', { session: sessionId(), cardUid: uid });
    } catch {
      state.busy = false;
      return showResult('warn', words.unreachable, []);
    }
    state.busy = false;
    if (answer.status !== 200) {
      if (codeOf(answer.body) === 'till-session') return closeTill(words.session);
      return showResult('ko', reasonOf(answer), []);
    }
    const b = answer.body;
    const card = b.card || {};
    const blocked = card.status === 'blocked';
    /** @type {(string|Node)[]} */
    const details = [card.linked ? words.linked : words.anonymous];
    if (blocked) details.unshift(words.blocked);
    const balances = balanceLines(b.balances);
    details.push(
      el(
        'ul',
        { class: 'till-balances' },
        (balances.length ? balances : [words.noBalance]).map((/** @type {string} */ x) => el('li', { text: x })),
      ),
    );
    const memberships = (b.memberships || []).map((/** @type {{ product: string, endsOn: string | null }} */ m) =>
      format(words.membershipUntil, { product: m.product, date: dateOf(m.endsOn) }),
    );
    details.push(el('h3', { text: words.memberships }));
    details.push(
      el(
        'ul',
        { class: 'till-memberships' },
        (memberships.length ? memberships : [words.noMembership]).map((/** @type {string} */ x) =>
          el('li', { text: x }),
        ),
      ),
    );
    showResult(blocked ? 'ko' : 'info', format(words.lookupTitle, { number: card.number || uid }), details);
  }
  /** @param {unknown} day */
  function dateOf(day) {
    const d = new Date(String(day) + 'T12:00:00Z');
    return Number.isNaN(d.getTime())
      ? String(day)
      : new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
  }

  // --- the waiting sales: sent in order; the server's acceptance removes them, a refusal never does ---
  async function refreshQueue() {
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
  function flush() {
    if (!flushing) {
      flushing = flushQueue().finally(() => {
        flushing = null;
        return refreshQueue();
      });
    }
    return flushing;
  }
  async function flushQueue() {
    if (!state.device) return;
    const entries = (await queueAll()).filter((e) => !e.refused).sort((a, b) => a.seq - b.seq);
    let late = null;
    for (const entry of entries) {
      let answer;
      try {
        answer = await request('POST', '/api/v1/till/sales', entry.sale, { timeout: 15000 });
      } catch {
        return; // Still unreachable: the rest waits, in order.
      }
      const code = codeOf(answer.body);
      if (code === 'till-session' && sessionValid() && entry.sale.session !== sessionId()) {
        // Opened again since: the sale goes with the current session (same id, so still once).
        entry.sale.session = sessionId();
        await queuePut(entry);
        try {
          answer = await request('POST', '/api/v1/till/sales', entry.sale, { timeout: 15000 });
        } catch {
          return;
        }
      }
      const status = answer.status;
      if (status === 200 || status === 201 || codeOf(answer.body) === 'till-sale-conflict') {
        // 409: this id is on the server already (the first try got through with another session).
        await queueDelete(entry.seq);
        if (answer.body && answer.body.sale && answer.body.sale.id) {
          state.lastSale = { id: answer.body.sale.id, totalCents: answer.body.sale.totalCents };
          store.set('lastSale', state.lastSale);
          if (answer.body.sale.lateFromDay) late = answer.body.sale;
        }
      } else if (codeOf(answer.body) === 'till-session' || codeOf(answer.body) === 'ledger-device-signature') {
        return; // Waits for a staff card (or a fixed clock); nothing is lost.
      } else {
        // Refused: the cash is in the drawer, so the sale stays on this till, marked and shown, until
        // the server takes it. The sales queued after it go on.
        entry.refused = { code: codeOf(answer.body) || String(answer.status), detail: reasonOf(answer) };
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
      showResult(
        'info',
        format(words.lateBooked, { day: dateOf(late.businessDay), sold: dateOf(late.lateFromDay) }),
        [],
      );
  }
  /** The sales the server refused: when each was made, its total, why; sent again on request. */
  async function showRefused() {
    const refused = (await queueAll()).filter((e) => e.refused).sort((a, b) => a.seq - b.seq);
    if (refused.length === 0) return hideResult();
    const when = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'short' });
    showResult(
      'ko',
      words.refusedTitle,
      [
        el(
          'ul',
          { class: 'till-refused-list' },
          refused.map((e) =>
            el('li', {
              text: format(words.refusedLine, {
                when: when.format(new Date(e.sale.soldAt || e.at || Date.now())),
                amount: euros((e.context && e.context.total) || 0),
                reason: e.refused ? e.refused.detail : '',
              }),
            }),
          ),
        ),
        words.refusedKept,
      ],
      [
        {
          label: words.retry,
          run: async () => {
            for (const e of refused) {
              delete e.refused;
              await queuePut(e);
            }
            hideResult();
            await refreshQueue();
            void flush();
          },
        },
      ],
    );
  }
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
  setInterval(() => {
    if (!state.device) return;
    if (state.queueSize > 0) void flush();
    else if (state.offline) void loadConfig();
  }, 15000);

  // --- buttons ---
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
  $('till-change-point').addEventListener('click', () => {
    state.pointId = null;
    store.set('point', null);
    choosePoint();
  });
  $('till-close').addEventListener('click', () => closeTill(''));
  $('till-close-points').addEventListener('click', () => closeTill(''));
  $('till-unpair').addEventListener('click', async () => {
    if (!confirm(words.unpairConfirm)) return;
    await deleteDevice();
    state.device = null;
    ['session', 'config', 'point', 'lastSale'].forEach((k) => store.set(k, null));
    state.session = null;
    void showPairing();
  });
  $('till-result').addEventListener('click', (e) => {
    // A touch anywhere closes a plain answer; one that offers choices waits for a choice.
    if (e.target === $('till-result') && $('till-result').querySelectorAll('.till-result-actions button').length <= 1)
      hideResult();
  });

  // --- start ---
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
    await refreshQueue();
    if (!sessionValid()) return showOpen();
    await loadConfig();
    choosePoint();
    if (state.queueSize) void flush();
  }
  start().catch((err) => {
    showScreen('pair');
    $('till-pair-message').textContent = format(words.error, { detail: messageOf(err) });
  });
})();
