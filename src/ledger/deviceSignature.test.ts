import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { uuidv7 } from '../shared/ids.ts';
import { signedRequest, createTillWorld, type TillWorld } from '../till/testFixtures.ts';
import { inTransaction } from '../db/database.ts';
import {
  DEVICE_HEADERS,
  deviceMessage,
  readDeviceHeaders,
  signDeviceRequest,
  verifyDeviceRequest,
} from './deviceSignature.ts';
import { publicKeyFromBase64 } from './nodeKey.ts';
import type { DeviceSignature } from './tables.ts';

// Issue 14, finding 8: a device signature covers the request target — its path and its query string,
// exactly as sent (docs/LEDGER.md, "Device signatures").

let t: TestNode;
let w: TillWorld;
useTestNode(async (node) => {
  t = node;
  w = await createTillWorld(t.db);
});

const CONFIG = '/api/v1/till/config';
const refusedFor = (r: { statusCode: number; body: string; headers: Record<string, unknown> }, reason: string) => {
  assert.equal(r.statusCode, 401, r.body);
  assert.match(String(r.headers['content-type']), /problem\+json/);
  const problem = JSON.parse(r.body) as { type: string; detail: string };
  assert.match(problem.type, /\/problems\/ledger-device-signature$/, r.body);
  assert.match(problem.detail, new RegExp(`\\(${reason}\\)`), r.body);
};

