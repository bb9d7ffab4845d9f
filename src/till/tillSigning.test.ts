// The till's signing module (src/till/public/signing.js, the code the browser runs) against the
// server's verifier (src/ledger/deviceSignature.ts): what the till signs is what the server checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base64, requestTarget, signedHeaders } from './public/signing.js';
import { deviceMessage, readDeviceHeaders } from '../ledger/deviceSignature.ts';
import { publicKeyFromBase64, verifyText } from '../ledger/nodeKey.ts';
import { uuidv7 } from '../shared/ids.ts';

test('the till’s signature (version 2, with the query string) verifies on the server, and only for what was sent', async () => {
  const keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  const publicKey = publicKeyFromBase64(base64(await crypto.subtle.exportKey('spki', keys.publicKey)));
  const device = { privateKey: keys.privateKey, placeId: uuidv7(), deviceId: uuidv7() };
  const target = requestTarget('/api/v1/till/sales/é?x=a b#fragment', 'https://rezo.example');
  assert.equal(target, '/api/v1/till/sales/%C3%A9?x=a%20b');
  const body = JSON.stringify({ id: uuidv7(), items: [] });
  const now = Date.now();
  const headers = await signedHeaders(device, 'POST', target, body, now);
  assert.equal(headers['x-rezo-signature-version'], '2');
  assert.equal(headers['x-rezo-timestamp'], String(now));
  assert.equal(headers['x-rezo-device'], `${device.placeId}:${device.deviceId}`);

  const read = (path: string, sent: string) => readDeviceHeaders(headers, { method: 'POST', path, body: sent })!;
  const envelope = read(target, body);
  assert.equal(envelope.version, '2');
  assert.ok(verifyText(publicKey, deviceMessage(envelope), envelope.signature));
  // Another query string, another body: not what was signed.
  assert.ok(!verifyText(publicKey, deviceMessage(read('/api/v1/till/sales/%C3%A9?x=b', body)), envelope.signature));
  assert.ok(!verifyText(publicKey, deviceMessage(read(target, body + ' ')), envelope.signature));
});
