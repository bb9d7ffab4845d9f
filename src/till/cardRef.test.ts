// A card named by its printed number or its QR code (docs/TILL.md, "A card by its printed number or its QR code"):
// the same lookup and the same sale as by UID, with the same rules.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestNode } from '../../test/harness.ts';
import { uuidv7 } from '../shared/ids.ts';
import { signedRequest, type TillWorld, useTillNode } from './testFixtures.ts';

let t: TestNode;
let w: TillWorld;
let session: string;

useTillNode((opened) => ({ t, w, session } = opened));

const lookup = (body: Record<string, unknown>) =>
  signedRequest(t.app, w.device, 'POST', '/api/v1/till/cards/lookup', { session, ...body });
const sell = (card: Record<string, unknown>, payment: Record<string, unknown> = {}, amountCents = 350) =>
  signedRequest(t.app, w.device, 'POST', '/api/v1/till/sales', {
    id: uuidv7(),
    session,
    pointId: w.pointId,
    ...card,
    items: [{ articleId: w.articles.sale, quantity: 1 }],
    payments: [{ method: 'card', amountCents, ...payment }],
  });

describe('till: a card by its printed number or its QR code', () => {
  test('the lookup finds it by number (any case, spaces) and by QR address; never answers a UID', async () => {
    const card = await w.newCard();
    await w.fund(card, w.euro, 1000);
    await w.fund(card, w.otherGift, 500);
    const byUid = await lookup({ cardUid: card.uid });
    const spaced = card.number.toLowerCase().replace(/(...)/, '$1 ');
    for (const body of [
      { cardNumber: card.number },
      { cardNumber: spaced },
      { cardToken: `https://rezo.example/cards/${card.token!}` },
      { cardToken: card.token! },
    ]) {
      const r = await lookup(body);
      assert.equal(r.statusCode, 200, `${JSON.stringify(body)} ${r.body}`);
      // Same answer as by UID: another venue's currency is shown, not usable here, as before.
      assert.deepEqual(r.json(), byUid.json());
      assert.ok(!r.body.includes(`"${card.uid}"`), 'the answer never holds the UID');
    }
    assert.deepEqual(
      byUid.json().balances.map((b: { currency: string; usableHere: boolean }) => [b.currency, b.usableHere]),
      [
        [w.euro.code, true],
        [w.otherGift.code, false],
      ],
    );
  });

  test('blocked stays blocked, unknown is 404, two ways at once is 422, a session is still required', async () => {
    const blocked = await w.newCard({ blocked: true });
    await w.fund(blocked, w.euro, 1000);
    const b = await lookup({ cardNumber: blocked.number });
    assert.equal(b.statusCode, 200, b.body);
    assert.equal(b.json().card.status, 'blocked');
    assert.deepEqual(b.json().balances, []);
    for (const ref of [{ cardNumber: blocked.number }, { cardToken: `/cards/${blocked.token!}` }]) {
      const sale = await sell(ref);
      assert.equal(sale.statusCode, 403, sale.body);
      assert.match(sale.json().type, /till-card-blocked$/);
    }
    for (const ref of [{ cardNumber: 'NOPE-404' }, { cardToken: '/cards/qr-this-token-does-not-exist' }]) {
      const r = await lookup(ref);
      assert.equal(r.statusCode, 404, r.body);
      assert.match(r.json().type, /till-card-unknown$/);
      const s = await sell(ref);
      assert.equal(s.statusCode, 404, s.body);
    }
    const card = await w.newCard();
    const both = await lookup({ cardUid: card.uid, cardNumber: card.number });
    assert.equal(both.statusCode, 422, both.body);
    const noSession = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/cards/lookup', {
      session: 'x.y',
      cardNumber: card.number,
    });
    assert.equal(noSession.statusCode, 401, noSession.body);
  });

  test('a sale by number or QR pays from the card as by UID; the retry by UID is the same sale', async () => {
    const card = await w.newCard();
    await w.fund(card, w.euro, 1000);
    await w.fund(card, w.otherGift, 500);
    const id = uuidv7();
    const body = (ref: Record<string, unknown>) => ({
      id,
      session,
      pointId: w.pointId,
      ...ref,
      items: [{ articleId: w.articles.sale, quantity: 1 }],
      payments: [{ method: 'card', amountCents: 350 }],
    });
    const first = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/sales', body({ cardNumber: card.number }));
    assert.equal(first.statusCode, 201, first.body);
    assert.deepEqual(
      first.json().payments.map((p: { currency: string; amountCents: number }) => [p.currency, p.amountCents]),
      [[w.euro.code, 350]],
      'another venue’s gift credit is not spent here',
    );
    const again = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/sales', body({ cardUid: card.uid }));
    assert.equal(again.statusCode, 200, again.body);
    const byQr = await sell({ cardToken: `http://localhost/cards/${card.token!}` });
    assert.equal(byQr.statusCode, 201, byQr.body);
    const short = await sell({ cardNumber: card.number }); // 300 left of 1000
    assert.equal(short.statusCode, 422, short.body);
    assert.match(short.json().type, /till-insufficient-funds$/);
    assert.equal(short.json().card, card.number);
    // A second card named by its number on a payment (a split).
    const other = await w.newCard();
    await w.fund(other, w.euro, 1000);
    const split = await signedRequest(t.app, w.device, 'POST', '/api/v1/till/sales', {
      id: uuidv7(),
      session,
      pointId: w.pointId,
      cardNumber: card.number,
      items: [{ articleId: w.articles.sale, quantity: 2 }],
      payments: [
        { method: 'card', amountCents: 300, cardNumber: card.number },
        { method: 'card', amountCents: 400, cardToken: other.token! },
      ],
    });
    assert.equal(split.statusCode, 201, split.body);
  });
});
