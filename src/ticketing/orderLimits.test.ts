import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestNode, onPostgres, type Client, type TestNode } from '../../test/harness.ts';
import { SYSTEM } from '../access/actor.ts';
import { TooManyRequests } from '../shared/rateLimits.ts';
import { cancelOrder } from './cancelOrder.ts';
import { confirmFreeOrder } from './confirmFreeOrder.ts';
import { createTicketPrice } from './createTicketPrice.ts';
import { quantityField } from './eventTickets.ts';
import { placeOrder } from './placeOrder.ts';
import { releaseExpiredOrders } from './releaseExpiredOrders.ts';
import { eventSelling } from './testFixtures.ts';
import { countRows } from '../../test/testDatabase.ts';

// This file's node runs with production-like order limits (the test configuration turns them off),
// small enough to reach, and behind a proxy so each request can come from its own address.
let t: TestNode;
before(async () => {
  t = await createTestNode({
    trustProxy: true,
    ordersPerClient: 3,
    ordersPerEmail: 2,
    unconfirmedHoldPercent: 50,
    bookingHoldMinutes: 5,
  });
});
after(() => t.close());

async function freeEvent(slug: string, capacity = 100) {
  const ev = await eventSelling(t.db, { slug, capacity }, { name: 'Entrée libre', kind: 'free' });
  const [price] = ev.priceIds;
  return { ...ev, price, date: ev.dateIds[0]! };
}
type Ev = Awaited<ReturnType<typeof freeEvent>>;

/** POST /api/v1/orders from a client address (X-Forwarded-For, the node trusts its proxy). */
const orderFrom = (c: Client, ip: string, ev: Ev, email: string, quantity = 1, lang = 'fr') =>
  c.api(
    'POST',
    '/api/v1/orders',
    { venue: ev.place.slug, email, lines: [{ priceId: ev.price, eventDateId: ev.date, quantity }] },
    { 'x-forwarded-for': ip, 'accept-language': lang },
  );
const ordersOf = async (placeId: string) => countRows(t.db, 'orders', { place_id: placeId });
/** The date's counter of unconfirmed anonymous places, checked against what the flagged orders hold. */
async function unconfirmed(ev: Ev) {
  const counter = await t.db
    .selectFrom('date_capacity')
    .select(['held_unconfirmed', 'taken'])
    .where('event_date_id', '=', ev.date)
    .executeTakeFirstOrThrow();
  const { rows } = await sql<{ n: number }>`
    select coalesce(sum(l.quantity), 0)::int as n from orders o
      join order_lines l on l.place_id = o.place_id and l.order_id = o.id
     where o.place_id = ${ev.place.id} and o.unconfirmed_hold and l.event_date_id = ${ev.date}`.execute(t.db);
  assert.equal(counter.held_unconfirmed, rows[0]!.n, 'the counter equals what the flagged orders hold');
  return counter;
}
function assertTooMany(
  answer: Awaited<ReturnType<Client['api']>>,
  code: string,
  maxSeconds: number,
): { detail: string; title: string } {
  assert.equal(answer.statusCode, 429, answer.body);
  assert.match(answer.headers['content-type'] as string, /^application\/problem\+json/);
  const retryAfter = Number(answer.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= maxSeconds, `Retry-After ${answer.headers['retry-after']}`);
  const problem = answer.json();
  assert.equal(problem.type.split('/').pop(), code);
  return problem;
}

