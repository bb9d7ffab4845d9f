/* global crypto, TextEncoder, btoa */
// @ts-check
// How the till signs a request (docs/LEDGER.md, "Device signatures"; the server's side is
// src/ledger/deviceSignature.ts): "rezo-device-v2\nMETHOD\npath?query\nsha256(body)\ntimestamp\nnonce",
// the path and query exactly as sent, with the device's Ed25519 key (WebCrypto, non-extractable).
// An ES module of its own, imported by api.js (served as /static/till/signing.js) and by the server's
// tests, which check its signatures with the server's verifier. Only WebCrypto, TextEncoder and btoa:
// the browser and Node both have them.

/** @typedef {{ privateKey: CryptoKey, placeId: string, deviceId: string }} SigningDevice */

/** @param {ArrayBuffer} buffer */
function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => (b < 16 ? '0' : '') + b.toString(16)).join('');
}
/** Standard base64 of bytes (the public key sent at pairing). @param {ArrayBuffer} buffer */
export function base64(buffer) {
  let s = '';
  new Uint8Array(buffer).forEach((b) => {
    s += String.fromCharCode(b);
  });
  return btoa(s);
}
/** @param {ArrayBuffer} buffer */
function base64url(buffer) {
  return base64(buffer).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
const utf8 = (/** @type {string} */ s) => new TextEncoder().encode(s);

/**
 * The request target the browser will send for a path: resolved and percent-encoded by the URL parser,
 * the query string included (even an empty one), the fragment left out — the bytes the server reads.
 * @param {string} path
 * @param {string} origin the page's origin
 */
export function requestTarget(path, origin) {
  const url = new URL(path, origin);
  url.hash = '';
  return url.href.slice(url.origin.length);
}

/**
 * The headers that sign one request (signature version 2).
 * @param {SigningDevice} device
 * @param {string} method
 * @param {string} target the request target as fetched (requestTarget)
 * @param {string} body the body as sent ('' without one)
 * @param {number} nowMs the time to sign with: the device's clock corrected by the server's
 * @returns {Promise<Record<string, string>>}
 */
export async function signedHeaders(device, method, target, body, nowMs) {
  const timestamp = String(nowMs);
  const nonce = crypto.randomUUID().replace(/-/g, '');
  const bodyHash = hex(await crypto.subtle.digest('SHA-256', utf8(body)));
  const message = ['rezo-device-v2', method, target, bodyHash, timestamp, nonce].join('\n');
  const signature = await crypto.subtle.sign({ name: 'Ed25519' }, device.privateKey, utf8(message));
  return {
    'x-rezo-signature-version': '2',
    'x-rezo-device': device.placeId + ':' + device.deviceId,
    'x-rezo-timestamp': timestamp,
    'x-rezo-nonce': nonce,
    'x-rezo-signature': base64url(signature),
  };
}
