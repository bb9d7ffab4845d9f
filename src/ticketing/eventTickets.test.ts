import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTicketPrice } from './createTicketPrice.ts';
import { eventOnStripe, eventSelling, eventWithDates } from './testFixtures.ts';
import { quantityField, amountField } from './eventTickets.ts';
import { useStripeTestNode, type StripeTestNode } from '../payments/testFixtures.ts';

let t: StripeTestNode;
useStripeTestNode((node) => (t = node));

test('the event page sells its prices with the places left, in the page, the JSON-LD and the API', async () => {
  const ev = await eventOnStripe(
    t.db,
    { slug: 'page-sale', capacity: 3 },
    { name: 'Plein tarif', kind: 'fixed', price: '12' },
    { name: 'Prix libre', kind: 'pay_what_you_want', minPrice: '5' },
  );
  const [full, libre] = ev.priceIds;
  const d = ev.dateIds[0]!;
  const c = t.client();
  const page = await c.get('/events/page-sale-concert');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<h2 id="tickets-title">Billets<\/h2>/);
  assert.match(page.body, /3 places restantes/);
  const ld = JSON.parse(
    /<script type="application\/ld\+json">(.*?)<\/script>/s.exec(page.body)![1]!.replace(/\\u003c/g, '<'),
  );
  const offers = (Array.isArray(ld) ? ld[0] : ld).offers;
  assert.equal(offers.length, 2);
  assert.deepEqual(
    [offers[0].price, offers[0].inventoryLevel.value, offers[0].availability],
    ['12.00', 3, 'https://schema.org/InStock'],
  );

  const none = await c.postForm(`/events/${ev.eventId}/order`, { email: 'buyer@example.org' });
  assert.equal(none.statusCode, 422);
  assert.match(none.body, /Choisissez au moins une place/);
  const low = await c.postForm(`/events/${ev.eventId}/order`, {
    email: 'buyer@example.org',
    [quantityField(libre, d)]: '1',
    [amountField(libre, d)]: '2',
  });
  assert.equal(low.statusCode, 422);
  assert.match(low.body, /inférieur au minimum/);

  const buy = await c.postForm(`/events/${ev.eventId}/order`, {
    email: 'buyer@example.org',
    name: 'Ada',
    [quantityField(full, d)]: '2',
  });
  assert.equal(buy.statusCode, 303);
  assert.match(String(buy.headers.location), /\/pay\/cs_test_/);
  const api = await t.app.inject({ url: `/api/v1/events/${ev.eventId}/offers` });
  assert.equal(api.statusCode, 200);
  assert.deepEqual(
    api.json().items[0].prices.map((p: { remaining: number }) => p.remaining),
    [1, 1],
  );
  const soldOut = await c.postForm(`/events/${ev.eventId}/order`, {
    email: 'late@example.org',
    [quantityField(full, d)]: '2',
  });
  assert.equal(soldOut.statusCode, 409);
  assert.match(soldOut.body, /plus assez de places/);
});

test('drafts and private events sell nothing and show nothing', async () => {
  const x = { name: 'X', kind: 'fixed', price: '1' } as const;
  const draft = await eventSelling(t.db, { slug: 'hidden-sale', state: 'draft' }, x);
  assert.equal((await t.app.inject({ url: `/api/v1/events/${draft.eventId}/offers` })).statusCode, 404);
  const priv = await eventSelling(t.db, { slug: 'private-sale', visibility: 'private' }, x);
  assert.equal((await t.app.inject({ url: `/api/v1/events/${priv.eventId}/offers` })).statusCode, 404);
});

test('buying while logged out: "Se connecter" brings the person back to the event page, not the home page', async () => {
  const ev = await eventWithDates(t.db, { slug: 'intent-sale', capacity: 3 });
  await createTicketPrice(t.db, ev.admin, { slug: 'intent-sale', eventId: ev.eventId, name: 'Entrée', kind: 'free' });
  const c = t.client();
  const page = await c.get('/events/intent-sale-concert');
  const next = '/events/intent-sale-concert';
  assert.match(
    page.body,
    new RegExp(`href="/login\\?next=${encodeURIComponent(next)}">Se connecter</a> pour commander`),
  );
  await c.postForm('/login', { email: 'intent@example.org', next });
  const link = /\/login\/[A-Za-z0-9_-]{43}/.exec((await t.lastMailTo('intent@example.org'))!.text)![0];
  const back = await c.postForm(link, {});
  assert.equal(back.headers.location, next);
  const logged = await c.get(next);
  assert.doesNotMatch(logged.body, /pour commander avec votre compte/);
});
