import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestNode, onPostgres, type TestNode } from '../../test/harness.ts';
import { personActor } from '../access/actor.ts';
import { ledgerSellingWorld } from './testFixtures.ts';
import { cancelOrder } from './cancelOrder.ts';
import { markOrderPaidOnSite, placeOrderOnSite, setOnSitePayment } from './payOnSite.ts';
import { releaseExpiredOrders } from './releaseExpiredOrders.ts';
import { joinWaitingList, offerFreedSeats } from './waitingList.ts';
import { sellableOffers } from './sellableOffers.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';

let t: TestNode;
before(async () => {
  t = await createTestNode();
});
after(async () => {
  await t.close();
});

/** Venue A sells a 15 € ticket for a date in 7 days with 50 seats; a door volunteer of A; an admin of B. */
async function sellingWorld() {
  const { world, eventId, dateId, priceId } = await ledgerSellingWorld(t.db);
  const door = await world.person();
  await t.db
    .insertInto('place_members')
    .values({ place_id: world.venueA.id, person_id: door.actor.personId, role: 'door' })
    .execute();
  const adminB = await world.person();
  await t.db
    .insertInto('place_members')
    .values({ place_id: world.venueB.id, person_id: adminB.actor.personId, role: 'admin' })
    .execute();
  return { world, eventId, dateId, priceId, door: door.actor, adminB: adminB.actor };
}
type World = Awaited<ReturnType<typeof sellingWorld>>;

const order = (w: World, buyer: { actor: { personId: string }; email: string }) =>
  placeOrderOnSite(t.db, t.config, personActor(buyer.actor.personId), {
    slug: w.world.venueA.slug,
    email: buyer.email,
    language: 'fr',
    lines: [{ priceId: w.priceId, eventDateId: w.dateId, quantity: 2 }],
  });

const taken = async (dateId: string) =>
  (await t.db.selectFrom('date_capacity').select('taken').where('event_date_id', '=', dateId).executeTakeFirstOrThrow())
    .taken;
const realConcurrency = { skip: !onPostgres && 'needs PostgreSQL for real concurrency' };

/** The selling world with payment on site allowed, orders held 24 hours. */
async function onSiteWorld() {
  const w = await sellingWorld();
  await setOnSitePayment(t.db, w.world.adminA, { slug: w.world.venueA.slug, enabled: true, holdHours: 24 });
  return w;
}

/** An order held for payment on site whose deadline passed a second ago. */
async function heldPastItsDeadline(w: World) {
  await setOnSitePayment(t.db, w.world.adminA, { slug: w.world.venueA.slug, enabled: true, holdHours: 2 });
  const placed = await order(w, await w.world.person());
  await t.db
    .updateTable('orders')
    .set({ expires_at: sql<Date>`now() - interval '1 second'` })
    .where('id', '=', placed.id)
    .execute();
  return placed;
}
const paymentStatus = async (orderId: string) =>
  (await t.db.selectFrom('payments').select('status').where('subject_id', '=', orderId).executeTakeFirstOrThrow())
    .status;
const ticketsOf = async (orderId: string) =>
  (await t.db.selectFrom('tickets').select('id').where('order_id', '=', orderId).execute()).length;

async function refused(p: Promise<unknown>, status: number, code?: string) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DomainError, String(e));
    assert.equal(e.status, status);
    if (code) assert.equal(e.code, code);
    return true;
  });
}

