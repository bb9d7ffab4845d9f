import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { SYSTEM, type PersonActor } from '../access/actor.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { onPostgres, withKey, type TestNode, useTestNode } from '../../test/harness.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createLedgerWorld, type LedgerWorld } from './testFixtures.ts';
import { purgeWalletPasses } from './purgeWalletPasses.ts';
import { issueWalletPass } from './walletPass.ts';
import { countRows } from '../../test/testDatabase.ts';

/**
 * Issue 12 #2: the wallet pass was a bearer token for two minutes — any venue, any amount, any number
 * of times. One pass is now one payment intent: a venue, a maximum, an expiry of two minutes, a nonce,
 * spent once in the transaction that uses it (docs/LEDGER.md, "Wallet passes").
 */
let t: TestNode;
let w: LedgerWorld;
let keyB: string;
let keyA: string;
useTestNode(async (node) => {
  t = node;
  w = await createLedgerWorld(t.db);
  keyB = (await createApiKey(t.db, SYSTEM, { slug: w.venueB.slug, name: 'bar', scopes: ['till'] })).secret;
  keyA = (await createApiKey(t.db, SYSTEM, { slug: w.venueA.slug, name: 'bar', scopes: ['till'] })).secret;
});

const passFor = async (actor: PersonActor, placeId: string, maxAmount: number) =>
  (await issueWalletPass(t.db, actor, { placeId, maxAmount })).pass;
const transfers = async () => countRows(t.db, 'ledger_transfers');
const pay = async (key: string, from: string, to: string, amount: number, holder: string) =>
  withKey(t.app, key, 'POST', '/api/v1/transfers', {
    transfers: [{ id: uuidv7(), debitAccountId: from, creditAccountId: to, amount, kind: 'payment' }],
    holder,
  });
/** "status code": the status and the problem code (the last segment of the problem type). */
const problem = (r: { statusCode: number; body: string }) =>
  `${r.statusCode} ${String(JSON.parse(r.body).type ?? '')
    .split('/')
    .pop()}`;