describe('limits per client and per address', () => {
  test('orders without an account are limited per client address; another address, or a logged-in buyer, still orders', async () => {
    const ev = await freeEvent('per-client');
    const c = t.client();
    for (let i = 0; i < 3; i++)
      assert.equal((await orderFrom(c, '203.0.113.5', ev, `c${i}@example.org`)).statusCode, 201);
    const count = await ordersOf(ev.place.id);
    const refused = await orderFrom(c, '203.0.113.5', ev, 'c3@example.org');
    const fr = assertTooMany(refused, 'too-many-orders', 900);
    assert.match(fr.detail, /Réessayez dans \d+ min/);
    const en = assertTooMany(await orderFrom(c, '203.0.113.5', ev, 'c3@example.org', 1, 'en'), 'too-many-orders', 900);
    assert.match(en.title, /Too many orders/);
    assert.equal(await ordersOf(ev.place.id), count, 'nothing written');
    assert.equal(await t.lastMailTo('c3@example.org'), undefined, 'no mail to the refused address');

    assert.equal((await orderFrom(c, '203.0.113.6', ev, 'c4@example.org')).statusCode, 201);
    const member = await t.loginAs('member@example.org');
    assert.equal((await orderFrom(member, '203.0.113.5', ev, 'member@example.org')).statusCode, 201);
  });

  test('orders are limited per e-mail address, whatever the client', async () => {
    const ev = await freeEvent('per-email');
    const c = t.client();
    assert.equal((await orderFrom(c, '198.51.100.1', ev, 'flooded@example.org')).statusCode, 201);
    assert.equal((await orderFrom(c, '198.51.100.2', ev, 'Flooded@Example.org')).statusCode, 201);
    assertTooMany(await orderFrom(c, '198.51.100.3', ev, 'flooded@example.org'), 'too-many-orders', 900);
    const mails = await t.db
      .selectFrom('mail_outbox')
      .select('id')
      .where('to_address', '=', 'flooded@example.org')
      .execute();
    assert.equal(mails.length, 2, 'the address got two mails, not three');
  });
});

