import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres } from '../../test/harness.ts';
import { personActor, SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createMembershipProduct } from '../memberships/createMembershipProduct.ts';
import { addMembership } from '../memberships/addMembership.ts';
import { sendPendingRefunds } from '../payments/sendPendingRefunds.ts';
import { confirmFreeOrder } from './confirmFreeOrder.ts';
import { createTicketPrice } from './createTicketPrice.ts';
import { payOrder } from './payOrder.ts';
import { placeOrder } from './placeOrder.ts';
import { releaseExpiredOrders } from './releaseExpiredOrders.ts';
import { settleUnconfirmedHolds } from './settleUnconfirmedHolds.ts';
import { eventOnStripe, eventSelling, eventWithDates } from './testFixtures.ts';
import { countRows, codeOf } from '../../test/testDatabase.ts';
import { useStripeTestNode, deliver, type StripeTestNode, paymentOf } from '../payments/testFixtures.ts';

let t: StripeTestNode;
useStripeTestNode((node) => (t = node));

const order = (
  slug: string,
  lines: { priceId: string; eventDateId: string; quantity: unknown; amount?: unknown }[],
  extra: Partial<Parameters<typeof placeOrder>[3]> = {},
  actor: Parameters<typeof placeOrder>[2] = null,
) =>
  placeOrder(t.db, t.config, actor, { slug, email: 'buyer@example.org', name: 'Ada', language: 'fr', lines, ...extra });
const taken = async (placeId: string, dateId: string) =>
  (
    await t.db
      .selectFrom('date_capacity')
      .select('taken')
      .where('place_id', '=', placeId)
      .where('event_date_id', '=', dateId)
      .executeTakeFirstOrThrow()
  ).taken;
const ticketsOf = async (orderId: string) =>
  t.db.selectFrom('tickets').selectAll().where('order_id', '=', orderId).execute();

