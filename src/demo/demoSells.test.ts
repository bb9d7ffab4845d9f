import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { demoStartLines } from './demoStartLines.ts';
import { loadDemo } from './loadDemo.ts';

// A newcomer's `npm start`: development, no Stripe key, the demo territory — and the demo sells.
let t: TestNode;
before(async () => {
  t = await createTestNode({ env: 'development', demoPayments: true });
  assert.equal(await loadDemo(t.db, t.config), true);
});
after(async () => {
  await t.close();
});

test('the demo has ticketed events with full, reduced, members’, pay-what-you-want and free prices, and membership products', async () => {
  const kinds = await t.db.selectFrom('ticket_prices').select('kind').distinct().execute();
  assert.deepEqual(kinds.map((k) => k.kind).sort(), ['fixed', 'free', 'member_only', 'pay_what_you_want']);
  const events = await t.db.selectFrom('ticket_prices').select('event_id').distinct().execute();
  assert.ok(events.length >= 8, `${events.length} ticketed events`);
  const products = await t.db
    .selectFrom('membership_products as m')
    .innerJoin('places as p', 'p.id', 'm.place_id')
    .select(['p.slug', 'm.price_kind'])
    .execute();
  assert.ok(products.some((p) => p.slug === 'la-fabrik' && p.price_kind === 'fixed'));
  assert.ok(products.some((p) => p.slug === 'jardin-partage'));
  const lines = (await demoStartLines(t.db, t.config)).join('\n');
  assert.match(lines, /Buy a ticket at http:\/\/rezo\.test\/events\/[a-z0-9-]+,/);
});

test('a visitor buys a ticket on an event page and pays on the demo page: the ticket is issued', async () => {
  const price = await t.db
    .selectFrom('ticket_prices as tp')
    .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'tp.place_id').onRef('e.id', '=', 'tp.event_id'))
    .innerJoin('event_dates as d', (j) => j.onRef('d.event_id', '=', 'e.id'))
    .select(['tp.id', 'e.id as eventId', 'e.slug', 'd.id as dateId'])
    .where('tp.kind', '=', 'fixed')
    .orderBy('d.starts_at')
    .executeTakeFirstOrThrow();
  const c = t.client();
  const page = await c.get(`/events/${price.slug}`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, new RegExp(`name="q\\.${price.id}\\.${price.dateId}"`));
  const order = await c.postForm(`/events/${price.eventId}/order`, {
    [`q.${price.id}.${price.dateId}`]: '2',
    email: 'visitor@example.org',
    name: 'Visiteur',
  });
  assert.equal(order.statusCode, 303, order.body.slice(0, 500));
  const demo = String(order.headers.location);
  assert.match(demo, /^\/payments\/[0-9a-f-]{36}\/demo$/);
  assert.match((await c.get(demo)).body, /Paiement de démonstration — aucun argent réel/);
  const paid = await c.postForm(`${demo}/pay`, {});
  assert.equal(paid.statusCode, 303);
  const back = String(paid.headers.location);
  assert.match(back, /^\/orders\/[0-9a-f-]{36}\?payment=paid$/);
  const orderPage = await c.get(back);
  assert.equal(orderPage.statusCode, 200);
  const orderId = back.split('/')[2]!.split('?')[0]!;
  const tickets = await t.db.selectFrom('tickets').select('status').where('order_id', '=', orderId).execute();
  assert.deepEqual(
    tickets.map((k) => k.status),
    ['valid', 'valid'],
  );
});

test('a person takes a membership and tops up the wallet online, both with the demo payment', async () => {
  const c = await t.loginAs('newcomer@example.org');
  const venue = await c.get('/venues/la-fabrik');
  // "Adhérer" opens the membership form, which shows the dates and price before it pays.
  const link = /href="(\/venues\/la-fabrik\/memberships\/[0-9a-f-]{36})"/.exec(venue.body)?.[1];
  assert.ok(link, 'a membership is offered on the venue page');
  const form = await c.get(link);
  const action = /action="(\/venues\/la-fabrik\/memberships\/[0-9a-f-]{36})"/.exec(form.body)?.[1];
  assert.ok(action, 'the membership form pays');
  const start = await c.postForm(action, {});
  assert.equal(start.statusCode, 303);
  const paid = await c.postForm(`${String(start.headers.location)}/pay`, {});
  assert.equal(paid.headers.location, '/account?payment=paid#memberships');
  const person = await t.db
    .selectFrom('people')
    .select('id')
    .where('email', '=', 'newcomer@example.org')
    .executeTakeFirstOrThrow();
  const membership = await t.db
    .selectFrom('memberships')
    .select('status')
    .where('person_id', '=', person.id)
    .executeTakeFirstOrThrow();
  assert.equal(membership.status, 'active');

  const wallet = await c.get('/wallet');
  assert.match(wallet.body, /action="\/wallet\/top-up"/);
  assert.doesNotMatch(wallet.body, /arrive avec le module de paiement/);
  const currency = /name="currency" value="([A-Z0-9]+)"/.exec(wallet.body)?.[1];
  const topUp = await c.postForm('/wallet/top-up', { ...(currency ? { currency } : {}), amount: '20' });
  assert.equal(topUp.statusCode, 303, topUp.body.slice(0, 300));
  const done = await c.postForm(`${String(topUp.headers.location)}/pay`, {});
  assert.equal(done.headers.location, '/wallet?payment=paid');
  const after = await c.get('/wallet');
  assert.match(after.body, /20,00/);
});

test('the demo has a sold-out date with people on its waiting list, and its event page says so', async () => {
  const full = await t.db
    .selectFrom('date_capacity as c')
    .innerJoin('event_dates as d', (j) =>
      j.onRef('d.place_id', '=', 'c.place_id').onRef('d.id', '=', 'c.event_date_id'),
    )
    .innerJoin('events as e', (j) => j.onRef('e.place_id', '=', 'd.place_id').onRef('e.id', '=', 'd.event_id'))
    .select(['c.event_date_id', 'c.capacity', 'c.taken', 'e.slug'])
    .whereRef('c.taken', '=', 'c.capacity')
    .execute();
  assert.equal(full.length, 1, 'one sold-out date');
  const date = full[0]!;
  const tickets = await t.db
    .selectFrom('tickets')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('event_date_id', '=', date.event_date_id)
    .where('status', '=', 'valid')
    .executeTakeFirstOrThrow();
  assert.equal(Number(tickets.n), date.capacity, 'every seat is a valid ticket');
  const waiting = await t.db
    .selectFrom('waitlist_entries')
    .select(['status', 'quantity'])
    .where('event_date_id', '=', date.event_date_id)
    .execute();
  assert.equal(waiting.length, 3);
  assert.ok(waiting.every((w) => w.status === 'waiting'));
  const page = await t.client().get(`/events/${date.slug}?lang=fr`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Complet : rejoindre la liste d’attente/);
});