describe('paying on site (docs/TICKETING.md, "Paying on site")', () => {
  test('the setting off: a forged on-site order is refused and holds nothing', async () => {
    const w = await sellingWorld();
    const buyer = await w.world.person();
    await refused(order(w, buyer), 409, 'on-site-not-allowed');
    assert.equal(await taken(w.dateId), 0);
    const orders = await t.db.selectFrom('orders').select('id').where('place_id', '=', w.world.venueA.id).execute();
    assert.equal(orders.length, 0);
  });

  test('only the venue admin turns it on; held until the deadline, then marked paid once by the door', async () => {
    const w = await sellingWorld();
    await refused(setOnSitePayment(t.db, w.door, { slug: w.world.venueA.slug, enabled: true, holdHours: 48 }), 403);
    await setOnSitePayment(t.db, w.world.adminA, { slug: w.world.venueA.slug, enabled: true, holdHours: 48 });
    const buyer = await w.world.person();
    const placed = await order(w, buyer);
    assert.equal(await taken(w.dateId), 2);
    const hours = (placed.expiresAt.getTime() - Date.now()) / 3_600_000;
    assert.ok(hours > 47 && hours <= 48, `held ${hours} hours`);
    const payment = await t.db
      .selectFrom('payments')
      .select(['provider', 'status', 'amount_cents'])
      .where('subject_id', '=', placed.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(payment, { provider: 'on_site', status: 'pending', amount_cents: 3000 });

    await refused(markOrderPaidOnSite(t.db, t.config, w.adminB, { orderId: placed.id, method: 'cash' }), 403);
    await refused(
      markOrderPaidOnSite(t.db, t.config, personActor(buyer.actor.personId), { orderId: placed.id, method: 'cash' }),
      403,
    );
    await refused(markOrderPaidOnSite(t.db, t.config, w.door, { orderId: placed.id, method: 'bitcoin' }), 422);
    assert.equal(await ticketsOf(placed.id), 0);

    const r = await markOrderPaidOnSite(t.db, t.config, w.door, { orderId: placed.id, method: 'card_terminal' });
    assert.equal(r.outcome, 'confirmed');
    const again = await markOrderPaidOnSite(t.db, t.config, w.world.adminA, { orderId: placed.id, method: 'cash' });
    assert.equal(again.outcome, 'already');
    assert.equal(await ticketsOf(placed.id), 2);
    const paid = await t.db
      .selectFrom('payments')
      .select(['status', 'method'])
      .where('subject_id', '=', placed.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(paid, { status: 'paid', method: 'card_terminal' });
    const o = await t.db.selectFrom('orders').select('status').where('id', '=', placed.id).executeTakeFirstOrThrow();
    assert.equal(o.status, 'paid');
  });

  test('refunding an on-site payment records it as given back by the venue, never sent anywhere', async () => {
    const w = await onSiteWorld();
    const placed = await order(w, await w.world.person());
    const { paymentId } = await markOrderPaidOnSite(t.db, t.config, w.door, { orderId: placed.id, method: 'cash' });
    const cancelled = await cancelOrder(t.db, null, w.world.adminA, { orderId: placed.id });
    assert.equal(cancelled.refundCents, 3000);
    const refunds = await t.db
      .selectFrom('refunds')
      .select(['status', 'amount_cents', 'provider_refund_id'])
      .where('payment_id', '=', paymentId)
      .execute();
    assert.deepEqual(refunds, [{ status: 'succeeded', amount_cents: 3000, provider_refund_id: null }]);
    assert.equal(await taken(w.dateId), 0);
  });

  test('no hold length: held until the date starts', async () => {
    const w = await sellingWorld();
    await setOnSitePayment(t.db, w.world.adminA, { slug: w.world.venueA.slug, enabled: true, holdHours: null });
    const placed = await order(w, await w.world.person());
    const starts = await t.db
      .selectFrom('event_dates')
      .select('starts_at')
      .where('id', '=', w.dateId)
      .executeTakeFirstOrThrow();
    assert.equal(placed.expiresAt.getTime(), starts.starts_at.getTime());
  });

  test('the deadline passed: marking paid is refused, the release job gives the seats back', async () => {
    const w = await sellingWorld();
    const placed = await heldPastItsDeadline(w);
    await refused(markOrderPaidOnSite(t.db, t.config, w.door, { orderId: placed.id, method: 'cash' }), 409);
    await refused(markOrderPaidOnSite(t.db, t.config, w.door, { orderId: placed.id, method: 'cash' }), 409);
    assert.equal(await ticketsOf(placed.id), 0);
    await releaseExpiredOrders(t.db, { placeId: w.world.venueA.id });
    assert.equal(await taken(w.dateId), 0);
    const rows = await t.db
      .selectFrom('orders')
      .innerJoin('payments', 'payments.subject_id', 'orders.id')
      .select(['orders.status as order', 'payments.status as payment'])
      .where('orders.id', '=', placed.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(rows, { order: 'expired', payment: 'expired' });
  });

  test('two concurrent "mark paid": tickets issued once', realConcurrency, async () => {
    const w = await onSiteWorld();
    const placed = await order(w, await w.world.person());
    const results = await Promise.all([
      markOrderPaidOnSite(t.db, t.config, w.door, { orderId: placed.id, method: 'cash' }),
      markOrderPaidOnSite(t.db, t.config, w.world.adminA, { orderId: placed.id, method: 'card_terminal' }),
      markOrderPaidOnSite(t.db, t.config, w.door, { orderId: placed.id, method: 'cash' }),
    ]);
    assert.deepEqual(results.map((r) => r.outcome).sort(), ['already', 'already', 'confirmed']);
    assert.equal(await ticketsOf(placed.id), 2);
    const audits = await t.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'payment.paid')
      .where('subject_id', '=', results[0]!.paymentId)
      .execute();
    assert.equal(audits.length, 1);
  });
  test('only people mark paid: a checkin-scope API key and a paired scanner get 403, nothing written', async () => {
    const w = await onSiteWorld();
    const placed = await order(w, await w.world.person());
    const key = {
      kind: 'apiKey',
      keyId: uuidv7(),
      placeId: w.world.venueA.id,
      scopes: ['checkin', 'place:write'],
    } as const;
    await refused(
      markOrderPaidOnSite(t.db, t.config, key, { orderId: placed.id, method: 'cash' }),
      403,
      'api-key-scope',
    );
    const scanner = { kind: 'scannerDevice', placeId: w.world.venueA.id, deviceId: uuidv7() } as const;
    await refused(
      markOrderPaidOnSite(t.db, t.config, scanner, { orderId: placed.id, method: 'cash' }),
      403,
      'on-site-people-only',
    );
    assert.equal(await paymentStatus(placed.id), 'pending');
    assert.equal(await ticketsOf(placed.id), 0);
  });

  test('bad input writes nothing: an unknown method, an hour count out of range', async () => {
    const w = await sellingWorld();
    await refused(
      setOnSitePayment(t.db, w.world.adminA, { slug: w.world.venueA.slug, enabled: true, holdHours: 0 }),
      422,
    );
    await refused(
      setOnSitePayment(t.db, w.world.adminA, { slug: w.world.venueA.slug, enabled: true, holdHours: '12; drop' }),
      422,
    );
    const settings = await t.db
      .selectFrom('on_site_payment_settings')
      .select('place_id')
      .where('place_id', '=', w.world.venueA.id)
      .execute();
    assert.equal(settings.length, 0);
    await setOnSitePayment(t.db, w.world.adminA, { slug: w.world.venueA.slug, enabled: true, holdHours: 24 });
    const placed = await order(w, await w.world.person());
    const audits = async () =>
      (await t.db.selectFrom('audit_log').select('id').where('place_id', '=', w.world.venueA.id).execute()).length;
    const before = await audits();
    for (const method of ['bitcoin', '', null, 42, ['cash']])
      await refused(markOrderPaidOnSite(t.db, t.config, w.door, { orderId: placed.id, method }), 422);
    await refused(markOrderPaidOnSite(t.db, t.config, w.door, { orderId: 'not-an-id', method: 'cash' }), 404);
    assert.equal(await audits(), before);
    assert.equal(await paymentStatus(placed.id), 'pending');
    assert.equal(await ticketsOf(placed.id), 0);
  });

  test('the deadline passed: the release job alone expires the order AND ends its on-site payment', async () => {
    const w = await sellingWorld();
    const placed = await heldPastItsDeadline(w);
    await releaseExpiredOrders(t.db, { placeId: w.world.venueA.id });
    assert.equal(await taken(w.dateId), 0);
    assert.equal(await paymentStatus(placed.id), 'expired');
    const ended = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'payment.expired')
      .where('place_id', '=', w.world.venueA.id)
      .execute();
    assert.equal(ended.length, 1);
    await refused(markOrderPaidOnSite(t.db, t.config, w.door, { orderId: placed.id, method: 'cash' }), 409);
    assert.equal(await ticketsOf(placed.id), 0);
  });

  test('the deadline passed: the seats freed are offered to the waiting list, as for any expired hold', async () => {
    const w = await sellingWorld();
    const placed = await heldPastItsDeadline(w);
    // The date is sold out by that order (its 2 seats of 2).
    await t.db.updateTable('date_capacity').set({ capacity: 2 }).where('event_date_id', '=', w.dateId).execute();
    const waiter = await w.world.person();
    const joined = await joinWaitingList(t.db, t.config, personActor(waiter.actor.personId), {
      eventId: w.eventId,
      dateId: w.dateId,
      priceId: w.priceId,
      quantity: 2,
      email: waiter.email,
      language: 'fr',
    });
    assert.equal(joined.status, 'waiting');
    await releaseExpiredOrders(t.db, { placeId: w.world.venueA.id });
    await offerFreedSeats(t.db, t.config);
    assert.equal(await paymentStatus(placed.id), 'expired');
    const entry = await t.db
      .selectFrom('waitlist_entries')
      .select('status')
      .where('id', '=', joined.id!)
      .executeTakeFirstOrThrow();
    assert.equal(entry.status, 'offered');
    assert.ok(await t.lastMailTo(waiter.email), 'the next person is told');
    assert.equal(await taken(w.dateId), 2);
  });

  test('a held order cancelled by the venue: its on-site payment ends with it, nothing left to mark', async () => {
    const w = await onSiteWorld();
    const placed = await order(w, await w.world.person());
    await cancelOrder(t.db, null, w.world.adminA, { orderId: placed.id });
    assert.equal(await paymentStatus(placed.id), 'expired');
    await refused(markOrderPaidOnSite(t.db, t.config, w.door, { orderId: placed.id, method: 'cash' }), 409);
    assert.equal(await ticketsOf(placed.id), 0);
  });

  test('the venue takes only on-site payments: its paid prices are offered', async () => {
    const w = await sellingWorld();
    const offered = async () =>
      (await sellableOffers(t.db, null, { ...t.config, demoPayments: false }, w.world.venueA.id, w.eventId)).length;
    assert.equal(await offered(), 0);
    await setOnSitePayment(t.db, w.world.adminA, { slug: w.world.venueA.slug, enabled: true, holdHours: null });
    assert.equal(await offered(), 1);
  });

  test('mark paid racing the expiry: one wins, whole', realConcurrency, async () => {
    const w = await onSiteWorld();
    const outcomes = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const placed = await order(w, await w.world.person());
      // The deadline falls in the middle of the race, a little earlier or later each round.
      await t.db
        .updateTable('orders')
        // Round 10 cannot expire during the race and round 11 already has: both outcomes are seen.
        .set({
          expires_at: sql<Date>`now() + make_interval(secs => ${round === 10 ? 3600 : round === 11 ? -1 : (round % 4) * 0.01})`,
        })
        .where('id', '=', placed.id)
        .execute();
      const [mark] = await Promise.allSettled([
        markOrderPaidOnSite(t.db, t.config, w.door, { orderId: placed.id, method: 'cash' }),
        new Promise((r) => setTimeout(r, (round % 3) * 10)).then(() =>
          releaseExpiredOrders(t.db, { placeId: w.world.venueA.id }),
        ),
      ]);
      await new Promise((r) => setTimeout(r, 50));
      await releaseExpiredOrders(t.db, { placeId: w.world.venueA.id });
      const o = await t.db.selectFrom('orders').select('status').where('id', '=', placed.id).executeTakeFirstOrThrow();
      const p = await paymentStatus(placed.id);
      const tickets = await ticketsOf(placed.id);
      if (mark.status === 'fulfilled') {
        assert.deepEqual([o.status, p, tickets], ['paid', 'paid', 2]);
        outcomes.add('paid');
      } else {
        assert.deepEqual([o.status, p, tickets], ['expired', 'expired', 0]);
        outcomes.add('expired');
      }
    }
    // What the paid orders hold, and nothing else.
    const paid = await t.db
      .selectFrom('orders')
      .select('id')
      .where('place_id', '=', w.world.venueA.id)
      .where('status', '=', 'paid')
      .execute();
    assert.equal(await taken(w.dateId), paid.length * 2);
    assert.deepEqual([...outcomes].sort(), ['expired', 'paid']);
  });
});
