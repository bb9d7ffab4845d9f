import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestNode, onPostgres, type TestNode } from '../../test/harness.ts';
import { personActor } from '../access/actor.ts';
import { createLedgerWorld } from '../ledger/testFixtures.ts';
import { cancelOrder } from './cancelOrder.ts';
import { createTicketPrice } from './createTicketPrice.ts';
import { markOrderPaidOnSite, placeOrderOnSite, setOnSitePayment } from './payOnSite.ts';
import { releaseExpiredOrders } from './releaseExpiredOrders.ts';
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
  const world = await createLedgerWorld(t.db);
  await t.db
    .updateTable('places')
    .set({ modules: ['agenda', 'ticketing', 'memberships'] } as never)
    .where('id', '=', world.venueA.id)
    .execute();
  const eventId = uuidv7();
  const dateId = uuidv7();
  await t.db
    .insertInto('events')
    .values({
      place_id: world.venueA.id,
      id: eventId,
      slug: `${world.venueA.slug}-concert`,
      title: 'Concert',
      state: 'published',
      visibility: 'public',
      capacity: 50,
    } as never)
    .execute();
  await t.db
    .insertInto('event_dates')
    .values({
      place_id: world.venueA.id,
      event_id: eventId,
      id: dateId,
      starts_at: sql<Date>`now() + interval '7 days'`,
      timezone: 'Indian/Reunion',
    } as never)
    .execute();
  const { id: priceId } = await createTicketPrice(t.db, world.adminA, {
    slug: world.venueA.slug,
    eventId,
    name: 'Plein',
    kind: 'fixed',
    price: '15',
  });
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
    const w = await sellingWorld();
    await setOnSitePayment(t.db, w.world.adminA, { slug: w.world.venueA.slug, enabled: true, holdHours: 24 });
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
    await setOnSitePayment(t.db, w.world.adminA, { slug: w.world.venueA.slug, enabled: true, holdHours: 2 });
    const placed = await order(w, await w.world.person());
    await t.db
      .updateTable('orders')
      .set({ expires_at: sql<Date>`now() - interval '1 second'` })
      .where('id', '=', placed.id)
      .execute();
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

  test(
    'two concurrent "mark paid": tickets issued once',
    { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
    async () => {
      const w = await sellingWorld();
      await setOnSitePayment(t.db, w.world.adminA, { slug: w.world.venueA.slug, enabled: true, holdHours: 24 });
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
    },
  );
});
