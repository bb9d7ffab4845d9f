// @ts-check
// The till's life: pairing the browser with a one-time code (its Ed25519 key made and kept here),
// opening with a staff card (a till session naming the cashier), the venue's points and articles,
// closing, unpairing.
/* global window, document, crypto, confirm */
import { Unreachable, messageOf, reasonOf, request } from './api.js';
import { choosePoint } from './cart.js';
import { $, $input, format, words } from './dom.js';
import { flush } from './queue.js';
import { currentScreen, showResult, showScreen } from './screens.js';
import { base64 } from './signing.js';
import { state } from './state.js';
import { deleteDevice, putDevice, store } from './storage.js';

/**
 * @typedef {import('./types.js').Device} Device
 * @typedef {import('./types.js').TillConfig} TillConfig
 * @typedef {{ id: string, name: string, kind: import('./types.js').ArticleKind, priceCents: number | null,
 *   colour: string, category: { name: string, colour: string } | null }} ConfigArticle
 * @typedef {{ place?: { timezone: string }, points: { id: string, name: string,
 *   paymentMethods: import('./types.js').PaymentMethod[], articles: ConfigArticle[] }[] }} ServerConfig  the fields of src/till/posConfig.ts's TillConfig the till reads
 */

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
const pairButton = () => /** @type {HTMLButtonElement} */ ($('till-pair-form').querySelector('button'));
export async function showPairing() {
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
/** @param {Event} e */
async function pair(e) {
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
    /** @type {{ placeId: string, deviceId: string, kind: 'till' | 'scanner', name: string, place: { name: string, slug: string } }} */
    const b = answer.body;
    state.device = {
      privateKey: keys.privateKey,
      publicKey: keys.publicKey,
      placeId: b.placeId,
      deviceId: b.deviceId,
      name: b.name,
      place: b.place,
      kind: b.kind,
    };
    await putDevice(state.device);
    // A scanner's code: this phone becomes the door's, never a till (/door lists the events to scan).
    if (b.kind === 'scanner') {
      window.location.replace('/door');
      return;
    }
    message.textContent = format(words.paired, { name: b.name });
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
}

/** @param {string} [message] */
export async function showOpen(message) {
  const d = /** @type {Device} */ (state.device);
  $('till-open-place').textContent = [d.place && d.place.name, d.name].filter(Boolean).join(' · ');
  $('till-open-message').textContent = message || '';
  showScreen('open');
  document.documentElement.setAttribute('data-till', 'open');
  void loadConfig();
}
/** A staff card on the opening screen. @param {string} uid */
export async function openTill(uid) {
  state.busy = true;
  $('till-open-message').textContent = words.opening;
  try {
    const answer = await request('POST', '/api/v1/till/open', { cardUid: uid });
    if (answer.status !== 201 && answer.status !== 200) {
      $('till-open-message').textContent = reasonOf(answer);
      showResult('ko', reasonOf(answer), []);
      return;
    }
    /** @type {{ session: string, cashier: { name: string }, expiresAt: string }} */
    const opened = answer.body;
    state.session = { session: opened.session, cashier: opened.cashier, expiresAt: opened.expiresAt };
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
/** @param {string} message */
export function closeTill(message) {
  state.session = null;
  store.set('session', null);
  state.split = null;
  state.pending = null;
  void showOpen(message);
}

/**
 * The venue's points and articles, as GET /api/v1/till/config gives them (src/till/posConfig.ts,
 * TillConfig); the last copy serves offline. An article takes its category's colour when it has one.
 * @param {ServerConfig} raw
 * @returns {TillConfig}
 */
function normaliseConfig(raw) {
  return {
    timezone: raw.place && raw.place.timezone,
    points: raw.points.map((p) => ({
      id: p.id,
      name: p.name,
      paymentMethods: p.paymentMethods,
      articles: p.articles.map((a) => ({
        id: a.id,
        name: a.name,
        kind: a.kind,
        priceCents: a.priceCents,
        colour: (a.category && a.category.colour) || a.colour || '#37474f',
        category: (a.category && a.category.name) || '',
      })),
    })),
  };
}
export async function loadConfig() {
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

async function unpair() {
  if (!confirm(words.unpairConfirm)) return;
  await deleteDevice();
  state.device = null;
  ['session', 'config', 'point', 'lastSale'].forEach((k) => store.set(k, null));
  state.session = null;
  void showPairing();
}

/** The listeners of pairing, opening and closing (main.js calls it once). */
export function wireSession() {
  window.addEventListener('hashchange', () => {
    if (currentScreen() === 'pair' && codeFromLink()) pairButton().focus();
  });
  $('till-pair-form').addEventListener('submit', (e) => {
    void pair(e);
  });
  $('till-unpair').addEventListener('click', () => {
    void unpair();
  });
  $('till-change-point').addEventListener('click', () => {
    state.pointId = null;
    store.set('point', null);
    choosePoint();
  });
  $('till-close').addEventListener('click', () => closeTill(''));
  $('till-close-points').addEventListener('click', () => closeTill(''));
}