describe('unconfirmed anonymous holds', () => {
  test('two anonymous requests no longer take a free 20-place date: half at most, the rest for logged-in buyers, given back when confirmed or ended', async () => {
    const ev = await freeEvent('half', 20);
    const c = t.client();
    const first = await orderFrom(c, '192.0.2.10', ev, 'a@example.org', 10);
    assert.equal(first.statusCode, 201);
    const second = await orderFrom(c, '192.0.2.11', ev, 'b@example.org', 10);
    const problem = assertTooMany(second, 'unconfirmed-holds-full', 5 * 60);
    assert.match(problem.detail, /connectez-vous/i);
    assertTooMany(await orderFrom(c, '192.0.2.11', ev, 'b@example.org', 1), 'unconfirmed-holds-full', 5 * 60);
    assert.deepEqual(await unconfirmed(ev), { held_unconfirmed: 10, taken: 10 });
    // Logged in, the buyer is known: the other half is open to them.
    const member = await t.loginAs('known@example.org');
    assert.equal((await orderFrom(member, '192.0.2.11', ev, 'known@example.org', 5)).statusCode, 201);
    assert.deepEqual(await unconfirmed(ev), { held_unconfirmed: 10, taken: 15 });
    // The event page's form says so too, in the page, with Retry-After.
    const page = await c.postForm(`/events/${ev.eventId}/order`, {
      email: 'page@example.org',
      [quantityField(ev.price, ev.date)]: '1',
    });
    assert.equal(page.statusCode, 429);
    assert.ok(Number(page.headers['retry-after']) >= 1);
    assert.match(page.body, /connectez-vous/i);

    // The first booking confirmed by its link: its places leave the unconfirmed share — not in the
    // confirming transaction (it never locks the date), but before anyone is refused for it.
    const mail = await t.lastMailTo('a@example.org');
    await confirmFreeOrder(t.db, t.config, /\/orders\/confirm\/([A-Za-z0-9_-]{43})/.exec(mail!.text)![1]!);
    assert.deepEqual(await unconfirmed(ev), { held_unconfirmed: 10, taken: 15 });
    const late = await placeOrder(t.db, t.config, null, {
      slug: 'half',
      email: 'late@example.org',
      language: 'fr',
      clientAddress: '192.0.2.12',
      lines: [{ priceId: ev.price, eventDateId: ev.date, quantity: 3 }],
    });
    assert.deepEqual(await unconfirmed(ev), { held_unconfirmed: 3, taken: 18 });
    // Ended without confirmation (expired), or cancelled by the venue: given back once.
    await sql`update orders set expires_at = now() - interval '1 second' where id = ${late.id}`.execute(t.db);
    await releaseExpiredOrders(t.db, { placeId: ev.place.id });
    assert.deepEqual(await unconfirmed(ev), { held_unconfirmed: 0, taken: 15 });
    const cancelled = await orderFrom(c, '192.0.2.13', ev, 'e@example.org', 2);
    assert.deepEqual(await unconfirmed(ev), { held_unconfirmed: 2, taken: 17 });
    await cancelOrder(t.db, null, SYSTEM, { orderId: cancelled.json().id });
    assert.deepEqual(await unconfirmed(ev), { held_unconfirmed: 0, taken: 15 });
  });

  test('a free booking holds its places for the short booking time, a paid order for the checkout time', async () => {
    const ev = await freeEvent('short-hold');
    const { id: paid } = await createTicketPrice(t.db, ev.admin, {
      slug: 'short-hold',
      eventId: ev.eventId,
      name: 'Plein',
      kind: 'fixed',
      price: '10',
    });
    const place = (priceId: string, email: string) =>
      placeOrder(t.db, t.config, null, {
        slug: 'short-hold',
        email,
        language: 'fr',
        lines: [{ priceId, eventDateId: ev.date, quantity: 1 }],
      });
    const minutesLeft = (d: Date) => Math.round((d.getTime() - Date.now()) / 60_000);
    const booking = await place(ev.price, 'short@example.org');
    assert.equal(minutesLeft(booking.expiresAt), 5);
    assert.match((await t.lastMailTo('short@example.org'))!.text, /5 minutes/);
    assert.equal(minutesLeft((await place(paid, 'checkout@example.org')).expiresAt), 15);
  });

  test(
    'confirming an order without an account never waits for the date’s capacity row (the hot row of a sale)',
    { skip: !onPostgres && 'needs PostgreSQL for real locks' },
    async () => {
      const ev = await freeEvent('no-hot-lock', 20);
      const placed = await placeOrder(t.db, t.config, null, {
        slug: 'no-hot-lock',
        email: 'calm@example.org',
        language: 'fr',
        lines: [{ priceId: ev.price, eventDateId: ev.date, quantity: 2 }],
      });
      const token = /\/orders\/confirm\/([A-Za-z0-9_-]{43})/.exec((await t.lastMailTo('calm@example.org'))!.text)![1]!;
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      // A buyer's statement holding the date's row for a while.
      const blocker = t.db.transaction().execute(async (trx) => {
        await sql`select 1 from date_capacity where event_date_id = ${ev.date} for no key update`.execute(trx);
        locked();
        await released;
      });
      await isLocked;
      try {
        const confirmed = await Promise.race([
          confirmFreeOrder(t.db, t.config, token).then(() => 'confirmed'),
          new Promise((r) => setTimeout(() => r('waited'), 3000)),
        ]);
        assert.equal(confirmed, 'confirmed');
      } finally {
        release();
        await blocker;
      }
      assert.equal(
        (await t.db.selectFrom('orders').select('status').where('id', '=', placed.id).executeTakeFirstOrThrow()).status,
        'paid',
      );
    },
  );

  test(
    '40 anonymous buyers at once on 20 places at 50 %: exactly 10 places held, equal to what the flagged orders hold',
    { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
    async () => {
      const ev = await freeEvent('anon-rush', 20);
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          placeOrder(t.db, t.config, null, {
            slug: 'anon-rush',
            email: `rush${i}@example.org`,
            language: 'fr',
            clientAddress: `10.0.${i}.1`,
            lines: [{ priceId: ev.price, eventDateId: ev.date, quantity: 1 }],
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
      for (const r of results.filter((r) => r.status === 'rejected'))
        assert.ok(
          (r as PromiseRejectedResult).reason instanceof TooManyRequests &&
            (r as PromiseRejectedResult).reason.code === 'unconfirmed-holds-full',
          String((r as PromiseRejectedResult).reason),
        );
      assert.deepEqual(await unconfirmed(ev), { held_unconfirmed: 10, taken: 10 });
    },
  );
});
