// @ts-check
// The server: signed JSON requests (./signing.js; docs/LEDGER.md, "Device signatures") and the
// problems it answers with (RFC 9457), turned into the words the cashier reads.
/* global window, fetch, AbortController */
import { config, format, words } from './dom.js';
import { setOffline } from './screens.js';
import { requestTarget, signedHeaders } from './signing.js';
import { state } from './state.js';

/** @typedef {import('./types.js').Answer} Answer */

const TIMEOUT_MS = 5000;

/** No answer: the network failed, the request timed out, or the server failed (5xx). */
export class Unreachable extends Error {}
/** @param {unknown} err */
export const messageOf = (err) => (err instanceof Error ? err.message : String(err));

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
export async function request(method, path, payload, options) {
  const opts = options || {};
  const body = payload === undefined ? '' : JSON.stringify(payload);
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', 'accept-language': config.lang };
  if (body) headers['content-type'] = 'application/json';
  // What is signed is what is fetched: the same target string, so the server reads the same bytes.
  const target = requestTarget(path, window.location.origin);
  if (!opts.unsigned) {
    const device = /** @type {import('./types.js').Device} */ (state.device);
    Object.assign(headers, await signedHeaders(device, method, target, body, Date.now() + state.clockOffset));
  }
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
export function codeOf(body) {
  if (!body) return '';
  const m = /([a-z0-9-]+)\/?$/.exec(String(body.type || ''));
  return m ? m[1] : '';
}
/** The problems the till has its own words for. @type {Record<string, string>} */
export const reasons = {
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
export function reasonOf(answer) {
  const code = codeOf(answer.body);
  if (reasons[code]) return words[reasons[code]];
  return (answer.body && (answer.body.title || answer.body.detail)) || format(words.error, { detail: answer.status });
}