describe('orders', () => {
  test('a paid order holds its places, is paid through Stripe once, and issues one ticket per place', async () => {
    const ev = await eventOnStripe(
      t.db,
      { slug: 'paid', capacity: 10 },
      { name: 'Plein tarif', kind: 'fixed', price: '12,50', vatRate: '5,5' },
    );
    const [priceId] = ev.priceIds;
    const placed = await order('paid', [{ priceId, eventDateId: ev.dateIds[0]!, quantity: 2 }]);
    assert.equal(placed.totalCents, 2500);
    assert.equal(placed.needsMailConfirmation, false);
    assert.ok(placed.expiresAt.getTime() > Date.now() + 14 * 60_000);
    assert.equal(await taken(ev.place.id, ev.dateIds[0]!), 2);
    const unconfirmed = async () =>
      (
        await t.db
          .selectFrom('date_capacity')
          .select('held_unconfirmed')
          .where('event_date_id', '=', ev.dateIds[0]!)
          .executeTakeFirstOrThrow()
      ).held_unconfirmed;
    assert.equal(await unconfirmed(), 2, 'placed without an account: unconfirmed until paid (invariant 21)');
    const { url } = await payOrder(t.db, t.node.stripe, t.config, null, placed.id);
    const payment = await paymentOf(t, placed.id);
    assert.equal(url, payment.checkout_url);
    const event = t.fake.complete(payment.provider_session_id!);
    await deliver(t, event);
    await deliver(t, event);
    const row = await t.db.selectFrom('orders').selectAll().where('id', '=', placed.id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'paid');
    assert.equal((await ticketsOf(placed.id)).length, 2);
    assert.equal(await taken(ev.place.id, ev.dateIds[0]!), 2);
    assert.equal(await unconfirmed(), 2, 'the payment does not lock the date: the share is settled after');
    assert.equal(await settleUnconfirmedHolds(t.db), 1);
    assert.equal(await settleUnconfirmedHolds(t.db), 0, 'once');
    assert.equal(await unconfirmed(), 0, 'paid: no longer unconfirmed');
    const line = await t.db
      .selectFrom('order_lines')
      .selectAll()
      .where('order_id', '=', placed.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual([line.unit_price_cents, line.vat_rate_bp], [1250, 550]);
    await assert.rejects(
      payOrder(t.db, t.node.stripe, t.config, null, placed.id),
      (e: unknown) => codeOf(e) === 'order-not-payable',
    );
  });

  test('a free booking is confirmed only by the mailed link, once', async () => {
    const ev = await eventSelling(t.db, { slug: 'free', capacity: 5 }, { name: 'Entrée libre', kind: 'free' });
    const [priceId] = ev.priceIds;
    const placed = await order('free', [{ priceId, eventDateId: ev.dateIds[0]!, quantity: 1 }], {
      email: 'guest@example.org',
    });
    assert.equal(placed.needsMailConfirmation, true);
    assert.equal((await ticketsOf(placed.id)).length, 0, 'no ticket before the confirmation');
    const mail = await t.lastMailTo('guest@example.org');
    const token = /\/orders\/confirm\/([A-Za-z0-9_-]{43})/.exec(mail!.text)![1]!;
    await confirmFreeOrder(t.db, t.config, token);
    await confirmFreeOrder(t.db, t.config, token);
    assert.equal((await ticketsOf(placed.id)).length, 1);
    await assert.rejects(
      confirmFreeOrder(t.db, t.config, 'x'.repeat(43)),
      (e: unknown) => codeOf(e) === 'booking-link-invalid',
    );
  });

  test('bad input is refused with a clear reason and writes nothing', async () => {
    const ev = await eventWithDates(t.db, { slug: 'bad', capacity: 20 });
    const other = await eventWithDates(t.db, { slug: 'bad-other', capacity: 20 });
    const { id: fixed } = await createTicketPrice(t.db, ev.admin, {
      slug: 'bad',
      eventId: ev.eventId,
      name: 'Fixe',
      kind: 'fixed',
      price: '10',
      perOrderLimit: '4',
    });
    const { id: pwyw } = await createTicketPrice(t.db, ev.admin, {
      slug: 'bad',
      eventId: ev.eventId,
      name: 'Libre',
      kind: 'pay_what_you_want',
      minPrice: '5',
    });
    const { id: members } = await createTicketPrice(t.db, ev.admin, {
      slug: 'bad',
      eventId: ev.eventId,
      name: 'Adhérents',
      kind: 'member_only',
      price: '5',
    });
    const { id: closed } = await createTicketPrice(t.db, ev.admin, {
      slug: 'bad',
      eventId: ev.eventId,
      name: 'Prévente',
      kind: 'fixed',
      price: '8',
      salesOpenAt: '2020-01-01T00:00:00Z',
      salesCloseAt: '2020-02-01T00:00:00Z',
    });
    const d = ev.dateIds[0]!;
    const before_ = await countRows(t.db, 'orders');
    const cases: [Parameters<typeof order>[1], string, Partial<Parameters<typeof placeOrder>[3]>?][] = [
      [[{ priceId: fixed, eventDateId: d, quantity: -1 }], 'lines.0.quantity:quantity'],
      [[{ priceId: fixed, eventDateId: d, quantity: 0 }], 'lines.0.quantity:quantity'],
      [[{ priceId: fixed, eventDateId: d, quantity: 'two' }], 'lines.0.quantity:quantity'],
      [[{ priceId: fixed, eventDateId: d, quantity: 5 }], 'lines.0.quantity:per-order-limit'],
      [[{ priceId: pwyw, eventDateId: d, quantity: 1, amount: '4,99' }], 'lines.0.amount:below-minimum'],
      [[{ priceId: pwyw, eventDateId: d, quantity: 1, amount: 'cinq' }], 'lines.0.amount:amount'],
      [[{ priceId: members, eventDateId: d, quantity: 1 }], 'membership-required'],
      [[{ priceId: closed, eventDateId: d, quantity: 1 }], 'sales-closed'],
      [[{ priceId: fixed, eventDateId: other.dateIds[0]!, quantity: 1 }], 'lines.0.priceId:choice'],
      [[{ priceId: uuidv7(), eventDateId: d, quantity: 1 }], 'lines.0.priceId:choice'],
      [[], 'lines:choose-places'],
      [[{ priceId: fixed, eventDateId: d, quantity: 1 }], 'email:email', { email: 'nope' }],
      [[{ priceId: fixed, eventDateId: d, quantity: 1 }], 'promoCode:promo-unknown', { promoCode: 'NOPE1' }],
    ];
    for (const [lines, expected, extra] of cases) {
      await assert.rejects(
        order('bad', lines, extra ?? {}),
        (e: unknown) => codeOf(e) === expected,
        `${expected}: ${JSON.stringify(lines)}`,
      );
    }
    const after_ = await countRows(t.db, 'orders');
    assert.equal(after_, before_);
    assert.equal(await taken(ev.place.id, d), 0);
    // A draft event is not on sale.
    const draft = await eventSelling(t.db, { slug: 'draft', state: 'draft' }, { name: 'X', kind: 'fixed', price: '1' });
    const [dp] = draft.priceIds;
    await assert.rejects(
      order('draft', [{ priceId: dp, eventDateId: draft.dateIds[0]!, quantity: 1 }]),
      (e: unknown) => codeOf(e) === 'event-not-on-sale',
    );
  });

  test('member-only prices sell to members of the venue (or of the venues listed)', async () => {
    const ev = await eventWithDates(t.db, { slug: 'member' });
    const product = await createMembershipProduct(t.db, ev.admin, 'member', {
      name: 'Annuelle',
      validity_kind: 'months',
      validity_value: '12',
      price_kind: 'free',
    });
    const { id: price } = await createTicketPrice(t.db, ev.admin, {
      slug: 'member',
      eventId: ev.eventId,
      name: 'Adhérents',
      kind: 'member_only',
      price: '3',
    });
    const member = await ensurePerson(t.db, 'member@example.org', 'fr');
    await addMembership(t.db, t.config, ev.admin, {
      slug: 'member',
      email: 'member@example.org',
      productId: product.id,
      method: 'free',
    });
    const placed = await order(
      'member',
      [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 1 }],
      { email: 'member@example.org' },
      personActor(member.id),
    );
    assert.equal(placed.totalCents, 300);
  });

  test('promo codes: percentage and fixed discounts, each use counted', async () => {
    const ev = await eventSelling(t.db, { slug: 'promo' }, { name: 'Plein', kind: 'fixed', price: '20' });
    const [price] = ev.priceIds;
    await t.db
      .insertInto('promo_codes')
      .values([
        {
          place_id: ev.place.id,
          id: uuidv7(),
          code: 'HALF',
          event_id: ev.eventId,
          price_id: null,
          percent_off: 50,
          amount_off_cents: null,
          max_uses: 1,
        },
        {
          place_id: ev.place.id,
          id: uuidv7(),
          code: 'FIVE',
          event_id: ev.eventId,
          price_id: price,
          percent_off: null,
          amount_off_cents: 500,
          max_uses: null,
        },
      ])
      .execute();
    const half = await order('promo', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 2 }], {
      promoCode: 'half',
    });
    assert.equal(half.totalCents, 2000);
    await assert.rejects(
      order('promo', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 1 }], { promoCode: 'HALF' }),
      (e: unknown) => codeOf(e) === 'promo-used-up',
    );
    const five = await order('promo', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 3 }], {
      promoCode: 'FIVE',
    });
    assert.equal(five.totalCents, 4500);
  });
});