describe('wallet passes: one pass, one payment (issue 12 #2)', () => {
  test('a pass pays once: the same pass for a second payment is refused (409), even for a smaller amount', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 5000);
    const bar = await w.placeAccount(w.venueB.id, w.euro);
    const pass = await passFor(p.actor, w.venueB.id, 2000);
    const first = await pay(keyB, p.euro.id, bar.id, 1500, pass);
    assert.equal(first.statusCode, 201, first.body);
    const before = await transfers();
    const second = await pay(keyB, p.euro.id, bar.id, 100, pass);
    assert.equal(problem(second), '409 ledger-pass-used', second.body);
    assert.equal(await transfers(), before);
  });

  test('a pass names its venue: another venue cannot use it (403), nor can it take more than its maximum (403)', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 5000);
    const atA = await w.placeAccount(w.venueA.id, w.euro);
    const atB = await w.placeAccount(w.venueB.id, w.euro);
    const before = await transfers();
    const forB = await passFor(p.actor, w.venueB.id, 2000);
    const elsewhere = await pay(keyA, p.euro.id, atA.id, 500, forB);
    assert.equal(problem(elsewhere), '403 ledger-pass-venue', elsewhere.body);
    const tooMuch = await pay(keyB, p.euro.id, atB.id, 2001, forB);
    assert.equal(problem(tooMuch), '403 ledger-pass-amount', tooMuch.body);
    // Two transfers of one request are counted together.
    const split = await withKey(t.app, keyB, 'POST', '/api/v1/transfers', {
      transfers: [
        { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: atB.id, amount: 1500, kind: 'payment' },
        { id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: atB.id, amount: 501, kind: 'payment' },
      ],
      holder: forB,
    });
    assert.equal(problem(split), '403 ledger-pass-amount', split.body);
    assert.equal(await transfers(), before);
    // Refused requests did not spend it: the pass still pays its venue, up to its maximum.
    assert.equal((await pay(keyB, p.euro.id, atB.id, 2000, forB)).statusCode, 201);
  });

  test('a hold spends the pass for its amount; its post needs no pass', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 5000);
    const bar = await w.placeAccount(w.venueB.id, w.euro);
    const pass = await passFor(p.actor, w.venueB.id, 3000);
    const holdId = uuidv7();
    const hold = await withKey(t.app, keyB, 'POST', '/api/v1/holds', {
      id: holdId,
      debitAccountId: p.euro.id,
      creditAccountId: bar.id,
      amount: 3000,
      kind: 'payment',
      holder: pass,
    });
    assert.equal(hold.statusCode, 201, hold.body);
    const again = await withKey(t.app, keyB, 'POST', '/api/v1/holds', {
      id: uuidv7(),
      debitAccountId: p.euro.id,
      creditAccountId: bar.id,
      amount: 10,
      kind: 'payment',
      holder: pass,
    });
    assert.equal(problem(again), '409 ledger-pass-used', again.body);
    const post = await withKey(t.app, keyB, 'POST', `/api/v1/holds/${holdId}/post`, { id: uuidv7(), amount: 2500 });
    assert.equal(post.statusCode, 201, post.body);
  });

  test('issuing over the API: the person chooses the venue and the maximum; 2 minutes; bad input refused', async () => {
    const email = `pass-${uuidv7()}@example.org`;
    const c = await t.loginAs(email);
    const ok = await c.api('POST', '/api/v1/wallet/passes', { venue: w.venueB.slug, maxAmount: 2000 });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.headers['cache-control'], 'no-store');
    const body = ok.json();
    assert.equal(body.venue.slug, w.venueB.slug);
    assert.equal(body.maxAmount, 2000);
    const ttl = new Date(body.expiresAt).getTime() - Date.now();
    assert.ok(ttl > 100_000 && ttl <= 120_000, String(ttl));
    for (const bad of [
      { venue: w.venueB.slug, maxAmount: 0 },
      { venue: w.venueB.slug, maxAmount: 1_000_000_001 },
      { venue: w.venueB.slug, maxAmount: 12.5 },
      { venue: w.venueB.slug },
      { maxAmount: 100 },
    ])
      assert.equal((await c.api('POST', '/api/v1/wallet/passes', bad)).statusCode, 422, JSON.stringify(bad));
    assert.equal(
      (await c.api('POST', '/api/v1/wallet/passes', { venue: 'no-such-venue', maxAmount: 100 })).statusCode,
      404,
    );
    assert.equal(
      (await t.client().api('POST', '/api/v1/wallet/passes', { venue: w.venueB.slug, maxAmount: 1 })).statusCode,
      401,
    );
    assert.equal(
      (await withKey(t.app, keyB, 'POST', '/api/v1/wallet/passes', { venue: w.venueB.slug, maxAmount: 1 })).statusCode,
      401,
    );
    // The old, unbound pass is gone.
    assert.equal((await c.api('GET', '/api/v1/wallet/pass')).statusCode, 404);
  });

  test('the wallet page shows a QR for a chosen venue and maximum, and remembers the choice', async () => {
    const email = `qr-${uuidv7()}@example.org`;
    const c = await t.loginAs(email);
    const wallet = await c.get('/wallet');
    assert.match(wallet.body, /href="\/wallet\/pay"/);
    const form = await c.get('/wallet/pay');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, new RegExp(`value="${w.venueB.slug}"`));
    const shown = await c.get(`/wallet/pay?venue=${w.venueB.slug}&max=20`);
    assert.equal(shown.statusCode, 200);
    assert.equal(shown.headers['cache-control'], 'no-store');
    assert.match(shown.body, /<svg[^>]*>/);
    assert.match(shown.body, /20,00/);
    // Next time, the page opens on the same venue and maximum: one tap at the bar.
    const next = await c.get('/wallet/pay');
    assert.match(next.body, /<svg[^>]*>/);
    const bad = await c.get(`/wallet/pay?venue=${w.venueB.slug}&max=abc`);
    assert.equal(bad.statusCode, 422);
    assert.equal((await t.client().get('/wallet/pay')).statusCode, 303);
  });

  test(
    'on PostgreSQL: 10 requests with one pass at once: one payment',
    { skip: !onPostgres && 'needs PostgreSQL (real concurrency)' },
    async () => {
      const p = await w.person();
      await w.fund(p.euro.id, 5000);
      const bar = await w.placeAccount(w.venueB.id, w.euro);
      const pass = await passFor(p.actor, w.venueB.id, 100);
      const results = await Promise.all(Array.from({ length: 10 }, () => pay(keyB, p.euro.id, bar.id, 100, pass)));
      assert.equal(results.filter((r) => r.statusCode === 201).length, 1);
      assert.ok(results.every((r) => r.statusCode === 201 || problem(r).endsWith('ledger-pass-used')));
    },
  );
});

describe('spent passes are kept while they could be replayed, not forever', () => {
  test('rows of passes expired over an hour ago go; a pass purged is still refused by its expiry', async () => {
    const p = await w.person();
    await w.fund(p.euro.id, 1000);
    const bar = await w.placeAccount(w.venueB.id, w.euro);
    // A pass issued (and spent) long ago: its expiry is in its signed payload.
    const old = await issueWalletPass(
      t.db,
      p.actor,
      { placeId: w.venueB.id, maxAmount: 100 },
      Date.now() - 2 * 3600_000,
    );
    await t.db
      .insertInto('ledger_wallet_passes')
      .values({
        nonce: `old${uuidv7().replace(/-/g, '')}`,
        person_id: p.actor.personId,
        place_id: w.venueB.id,
        max_amount: 100,
        expires_at: old.expiresAt,
        request_sha256: 'x',
      })
      .execute();
    const fresh = await passFor(p.actor, w.venueB.id, 100);
    assert.equal((await pay(keyB, p.euro.id, bar.id, 100, fresh)).statusCode, 201);
    const kept = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from ledger_wallet_passes`.execute(t.db)).rows[0]!.n);
    const before = await kept();
    assert.equal(await purgeWalletPasses(t.db), 1);
    assert.equal(await kept(), before - 1);
    const replay = await pay(keyB, p.euro.id, bar.id, 100, old.pass);
    assert.equal(problem(replay), '403 ledger-holder-absent');
    // The fresh pass's row stays: it is still refused as spent.
    assert.equal(problem(await pay(keyB, p.euro.id, bar.id, 100, fresh)), '409 ledger-pass-used');
  });
});
