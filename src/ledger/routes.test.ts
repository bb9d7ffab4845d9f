import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { withKey, type TestNode, useTestNode } from '../../test/harness.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { SYSTEM } from '../access/actor.ts';
import { uuidv7 } from '../shared/ids.ts';
import { signDeviceRequest } from './deviceSignature.ts';
import { publicKeyFromBase64 } from './nodeKey.ts';
import { signCheckpoints } from './signCheckpoints.ts';
import { createLedgerWorld, type LedgerWorld } from './testFixtures.ts';

let t: TestNode;
let w: LedgerWorld;
useTestNode(async (node) => {
  t = node;
  w = await createLedgerWorld(t.db);
});

const count = async () =>
  Number((await sql<{ n: string }>`select count(*) as n from ledger_transfers`.execute(t.db)).rows[0]!.n);

describe('ledger API and pages', () => {
  test('a logged-in person pays over the API, reads balances and history; CSRF is required', async () => {
    const email = `api-${uuidv7()}@example.org`;
    const c = await t.loginAs(email);
    const me = (await c.api('GET', '/api/v1/me')).json() as { id: string };
    const { ensureAccount } = await import('./ensureAccount.ts');
    const wallet = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'person', ownerRef: me.id });
    await w.fund(wallet.id, 2000);
    const venue = await w.placeAccount(w.venueA.id, w.euro);
    const body = {
      transfers: [
        { id: uuidv7(), debitAccountId: wallet.id, creditAccountId: venue.id, amount: '1250', kind: 'payment' },
      ],
    };
    const noCsrf = await c.request({
      method: 'POST',
      url: '/api/v1/transfers',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    assert.equal(noCsrf.statusCode, 403);
    const created = await c.api('POST', '/api/v1/transfers', body);
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().transfers[0].amount, 1250);
    assert.equal(created.json().transfers[0].currency, w.euro.code);
    const again = await c.api('POST', '/api/v1/transfers', body);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().replayed, true);
    const conflict = await c.api('POST', '/api/v1/transfers', { transfers: [{ ...body.transfers[0], amount: 1 }] });
    assert.equal(conflict.statusCode, 409);
    assert.match(conflict.headers['content-type'] as string, /problem\+json/);
    const float = await c.api('POST', '/api/v1/transfers', {
      transfers: [{ ...body.transfers[0], id: uuidv7(), amount: 12.5 }],
    });
    assert.equal(float.statusCode, 422);
    const balances = (await c.api('GET', '/api/v1/wallet/balances')).json();
    assert.deepEqual(
      balances.balances.map((b: { currencyCode: string; balance: number }) => [b.currencyCode, b.balance]),
      [[w.euro.code, 750]],
    );
    const history = (await c.api('GET', '/api/v1/wallet/history?limit=1')).json();
    assert.equal(history.transfers.length, 1);
    assert.ok(history.nextCursor);
    const next = (await c.api('GET', `/api/v1/wallet/history?limit=1&cursor=${history.nextCursor}`)).json();
    assert.equal(next.transfers[0].kind, 'top_up');
    const page = await c.get('/wallet');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Mon portefeuille/);
    assert.match(page.body, /7,50/);
    assert.equal((await t.client().get('/wallet')).statusCode, 303);
    assert.equal((await t.client().api('GET', '/api/v1/wallet/balances')).statusCode, 401);
  });

  test('a till signs its requests: accepted once, a replay or a changed body is refused', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 1000);
    const bar = await w.placeAccount(w.venueB.id, w.euro);
    const { issueWalletPass } = await import('./walletPass.ts');
    const { pass } = await issueWalletPass(t.db, p.actor, { placeId: w.venueB.id, maxAmount: 100_000 });
    const payload = JSON.stringify({
      transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: bar.id, amount: 400, kind: 'payment' }],
      holder: pass,
      session: w.session,
    });
    const headers = signDeviceRequest(w.device.privateKey, {
      placeId: w.device.placeId,
      deviceId: w.device.id,
      method: 'POST',
      path: '/api/v1/transfers',
      body: payload,
    });
    const send = (body: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/transfers',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: body,
      });
    const ok = await send(payload);
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().transfers[0].authorisedBy, 'device');
    const before = await count();
    const replay = await send(payload);
    assert.equal(replay.statusCode, 401);
    assert.match(replay.body, /replay/);
    const changed = payload.replace('"amount":400', '"amount":900');
    const fresh = signDeviceRequest(w.device.privateKey, {
      placeId: w.device.placeId,
      deviceId: w.device.id,
      method: 'POST',
      path: '/api/v1/transfers',
      body: payload,
    });
    const forged = await t.app.inject({
      method: 'POST',
      url: '/api/v1/transfers',
      headers: { ...fresh, 'content-type': 'application/json' },
      payload: changed,
    });
    assert.equal(forged.statusCode, 401);
    assert.equal(await count(), before);
  });

  test('a venue key reads only its own receipts; holds over the API', async () => {
    const { secret } = await createApiKey(t.db, SYSTEM, { slug: w.venueB.slug, name: 'till', scopes: ['till'] });
    const p = await w.person();
    await w.fund(p.euro.id, 1000);
    const bar = await w.placeAccount(w.venueB.id, w.euro);
    const { issueWalletPass } = await import('./walletPass.ts');
    const { pass } = await issueWalletPass(t.db, p.actor, { placeId: w.venueB.id, maxAmount: 100_000 });
    const holdId = uuidv7();
    const hold = await withKey(t.app, secret, 'POST', '/api/v1/holds', {
      id: holdId,
      debitAccountId: p.euro.id,
      creditAccountId: bar.id,
      amount: 300,
      kind: 'payment',
      holder: pass,
    });
    assert.equal(hold.statusCode, 201, hold.body);
    const post = await withKey(t.app, secret, 'POST', `/api/v1/holds/${holdId}/post`, { id: uuidv7(), amount: 200 });
    assert.equal(post.statusCode, 201, post.body);
    const voided = await withKey(t.app, secret, 'POST', `/api/v1/holds/${holdId}/void`, { id: uuidv7() });
    assert.equal(voided.statusCode, 409);
    const receipts = await withKey(t.app, secret, 'GET', `/api/v1/venues/${w.venueB.slug}/ledger/receipts`);
    assert.equal(receipts.statusCode, 200);
    assert.ok(receipts.json().transfers.length >= 2);
    const other = await withKey(t.app, secret, 'GET', `/api/v1/venues/${w.venueA.slug}/ledger/receipts`);
    assert.equal(other.statusCode, 403);
  });

  test('the public key, checkpoints and the transparency page let anyone check a checkpoint', async () => {
    // Sealed here rather than waiting for the node's sealer: checkpoints sign blocks. Through the
    // node's sealer, whose own round may hold the lock at this moment (then sealBlocks seals nothing).
    await t.node.sealer.sealNow();
    await signCheckpoints(t.db, undefined, { force: true });
    const key = (await t.client().get('/api/v1/ledger/key')).json();
    assert.equal(key.algorithm, 'Ed25519');
    const list = (await t.client().get(`/api/v1/ledger/checkpoints?currency=${w.euro.code}`)).json();
    assert.ok(list.checkpoints.length >= 1);
    const c = list.checkpoints[0];
    assert.ok(
      verify(null, Buffer.from(c.message), publicKeyFromBase64(key.spki), Buffer.from(c.signature, 'base64url')),
    );
    const page = await t.client().get('/transparency?lang=en');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, new RegExp(w.euro.code));
    assert.match(page.body, /Euro reserve/);
    assert.match(page.body, /BEGIN PUBLIC KEY/);
    const openapi = (await t.client().get('/api/openapi.json')).json();
    assert.ok(openapi.paths['/api/v1/transfers'].post);
  });
});