test('taking stock and promo uses at one venue never touches another venue’s counters', async () => {
  const a = await eventWithDates(t.db, { slug: 'iso-a' });
  const b = await eventWithDates(t.db, { slug: 'iso-b' });
  const { id: priceA } = await createTicketPrice(t.db, a.admin, {
    slug: 'iso-a',
    eventId: a.eventId,
    name: 'A',
    kind: 'fixed',
    price: '10',
    stock: '10',
  });
  const { id: priceB } = await createTicketPrice(t.db, b.admin, {
    slug: 'iso-b',
    eventId: b.eventId,
    name: 'B',
    kind: 'fixed',
    price: '10',
    stock: '10',
  });
  const promoA = uuidv7();
  const promoB = uuidv7();
  await t.db
    .insertInto('promo_codes')
    .values([
      {
        place_id: a.place.id,
        id: promoA,
        code: 'ISO',
        event_id: a.eventId,
        price_id: null,
        percent_off: 10,
        amount_off_cents: null,
        max_uses: 5,
      },
      {
        place_id: b.place.id,
        id: promoB,
        code: 'ISO',
        event_id: b.eventId,
        price_id: null,
        percent_off: 10,
        amount_off_cents: null,
        max_uses: 5,
      },
    ])
    .execute();
  await order('iso-a', [{ priceId: priceA, eventDateId: a.dateIds[0]!, quantity: 3 }], { promoCode: 'ISO' });
  const taken = async (id: string) =>
    (await t.db.selectFrom('ticket_prices').select('taken').where('id', '=', id).executeTakeFirstOrThrow()).taken;
  const used = async (id: string) =>
    (await t.db.selectFrom('promo_codes').select('used').where('id', '=', id).executeTakeFirstOrThrow()).used;
  assert.deepEqual([await taken(priceA), await taken(priceB)], [3, 0]);
  assert.deepEqual([await used(promoA), await used(promoB)], [1, 0]);
});