describe('device signatures cover the query string', () => {
  test('the message of version 2 names the target with its query; signDeviceRequest says which version it signs', () => {
    const message = deviceMessage({
      version: '2',
      method: 'get',
      path: '/api/v1/till/config?page=2&q=caf%C3%A9',
      bodySha256: 'e3b0',
      timestamp: '1700000000000',
      nonce: 'n'.repeat(16),
    });
    assert.equal(
      message,
      'rezo-device-v2\nGET\n/api/v1/till/config?page=2&q=caf%C3%A9\ne3b0\n1700000000000\nnnnnnnnnnnnnnnnn',
    );
    const v1 = deviceMessage({ method: 'GET', path: CONFIG, bodySha256: 'e3b0', timestamp: '1', nonce: 'n' });
    assert.equal(v1, `rezo-device-v1\nGET\n${CONFIG}\ne3b0\n1\nn`);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const base = { placeId: w.placeId, deviceId: w.device.id, method: 'GET', path: `${CONFIG}?page=2`, body: '' };
    const headers = signDeviceRequest(privateKey, base);
    assert.equal(headers[DEVICE_HEADERS.version], '2');
    const envelope = readDeviceHeaders(headers, { method: 'GET', path: `${CONFIG}?page=2`, body: '' })!;
    assert.equal(envelope.version, '2');
    assert.equal(envelope.path, `${CONFIG}?page=2`);
    assert.ok(
      verify(null, Buffer.from(deviceMessage(envelope)), publicKey, Buffer.from(envelope.signature, 'base64url')),
    );
    // An old till's headers (version 1) carry no version header, and the envelope none either.
    const old = signDeviceRequest(privateKey, { ...base, path: CONFIG, version: 1 });
    assert.equal(old[DEVICE_HEADERS.version], undefined);
    assert.equal(readDeviceHeaders(old, { method: 'GET', path: CONFIG, body: '' })!.version, undefined);
  });

  test('a signed request sent with an added or changed query string is refused, and its nonce stays unused', async () => {
    const nonce = uuidv7().replace(/-/g, '');
    const added = await signedRequest(t.app, w.device, 'GET', CONFIG, undefined, { nonce, url: `${CONFIG}?all=1` });
    refusedFor(added, 'signature');
    // The refusal wrote nothing: the till's own request, as signed, still goes through once.
    const ok = await signedRequest(t.app, w.device, 'GET', CONFIG, undefined, { nonce });
    assert.equal(ok.statusCode, 200, ok.body);
    refusedFor(await signedRequest(t.app, w.device, 'GET', CONFIG, undefined, { nonce }), 'replay');

    const withQuery = `${CONFIG}?page=2`;
    const changed = await signedRequest(t.app, w.device, 'GET', withQuery, undefined, { url: `${CONFIG}?page=3` });
    refusedFor(changed, 'signature');
    const dropped = await signedRequest(t.app, w.device, 'GET', withQuery, undefined, { url: CONFIG });
    refusedFor(dropped, 'signature');
    const appended = await signedRequest(t.app, w.device, 'GET', withQuery, undefined, {
      url: `${withQuery}&page=9`,
    });
    refusedFor(appended, 'signature');
    const signedAsSent = await signedRequest(t.app, w.device, 'GET', withQuery);
    assert.equal(signedAsSent.statusCode, 200, signedAsSent.body);
  });

  test('the query string is compared as sent, byte for byte: another encoding of the same words is another request', async () => {
    const sent = `${CONFIG}?q=caf%C3%A9%20bar`;
    assert.equal((await signedRequest(t.app, w.device, 'GET', sent)).statusCode, 200);
    const plus = await signedRequest(t.app, w.device, 'GET', sent, undefined, { url: `${CONFIG}?q=caf%C3%A9+bar` });
    refusedFor(plus, 'signature');
  });

  test('a till signing version 1 keeps working without a query string, and is refused with one', async () => {
    const old = await signedRequest(t.app, w.device, 'GET', CONFIG, undefined, { version: 1 });
    assert.equal(old.statusCode, 200, old.body);
    const opened = await signedRequest(
      t.app,
      w.device,
      'POST',
      '/api/v1/till/open',
      { cardUid: w.cashier.card.uid },
      { version: 1 },
    );
    assert.equal(opened.statusCode, 201, opened.body);
    // Version 1 does not cover the query: any query string (even one the till itself sent) is refused.
    const withQuery = `${CONFIG}?page=2`;
    refusedFor(await signedRequest(t.app, w.device, 'GET', withQuery, undefined, { version: 1 }), 'version');
    refusedFor(
      await signedRequest(t.app, w.device, 'GET', CONFIG, undefined, { version: 1, url: `${CONFIG}?page=2` }),
      'version',
    );
    // An empty query string too (light-my-request drops a bare `?`: checked on the envelope).
    const bare = signDeviceRequest(w.device.privateKey, {
      placeId: w.device.placeId,
      deviceId: w.device.id,
      method: 'GET',
      path: `${CONFIG}?`,
      body: '',
      version: 1,
    });
    await assert.rejects(
      inTransaction(t.db, (trx) =>
        verifyDeviceRequest(trx, readDeviceHeaders(bare, { method: 'GET', path: `${CONFIG}?`, body: '' })!),
      ),
      (e: { code?: string; params?: { reason?: string } }) =>
        e.code === 'ledger-device-signature' && e.params?.reason === 'version',
    );
    // A version 2 signature sent as version 1 (the header removed) is not one either.
    const v2 = signDeviceRequest(w.device.privateKey, {
      placeId: w.device.placeId,
      deviceId: w.device.id,
      method: 'GET',
      path: CONFIG,
      body: '',
    });
    const { [DEVICE_HEADERS.version]: _dropped, ...asV1 } = v2;
    refusedFor(await signedRequest(t.app, w.device, 'GET', CONFIG, undefined, { headers: asV1 }), 'signature');
    // An unknown version is refused before anything else.
    refusedFor(
      await signedRequest(t.app, w.device, 'GET', CONFIG, undefined, {
        headers: { ...v2, [DEVICE_HEADERS.version]: '3' },
      }),
      'version',
    );
  });

  test('the ledger API: a transfer signed without a query is refused with one; the stored envelope names the query and verifies', async () => {
    const l = w.ledger;
    const p = await l.person();
    await l.fund(p.euro.id, 1000);
    const bar = await l.placeAccount(l.venueB.id, l.euro);
    const { issueWalletPass } = await import('./walletPass.ts');
    const count = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from ledger_transfers`.execute(t.db)).rows[0]!.n);
    const pay = async (amount: number) => {
      const { pass } = await issueWalletPass(t.db, p.actor, { placeId: l.venueB.id, maxAmount: 100_000 });
      return JSON.stringify({
        transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: bar.id, amount, kind: 'payment' }],
        holder: pass,
        session: l.session,
      });
    };
    const send = (url: string, signedPath: string, body: string) =>
      t.app.inject({
        method: 'POST',
        url,
        headers: {
          ...signDeviceRequest(l.device.privateKey, {
            placeId: l.device.placeId,
            deviceId: l.device.id,
            method: 'POST',
            path: signedPath,
            body,
          }),
          'content-type': 'application/json',
        },
        payload: body,
      });
    const before = await count();
    refusedFor(await send('/api/v1/transfers?dryRun=1', '/api/v1/transfers', await pay(100)), 'signature');
    assert.equal(await count(), before);

    const target = '/api/v1/transfers?from=till%201';
    const ok = await send(target, target, await pay(200));
    assert.equal(ok.statusCode, 201, ok.body);
    const stored = ok.json().transfers[0].deviceSignature as DeviceSignature;
    assert.equal(stored.version, '2');
    assert.equal(stored.path, target);
    const { public_key } = await t.db
      .selectFrom('ledger_devices')
      .select('public_key')
      .where('id', '=', l.device.id)
      .executeTakeFirstOrThrow();
    assert.ok(
      verify(
        null,
        Buffer.from(deviceMessage(stored)),
        publicKeyFromBase64(public_key),
        Buffer.from(stored.signature, 'base64url'),
      ),
      'anyone can check the stored envelope with the device’s public key',
    );
  });
});