describe('holds', () => {
  test('an expired hold gives its places and promo use back without anyone acting', async () => {
    const ev = await eventSelling(t.db, { slug: 'hold', capacity: 3 }, { name: 'Plein', kind: 'fixed', price: '10' });
    const [price] = ev.priceIds;
    const promoId = uuidv7();
    await t.db
      .insertInto('promo_codes')
      .values({
        place_id: ev.place.id,
        id: promoId,
        code: 'ONCE',
        event_id: ev.eventId,
        price_id: null,
        percent_off: 10,
        amount_off_cents: null,
        max_uses: 1,
      })
      .execute();
    const held = await order('hold', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 3 }], {
      promoCode: 'ONCE',
    });
    await assert.rejects(
      order('hold', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 1 }]),
      (e: unknown) => codeOf(e) === 'sold-out',
    );
    await sql`update orders set expires_at = now() - interval '1 second' where id = ${held.id}`.execute(t.db);
    assert.equal(await releaseExpiredOrders(t.db), 1);
    assert.equal(await taken(ev.place.id, ev.dateIds[0]!), 0);
    assert.equal(
      (await t.db.selectFrom('promo_codes').select('used').where('id', '=', promoId).executeTakeFirstOrThrow()).used,
      0,
    );
    assert.equal(
      (await t.db.selectFrom('orders').select('status').where('id', '=', held.id).executeTakeFirstOrThrow()).status,
      'expired',
    );
    assert.equal(await releaseExpiredOrders(t.db), 0);
  });

  test('an order takes back the places and promo use of holds that ran out before being told there are none left', async () => {
    const ev = await eventSelling(
      t.db,
      { slug: 'lazy', capacity: 2 },
      { name: 'Plein', kind: 'fixed', price: '10', perPersonLimit: '2' },
    );
    const [price] = ev.priceIds;
    const promoId = uuidv7();
    await t.db
      .insertInto('promo_codes')
      .values({
        place_id: ev.place.id,
        id: promoId,
        code: 'LAZY',
        event_id: ev.eventId,
        price_id: null,
        percent_off: 10,
        amount_off_cents: null,
        max_uses: 1,
      })
      .execute();
    const expire = (id: string) =>
      sql`update orders set expires_at = now() - interval '1 second' where id = ${id}`.execute(t.db);
    // Sold out, and the hold runs out: the next buyer gets the places (no housekeeping run).
    const first = await order('lazy', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 2 }], {
      promoCode: 'LAZY',
    });
    await assert.rejects(
      order('lazy', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 1 }], { email: 'other@example.org' }),
      (e: unknown) => codeOf(e) === 'sold-out',
    );
    await expire(first.id);
    // The same buyer again: the hold that ran out counts neither against the places, nor the promo
    // code's single use, nor their limit of 2 per person.
    const again = await order('lazy', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 2 }], {
      promoCode: 'LAZY',
    });
    assert.equal(again.totalCents, 1800);
    assert.equal(
      (await t.db.selectFrom('orders').select('status').where('id', '=', first.id).executeTakeFirstOrThrow()).status,
      'expired',
    );
    assert.equal(await taken(ev.place.id, ev.dateIds[0]!), 2);
    assert.equal(
      (await t.db.selectFrom('promo_codes').select('used').where('id', '=', promoId).executeTakeFirstOrThrow()).used,
      1,
    );
    await assert.rejects(
      order('lazy', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 1 }], {
        email: 'other@example.org',
        promoCode: 'LAZY',
      }),
      (e: unknown) => codeOf(e) === 'promo-used-up',
    );
    // A hold that ran out but is not released yet (no order found the date short) is not counted in the limit either.
    await t.db.updateTable('date_capacity').set({ capacity: 10 }).where('event_date_id', '=', ev.dateIds[0]!).execute();
    await expire(again.id);
    const third = await order('lazy', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 2 }]);
    assert.equal(
      (await t.db.selectFrom('orders').select('status').where('id', '=', third.id).executeTakeFirstOrThrow()).status,
      'pending',
    );
    await assert.rejects(
      order('lazy', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 1 }]),
      (e: unknown) => codeOf(e) === 'per-person-limit',
    );
  });

  test('a payment that arrives after its hold expired: paid if the places are still free, refunded otherwise', async () => {
    const ev = await eventOnStripe(t.db, { slug: 'late', capacity: 2 }, { name: 'Plein', kind: 'fixed', price: '10' });
    const [price] = ev.priceIds;
    const pay = async (quantity: number) => {
      const placed = await order('late', [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity }]);
      await payOrder(t.db, t.node.stripe, t.config, null, placed.id);
      const payment = await paymentOf(t, placed.id);
      await sql`update orders set expires_at = now() - interval '1 second' where id = ${placed.id}`.execute(t.db);
      await releaseExpiredOrders(t.db);
      return { placed, payment };
    };
    const first = await pay(2);
    await deliver(t, t.fake.complete(first.payment.provider_session_id!));
    assert.equal(
      (await t.db.selectFrom('orders').select('status').where('id', '=', first.placed.id).executeTakeFirstOrThrow())
        .status,
      'paid',
    );
    assert.equal((await ticketsOf(first.placed.id)).length, 2);
    assert.equal(await taken(ev.place.id, ev.dateIds[0]!), 2);
    // Sold out now: a second late payment cannot take places and is refunded in full.
    await t.db.updateTable('date_capacity').set({ capacity: 3 }).where('event_date_id', '=', ev.dateIds[0]!).execute();
    const second = await pay(1);
    await t.db.updateTable('date_capacity').set({ capacity: 2 }).where('event_date_id', '=', ev.dateIds[0]!).execute();
    await deliver(t, t.fake.complete(second.payment.provider_session_id!));
    assert.equal(
      (await t.db.selectFrom('orders').select('status').where('id', '=', second.placed.id).executeTakeFirstOrThrow())
        .status,
      'expired',
    );
    assert.equal(await taken(ev.place.id, ev.dateIds[0]!), 2, 'the failed retake left no counter half-taken');
    await new Promise((r) => setTimeout(r, 30));
    await sendPendingRefunds(t.db, t.node.stripe);
    assert.equal(
      (await t.db.selectFrom('payments').select('status').where('id', '=', second.payment.id).executeTakeFirstOrThrow())
        .status,
      'refunded',
    );
  });
});

describe(
  'never oversold (PostgreSQL, real concurrency)',
  { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
  () => {
    test('200 concurrent buyers for 50 places: exactly 50 orders, counters exact, no half-written order', async () => {
      const ev = await eventSelling(
        t.db,
        { slug: 'rush', capacity: 50 },
        { name: 'Plein', kind: 'fixed', price: '10' },
      );
      const [price] = ev.priceIds;
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) =>
          placeOrder(t.db, t.config, null, {
            slug: 'rush',
            email: `b${i}@example.org`,
            language: 'fr',
            lines: [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 1 }],
          }),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      const soldOut = results.filter((r) => r.status === 'rejected' && codeOf(r.reason) === 'sold-out').length;
      assert.equal(ok, 50);
      assert.equal(soldOut, 150);
      assert.equal(await taken(ev.place.id, ev.dateIds[0]!), 50);
      const lines = await t.db
        .selectFrom('order_lines')
        .select((eb) => eb.fn.sum<number>('quantity').as('n'))
        .where('place_id', '=', ev.place.id)
        .executeTakeFirstOrThrow();
      assert.equal(Number(lines.n), 50);
      const orphans = await t.db
        .selectFrom('orders')
        .select('id')
        .where('place_id', '=', ev.place.id)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('order_lines').select('id').whereRef('order_lines.order_id', '=', 'orders.id'))),
        )
        .execute();
      assert.equal(orphans.length, 0);
    });

    test('a promo code limited to 10 uses, 50 concurrent uses: exactly 10', async () => {
      const ev = await eventSelling(
        t.db,
        { slug: 'promo-rush', capacity: 500 },
        { name: 'Plein', kind: 'fixed', price: '10' },
      );
      const [price] = ev.priceIds;
      await t.db
        .insertInto('promo_codes')
        .values({
          place_id: ev.place.id,
          id: uuidv7(),
          code: 'TEN',
          event_id: ev.eventId,
          price_id: null,
          percent_off: 20,
          amount_off_cents: null,
          max_uses: 10,
        })
        .execute();
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          placeOrder(t.db, t.config, null, {
            slug: 'promo-rush',
            email: `p${i}@example.org`,
            language: 'fr',
            promoCode: 'TEN',
            lines: [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 1 }],
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 10);
      assert.equal(
        (await t.db.selectFrom('promo_codes').select('used').where('code', '=', 'TEN').executeTakeFirstOrThrow()).used,
        10,
      );
      assert.equal(await taken(ev.place.id, ev.dateIds[0]!), 10, 'refused orders gave their places back');
    });

    test('per-person limit of 2 under 10 concurrent orders by one person: exactly 2 places', async () => {
      const ev = await eventSelling(
        t.db,
        { slug: 'limit', capacity: 100 },
        { name: 'Plein', kind: 'fixed', price: '10', perPersonLimit: '2' },
      );
      const [price] = ev.priceIds;
      const person = await ensurePerson(t.db, 'greedy@example.org', 'fr');
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () =>
          placeOrder(t.db, t.config, personActor(person.id), {
            slug: 'limit',
            email: 'greedy@example.org',
            language: 'fr',
            lines: [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 1 }],
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
      assert.ok(
        results
          .filter((r) => r.status === 'rejected')
          .every((r) => codeOf((r as PromiseRejectedResult).reason) === 'per-person-limit'),
      );
      assert.equal(await taken(ev.place.id, ev.dateIds[0]!), 2);
    });

    test('per-person limit of 2: one buyer ordering logged in and anonymously with the same address at once gets 2 places', async () => {
      const ev = await eventSelling(
        t.db,
        { slug: 'limit-mixed', capacity: 100 },
        { name: 'Plein', kind: 'fixed', price: '10', perPersonLimit: '2' },
      );
      const [price] = ev.priceIds;
      const person = await ensurePerson(t.db, 'twofaced@example.org', 'fr');
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          placeOrder(t.db, t.config, i % 2 ? personActor(person.id) : null, {
            slug: 'limit-mixed',
            email: i % 4 < 2 ? 'twofaced@example.org' : 'TwoFaced@Example.org',
            language: 'fr',
            lines: [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 1 }],
          }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
      assert.ok(
        results
          .filter((r) => r.status === 'rejected')
          .every((r) => codeOf((r as PromiseRejectedResult).reason) === 'per-person-limit'),
      );
      assert.equal(await taken(ev.place.id, ev.dateIds[0]!), 2);
    });
  },
);

void SYSTEM;
