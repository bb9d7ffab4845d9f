import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { onPostgres, withKey } from '../../test/harness.ts';
import { personActor, SYSTEM, type Actor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { uuidv7 } from '../shared/ids.ts';
import { cancelEventOrders } from './cancelEventOrders.ts';
import { cancelOrder } from './cancelOrder.ts';
import { cancelOwnOrder } from './cancelOwnOrder.ts';
import { setCreditRefunds } from './creditRefund.ts';
import { createCurrency } from '../ledger/createCurrency.ts';
import { createFederation } from '../ledger/createFederation.ts';
import { verifyLedger } from '../ledger/verifyLedger.ts';
import { queueRefund } from '../payments/queueRefund.ts';
import { checkIn } from './checkIn.ts';
import { completeOrder } from './completeOrder.ts';
import { payOrder } from './payOrder.ts';
import { placeOrder } from './placeOrder.ts';
import { setCancellationPolicy } from './setCancellationPolicy.ts';
import { signTicket } from './ticketSignature.ts';
import { eventOnStripe } from './testFixtures.ts';
import { codeOf } from '../../test/testDatabase.ts';
import { useStripeTestNode, deliverOk, type StripeTestNode, paymentOf } from '../payments/testFixtures.ts';

let t: StripeTestNode;
useStripeTestNode((node) => (t = node));

const stripe = () => t.node.stripe;

/**
 * A venue on Stripe with one event (capacity 20), a 15 € price and a 5 € per-ticket promo code.
 * Neither has a limit: takeSeats/takePromoUse (places.ts) currently touch every limited price and
 * code of the database (an unparenthesised `or`, see the report), which would skew these counters.
 */
async function setUp(slug: string, options: { deadlineHours?: number } = {}) {
  const ev = await eventOnStripe(t.db, { slug, capacity: 20 }, { name: 'Plein', kind: 'fixed', price: '15' });
  const [priceId] = ev.priceIds;
  const promoId = uuidv7();
  await t.db
    .insertInto('promo_codes')
    .values({
      place_id: ev.place.id,
      id: promoId,
      code: 'MOINS5',
      event_id: ev.eventId,
      price_id: null,
      percent_off: null,
      amount_off_cents: 500,
      max_uses: null,
    })
    .execute();
  if (options.deadlineHours !== undefined) {
    await t.db
      .insertInto('cancellation_policies')
      .values({ place_id: ev.place.id, event_id: ev.eventId, holder_deadline_hours: options.deadlineHours })
      .execute();
  }
  return { ...ev, slug, priceId, promoId };
}
type Setup = Awaited<ReturnType<typeof setUp>>;

async function counters(s: Setup) {
  const date = await t.db
    .selectFrom('date_capacity')
    .select('taken')
    .where('place_id', '=', s.place.id)
    .where('event_date_id', '=', s.dateIds[0]!)
    .executeTakeFirstOrThrow();
  const price = await t.db
    .selectFrom('ticket_prices')
    .select('taken')
    .where('place_id', '=', s.place.id)
    .where('id', '=', s.priceId)
    .executeTakeFirstOrThrow();
  const promo = await t.db
    .selectFrom('promo_codes')
    .select('used')
    .where('place_id', '=', s.place.id)
    .where('id', '=', s.promoId)
    .executeTakeFirstOrThrow();
  return { date: date.taken, price: price.taken, promo: promo.used };
}

async function pendingOrder(s: Setup, quantity = 2, buyer: Actor | null = null) {
  return placeOrder(t.db, t.config, buyer?.kind === 'person' ? buyer : null, {
    slug: s.slug,
    email: 'buyer@example.org',
    name: 'Ada',
    language: 'fr',
    promoCode: 'MOINS5',
    lines: [{ priceId: s.priceId, eventDateId: s.dateIds[0]!, quantity }],
  });
}

/** A pending order paid through the fake Stripe and its webhook. */
async function paidOrder(s: Setup, quantity = 2, buyer: Actor | null = null) {
  const placed = await pendingOrder(s, quantity, buyer);
  await payOrder(t.db, stripe(), t.config, buyer, placed.id);
  const payment = await paymentOf(t, placed.id);
  await deliverOk(t, t.fake.complete(payment.provider_session_id!));
  const order = await t.db
    .selectFrom('orders')
    .select(['status', 'payment_id'])
    .where('id', '=', placed.id)
    .executeTakeFirstOrThrow();
  assert.equal(order.status, 'paid');
  return {
    ...placed,
    paymentId: payment.id,
    intent: t.fake.sessions.get(payment.provider_session_id!)!.payment_intent!,
  };
}

const orderStatus = async (id: string) =>
  (await t.db.selectFrom('orders').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
const ticketStatuses = async (id: string) =>
  (await t.db.selectFrom('tickets').select('status').where('order_id', '=', id).execute()).map((x) => x.status);
const refundRows = (paymentId: string) =>
  t.db.selectFrom('refunds').selectAll().where('payment_id', '=', paymentId).execute();
/** What the door answers, scanned now by the venue's admin, for a ticket of the event. */
async function doorSays(
  at: { slug: string; eventId: string; admin: Parameters<typeof checkIn>[1] },
  ticket: { place_id: string; id: string; event_date_id: string },
) {
  const payload = await signTicket(t.db, {
    placeId: ticket.place_id,
    id: ticket.id,
    eventDateId: ticket.event_date_id,
  });
  const [answer] = await checkIn(t.db, at.admin, {
    slug: at.slug,
    eventId: at.eventId,
    scans: [{ payload, nonce: `n-${uuidv7()}` }],
  });
  return answer!.result;
}
const stripeRefunds = (intent: string) => [...t.fake.refunds.values()].filter((r) => r.payment_intent === intent);

describe('the venue cancels', () => {
  test('a pending order: cancelled, its places, stock and promo use given back once, no refund', async () => {
    const s = await setUp('cx-pending');
    const placed = await pendingOrder(s, 3);
    assert.deepEqual(await counters(s), { date: 3, price: 3, promo: 1 });
    const first = await cancelOrder(t.db, stripe(), s.admin, { orderId: placed.id });
    assert.deepEqual(first, { orderId: placed.id, outcome: 'cancelled', refundCents: 0, creditCents: 0 });
    assert.equal(await orderStatus(placed.id), 'cancelled');
    assert.deepEqual(await counters(s), { date: 0, price: 0, promo: 0 });
    const again = await cancelOrder(t.db, stripe(), s.admin, { orderId: placed.id });
    assert.equal(again.outcome, 'already');
    assert.deepEqual(await counters(s), { date: 0, price: 0, promo: 0 });
    const audited = await t.db
      .selectFrom('audit_log')
      .select(['action', 'actor_person_id'])
      .where('subject_id', '=', placed.id)
      .where('action', '=', 'order.cancelled')
      .execute();
    assert.equal(audited.length, 1);
    assert.equal(audited[0]!.actor_person_id, s.admin.kind === 'person' ? s.admin.personId : null);
  });

  test('a paid order: every ticket cancelled, places back, the amount received refunded through Stripe, once; its tickets never enter', async () => {
    const s = await setUp('cx-paid');
    const paid = await paidOrder(s, 2);
    assert.equal(paid.totalCents, 2000);
    const tickets = await t.db.selectFrom('tickets').selectAll().where('order_id', '=', paid.id).execute();
    assert.equal(tickets.length, 2);
    const result = await cancelOrder(t.db, stripe(), s.admin, { orderId: paid.id });
    assert.deepEqual(result, { orderId: paid.id, outcome: 'cancelled', refundCents: 2000, creditCents: 0 });
    assert.equal(await orderStatus(paid.id), 'cancelled');
    assert.deepEqual(await ticketStatuses(paid.id), ['cancelled', 'cancelled']);
    assert.deepEqual(await counters(s), { date: 0, price: 0, promo: 0 });
    const rows = await refundRows(paid.paymentId);
    assert.deepEqual(
      rows.map((r) => [r.amount_cents, r.status, r.reason]),
      [[2000, 'succeeded', 'order_cancelled']],
    );
    assert.deepEqual(
      stripeRefunds(paid.intent).map((r) => r.amount),
      [2000],
    );
    assert.equal(
      (await t.db.selectFrom('payments').select('status').where('id', '=', paid.paymentId).executeTakeFirstOrThrow())
        .status,
      'refunded',
    );
    assert.equal((await cancelOrder(t.db, stripe(), s.admin, { orderId: paid.id })).outcome, 'already');
    assert.equal((await refundRows(paid.paymentId)).length, 1);
    assert.equal(stripeRefunds(paid.intent).length, 1);
    assert.deepEqual(await counters(s), { date: 0, price: 0, promo: 0 });
    for (const ticket of tickets) {
      assert.equal(await doorSays(s, ticket), 'cancelled');
    }
  });

  test('the refund is of the amount received (payments.received_cents), not the order total', async () => {
    const s = await setUp('cx-received');
    const paid = await paidOrder(s, 1);
    await t.db.updateTable('payments').set({ received_cents: 700 }).where('id', '=', paid.paymentId).execute();
    assert.equal((await cancelOrder(t.db, stripe(), s.admin, { orderId: paid.id })).refundCents, 700);
    assert.deepEqual(
      stripeRefunds(paid.intent).map((r) => r.amount),
      [700],
    );
  });

  test('a refunded ticket never enters either', async () => {
    const s = await setUp('cx-refunded');
    const paid = await paidOrder(s, 1);
    await t.db.updateTable('tickets').set({ status: 'refunded' }).where('order_id', '=', paid.id).execute();
    const ticket = await t.db
      .selectFrom('tickets')
      .selectAll()
      .where('order_id', '=', paid.id)
      .executeTakeFirstOrThrow();
    assert.equal(await doorSays(s, ticket), 'refunded');
  });

  test('a pending order cancelled while its payment is on the way: the late payment is refunded, the places stay free', async () => {
    const s = await setUp('cx-late');
    const placed = await pendingOrder(s, 2);
    await payOrder(t.db, stripe(), t.config, null, placed.id);
    await cancelOrder(t.db, stripe(), s.admin, { orderId: placed.id });
    const payment = await paymentOf(t, placed.id);
    await deliverOk(t, t.fake.complete(payment.provider_session_id!));
    assert.equal(await orderStatus(placed.id), 'cancelled');
    assert.deepEqual(await ticketStatuses(placed.id), []);
    assert.deepEqual(await counters(s), { date: 0, price: 0, promo: 0 });
    assert.deepEqual(
      (await refundRows(payment.id)).map((r) => r.amount_cents),
      [2000],
    );
  });

  test('unknown order, another venue, a person without a role, a key without the scope: refused, nothing written', async () => {
    const s = await setUp('cx-guard');
    const other = await setUp('cx-guard-other');
    const paid = await paidOrder(s, 1);
    const stranger = personActor((await ensurePerson(t.db, 'stranger@example.org', 'fr')).id);
    const { key: doorKey } = await createApiKey(t.db, s.admin, { slug: s.slug, name: 'porte', scopes: ['checkin'] });
    const { key: otherKey } = await createApiKey(t.db, other.admin, {
      slug: other.slug,
      name: 'site',
      scopes: ['events:write'],
    });
    const asActor = (k: { id: string; scopes: readonly string[] }, placeId: string): Actor =>
      ({ kind: 'apiKey', keyId: k.id, placeId, scopes: k.scopes }) as Actor;
    const cases: [Actor, unknown, string][] = [
      [s.admin, uuidv7(), 'not-found'],
      [s.admin, 'not-a-uuid', 'not-found'],
      [s.admin, 42, 'not-found'],
      [other.admin, paid.id, 'forbidden'],
      [stranger, paid.id, 'forbidden'],
      [asActor(doorKey, s.place.id), paid.id, 'api-key-scope'],
      [asActor(otherKey, other.place.id), paid.id, 'api-key-scope'],
    ];
    for (const [actor, orderId, code] of cases) {
      await assert.rejects(
        cancelOrder(t.db, stripe(), actor, { orderId }),
        (e: unknown) => codeOf(e) === code,
        `${String(orderId)} → ${code}`,
      );
    }
    assert.equal(await orderStatus(paid.id), 'paid');
    assert.deepEqual(await ticketStatuses(paid.id), ['valid']);
    assert.deepEqual(await counters(s), { date: 1, price: 1, promo: 1 });
    assert.equal((await refundRows(paid.paymentId)).length, 0);
  });

  test('an expired order is closed: 409, nothing written', async () => {
    const s = await setUp('cx-expired');
    const placed = await pendingOrder(s, 1);
    await t.db.updateTable('orders').set({ status: 'expired' }).where('id', '=', placed.id).execute();
    await assert.rejects(
      cancelOrder(t.db, stripe(), s.admin, { orderId: placed.id }),
      (e: unknown) => codeOf(e) === 'order-not-cancellable',
    );
    assert.deepEqual(await counters(s), { date: 1, price: 1, promo: 1 });
  });

  test(
    'ten cancels at once of one paid order give back places once and queue exactly one refund',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const s = await setUp('cx-race');
      const paid = await paidOrder(s, 3);
      const buyerSide = await paidOrder(s, 1);
      assert.deepEqual(await counters(s), { date: 4, price: 4, promo: 2 });
      const results = await Promise.all(
        Array.from({ length: 10 }, () => cancelOrder(t.db, stripe(), s.admin, { orderId: paid.id })),
      );
      assert.equal(results.filter((r) => r.outcome === 'cancelled').length, 1);
      assert.equal(results.filter((r) => r.outcome === 'already').length, 9);
      assert.deepEqual(await counters(s), { date: 1, price: 1, promo: 1 });
      assert.equal((await refundRows(paid.paymentId)).length, 1);
      assert.equal(stripeRefunds(paid.intent).length, 1);
      assert.equal(await orderStatus(buyerSide.id), 'paid');
    },
  );

  test(
    'a cancel racing the payment webhook: no deadlock, the order ends cancelled, the money goes back once',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const s = await setUp('cx-race-pay');
      const orders = [];
      for (let i = 0; i < 6; i++) {
        const placed = await pendingOrder(s, 2);
        await payOrder(t.db, stripe(), t.config, null, placed.id);
        const payment = await paymentOf(t, placed.id);
        orders.push({ id: placed.id, paymentId: payment.id, event: t.fake.complete(payment.provider_session_id!) });
      }
      await Promise.all(
        orders.flatMap((o) => [deliverOk(t, o.event), cancelOrder(t.db, stripe(), s.admin, { orderId: o.id })]),
      );
      for (const o of orders) {
        assert.equal(await orderStatus(o.id), 'cancelled');
        assert.deepEqual(
          (await refundRows(o.paymentId)).map((r) => r.amount_cents),
          [2000],
          o.id,
        );
        assert.ok((await ticketStatuses(o.id)).every((x) => x === 'cancelled'));
      }
      assert.deepEqual(await counters(s), { date: 0, price: 0, promo: 0 });
    },
  );
});

describe('the holder cancels', () => {
  test('their own paid order before the deadline: cancelled and refunded', async () => {
    const s = await setUp('cx-holder', { deadlineHours: 48 });
    const buyer = personActor((await ensurePerson(t.db, 'holder@example.org', 'fr')).id);
    const paid = await paidOrder(s, 2, buyer);
    const result = await cancelOwnOrder(t.db, stripe(), buyer, { orderId: paid.id });
    assert.deepEqual(result, { orderId: paid.id, outcome: 'cancelled', refundCents: 2000, creditCents: 0 });
    assert.deepEqual(await ticketStatuses(paid.id), ['cancelled', 'cancelled']);
    assert.deepEqual(
      stripeRefunds(paid.intent).map((r) => r.amount),
      [2000],
    );
  });

  test('after the deadline, without a policy, without an account, or not theirs: refused, nothing written; the venue still may', async () => {
    const late = await setUp('cx-late-holder', { deadlineHours: 24 * 8 }); // the date is 7 days away
    const open = await setUp('cx-nopolicy');
    const anon = await setUp('cx-anon', { deadlineHours: 1 });
    const buyer = personActor((await ensurePerson(t.db, 'holder2@example.org', 'fr')).id);
    const thief = personActor((await ensurePerson(t.db, 'thief@example.org', 'fr')).id);
    const tooLate = await paidOrder(late, 1, buyer);
    const noPolicy = await paidOrder(open, 1, buyer);
    const noAccount = await paidOrder(anon, 1, null);
    const cases: [Actor | null, string, string][] = [
      [buyer, tooLate.id, 'cancel-deadline-passed'],
      [buyer, noPolicy.id, 'cancel-not-allowed'],
      [buyer, noAccount.id, 'cancel-not-allowed'],
      [thief, tooLate.id, 'not-found'],
      [null, tooLate.id, 'unauthenticated'],
      [late.admin, noAccount.id, 'cancel-not-allowed'],
      [buyer, uuidv7(), 'not-found'],
    ];
    for (const [actor, orderId, code] of cases) {
      await assert.rejects(
        cancelOwnOrder(t.db, stripe(), actor, { orderId }),
        (e: unknown) => codeOf(e) === code,
        `${orderId} → ${code}`,
      );
    }
    for (const o of [tooLate, noPolicy, noAccount]) {
      assert.equal(await orderStatus(o.id), 'paid');
      assert.deepEqual(await ticketStatuses(o.id), ['valid']);
      assert.equal((await refundRows(o.paymentId)).length, 0);
    }
    assert.deepEqual(await counters(late), { date: 1, price: 1, promo: 1 });
    assert.equal((await cancelOrder(t.db, stripe(), late.admin, { orderId: tooLate.id })).outcome, 'cancelled');
    assert.equal((await cancelOrder(t.db, stripe(), anon.admin, { orderId: noAccount.id })).refundCents, 1000);
  });
});

describe('the cancellation policy', () => {
  test('the venue sets, changes and removes the holder deadline; bad values and other venues refused, nothing written', async () => {
    const s = await setUp('cx-policy');
    const other = await setUp('cx-policy-other');
    const policy = async () =>
      (
        await t.db
          .selectFrom('cancellation_policies')
          .select('holder_deadline_hours')
          .where('event_id', '=', s.eventId)
          .executeTakeFirst()
      )?.holder_deadline_hours ?? null;
    assert.deepEqual(
      await setCancellationPolicy(t.db, s.admin, { slug: s.slug, eventId: s.eventId, holderDeadlineHours: 48 }),
      { holderDeadlineHours: 48 },
    );
    assert.deepEqual(
      await setCancellationPolicy(t.db, s.admin, { slug: s.slug, eventId: s.eventId, holderDeadlineHours: 0 }),
      { holderDeadlineHours: 0 },
    );
    assert.equal(await policy(), 0);
    for (const bad of [-1, 8761, 1.5, '24', undefined, true]) {
      await assert.rejects(
        setCancellationPolicy(t.db, s.admin, { slug: s.slug, eventId: s.eventId, holderDeadlineHours: bad }),
        (e: unknown) => codeOf(e) === 'holderDeadlineHours:range-between',
        String(bad),
      );
    }
    await assert.rejects(
      setCancellationPolicy(t.db, other.admin, { slug: s.slug, eventId: s.eventId, holderDeadlineHours: 1 }),
      (e: unknown) => codeOf(e) === 'forbidden',
    );
    await assert.rejects(
      setCancellationPolicy(t.db, s.admin, { slug: s.slug, eventId: other.eventId, holderDeadlineHours: 1 }),
      (e: unknown) => codeOf(e) === 'not-found',
    );
    await assert.rejects(
      setCancellationPolicy(t.db, s.admin, { slug: s.slug, eventId: 'nope', holderDeadlineHours: 1 }),
      (e: unknown) => codeOf(e) === 'not-found',
    );
    assert.equal(await policy(), 0);
    const { secret } = await createApiKey(t.db, s.admin, { slug: s.slug, name: 'site', scopes: ['events:write'] });
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/venues/${s.slug}/events/${s.eventId}/cancellation-policy`,
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      payload: { holderDeadlineHours: null },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(await policy(), null);
  });
});

describe('the whole event', () => {
  test('every pending and paid order cancelled, each on its own: one that fails leaves the others done', async () => {
    const s = await setUp('cx-bulk');
    const otherEvent = await setUp('cx-bulk-other');
    const pending = await pendingOrder(s, 1);
    const paidA = await paidOrder(s, 2);
    const paidB = await paidOrder(s, 1);
    const broken = await paidOrder(s, 1);
    const expired = await pendingOrder(s, 1);
    const untouched = await paidOrder(otherEvent, 1);
    await t.db.updateTable('orders').set({ status: 'expired' }).where('id', '=', expired.id).execute();
    // A payment that is not in a refundable state makes that one order fail (rolled back whole).
    await t.db.updateTable('payments').set({ status: 'failed' }).where('id', '=', broken.paymentId).execute();
    const invited = await placeOrder(t.db, t.config, null, {
      slug: s.slug,
      email: 'invited@example.org',
      language: 'fr',
      lines: [{ priceId: s.priceId, eventDateId: s.dateIds[0]!, quantity: 1 }],
    });
    await t.db.transaction().execute((trx) => completeOrder(trx, t.config, SYSTEM, invited.id, null)); // paid without a payment: nothing to refund
    const result = await cancelEventOrders(t.db, stripe(), s.admin, { slug: s.slug, eventId: s.eventId });
    assert.deepEqual(result, { cancelled: 4, already: 0, failed: 1, refundCents: 2000 + 1000, creditCents: 0 });
    for (const id of [pending.id, paidA.id, paidB.id, invited.id]) assert.equal(await orderStatus(id), 'cancelled', id);
    assert.equal(await orderStatus(broken.id), 'paid');
    assert.deepEqual(await ticketStatuses(broken.id), ['valid']);
    assert.equal(await orderStatus(expired.id), 'expired');
    assert.equal(await orderStatus(untouched.id), 'paid');
    // Still counted: the broken order's place and the expired one's (set by hand here, without its release).
    assert.deepEqual(await counters(s), { date: 2, price: 2, promo: 2 });
    assert.deepEqual(
      stripeRefunds(paidA.intent).map((r) => r.amount),
      [2000],
    );
    assert.deepEqual(
      stripeRefunds(paidB.intent).map((r) => r.amount),
      [1000],
    );
    assert.deepEqual(await cancelEventOrders(t.db, stripe(), s.admin, { slug: s.slug, eventId: s.eventId }), {
      cancelled: 0,
      already: 0,
      failed: 1,
      refundCents: 0,
      creditCents: 0,
    });
    const { secret } = await createApiKey(t.db, s.admin, { slug: s.slug, name: 'site', scopes: ['events:write'] });
    const viaApi = await withKey(t.app, secret, 'POST', `/api/v1/venues/${s.slug}/events/${s.eventId}/cancel-orders`);
    assert.equal(viaApi.statusCode, 200, viaApi.body);
    assert.deepEqual(viaApi.json(), { cancelled: 0, already: 0, failed: 1, refundCents: 0, creditCents: 0 });
  });

  test('bad input and other venues are refused, nothing written', async () => {
    const s = await setUp('cx-bulk-guard');
    const other = await setUp('cx-bulk-guard-other');
    const paid = await paidOrder(s, 1);
    await assert.rejects(
      cancelEventOrders(t.db, stripe(), other.admin, { slug: s.slug, eventId: s.eventId }),
      (e: unknown) => codeOf(e) === 'forbidden',
    );
    await assert.rejects(
      cancelEventOrders(t.db, stripe(), s.admin, { slug: s.slug, eventId: other.eventId }),
      (e: unknown) => codeOf(e) === 'not-found',
    );
    await assert.rejects(
      cancelEventOrders(t.db, stripe(), s.admin, { slug: s.slug, eventId: 'x' }),
      (e: unknown) => codeOf(e) === 'not-found',
    );
    await assert.rejects(
      cancelEventOrders(t.db, stripe(), s.admin, { slug: 'no-such-venue', eventId: s.eventId }),
      (e: unknown) => codeOf(e) === 'not-found',
    );
    assert.equal(await orderStatus(paid.id), 'paid');
  });
});

describe('HTTP', () => {
  test('POST /api/v1/orders/{id}/cancel: a key with events:write cancels; without the scope 403; unknown 404', async () => {
    const s = await setUp('cx-api');
    const paid = await paidOrder(s, 1);
    const { secret: door } = await createApiKey(t.db, s.admin, { slug: s.slug, name: 'porte', scopes: ['checkin'] });
    const { secret: site } = await createApiKey(t.db, s.admin, {
      slug: s.slug,
      name: 'site',
      scopes: ['events:write'],
    });
    const refused = await withKey(t.app, door, 'POST', `/api/v1/orders/${paid.id}/cancel`);
    assert.equal(refused.statusCode, 403);
    assert.equal(await orderStatus(paid.id), 'paid');
    assert.equal((await withKey(t.app, site, 'POST', `/api/v1/orders/${uuidv7()}/cancel`)).statusCode, 404);
    const done = await withKey(t.app, site, 'POST', `/api/v1/orders/${paid.id}/cancel`);
    assert.equal(done.statusCode, 200, done.body);
    assert.deepEqual(done.json(), {
      id: paid.id,
      status: 'cancelled',
      alreadyCancelled: false,
      refundCents: 1000,
      creditCents: 0,
    });
    assert.deepEqual((await withKey(t.app, site, 'POST', `/api/v1/orders/${paid.id}/cancel`)).json(), {
      id: paid.id,
      status: 'cancelled',
      alreadyCancelled: true,
      refundCents: 0,
      creditCents: 0,
    });
  });

  test('the holder cancels from the order page; after the deadline the page says why', async () => {
    const s = await setUp('cx-page', { deadlineHours: 2 });
    const browser = await t.loginAs('page-holder@example.org');
    const person = await ensurePerson(t.db, 'page-holder@example.org', 'fr');
    const paid = await paidOrder(s, 1, personActor(person.id));
    const page = await browser.get(`/orders/${paid.id}/cancel`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Annuler la commande/);
    const done = await browser.postForm(`/orders/${paid.id}/cancel`, {});
    assert.equal(done.statusCode, 303, done.body);
    assert.equal(done.headers.location, `/orders/${paid.id}`);
    assert.equal(await orderStatus(paid.id), 'cancelled');

    const late = await paidOrder(s, 1, personActor(person.id));
    await t.db
      .updateTable('cancellation_policies')
      .set({ holder_deadline_hours: 24 * 30 })
      .where('event_id', '=', s.eventId)
      .execute();
    const refused = await browser.postForm(`/orders/${late.id}/cancel`, {});
    assert.equal(refused.statusCode, 409);
    assert.match(refused.body, /Le délai pour annuler cette commande est passé/);
    assert.equal(await orderStatus(late.id), 'paid');
    const forged = await browser.postForm(`/orders/${late.id}/cancel`, {}, { csrf: false });
    assert.equal(forged.statusCode, 403);
  });
});

describe('refund as wallet credit', () => {
  let codes = 0;
  /** A venue as in setUp, issuing a local euro and offering refunds as credit in it. */
  async function creditVenue(slug: string, options: { deadlineHours?: number; offer?: boolean } = {}) {
    const s = await setUp(slug, options);
    const code = `LE${(codes++).toString(36).toUpperCase()}${slug
      .replace(/[^a-z]/g, '')
      .slice(0, 6)
      .toUpperCase()}`;
    const currency = await createCurrency(t.db, s.admin, {
      code,
      name: `Euro ${slug}`,
      kind: 'local_euro',
      decimals: 2,
      issuerPlaceId: s.place.id,
    });
    if (options.offer !== false)
      assert.deepEqual(await setCreditRefunds(t.db, s.admin, { slug, creditCurrency: code }), { creditCurrency: code });
    return { ...s, currency };
  }
  type CreditVenue = Awaited<ReturnType<typeof creditVenue>>;
  const buyer = async (email: string) => personActor((await ensurePerson(t.db, email, 'fr')).id);
  const wallet = async (v: CreditVenue, actor: Actor) =>
    (
      await t.db
        .selectFrom('ledger_accounts')
        .select('balance')
        .where('currency_id', '=', v.currency.id)
        .where('owner_kind', '=', 'person')
        .where('owner_ref', '=', actor.kind === 'person' ? actor.personId : '')
        .executeTakeFirst()
    )?.balance ?? 0;
  const mints = (v: CreditVenue) =>
    t.db
      .selectFrom('ledger_transfers')
      .select(['id', 'amount', 'kind'])
      .where('currency_id', '=', v.currency.id)
      .execute();
  const references = (v: CreditVenue) =>
    t.db
      .selectFrom('ledger_payment_references')
      .select(['provider', 'reference', 'amount_cents', 'place_id'])
      .where('currency_id', '=', v.currency.id)
      .execute();
  const paymentStatus = async (id: string) =>
    (await t.db.selectFrom('payments').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
  async function ledgerVerifies() {
    const check = await verifyLedger(t.db);
    assert.ok(check.ok, JSON.stringify(check.problem));
  }

  test("the holder chooses credit: minted in the venue's local euro against the Stripe payment, tickets cancelled, nothing sent to Stripe, once", async () => {
    const v = await creditVenue('cr-holder', { deadlineHours: 48 });
    const me = await buyer('credit-holder@example.org');
    const paid = await paidOrder(v, 2, me);
    const result = await cancelOwnOrder(t.db, stripe(), me, { orderId: paid.id, refundTo: 'credit' });
    assert.deepEqual(result, { orderId: paid.id, outcome: 'cancelled', refundCents: 0, creditCents: 2000 });
    assert.equal(await orderStatus(paid.id), 'cancelled');
    assert.deepEqual(await ticketStatuses(paid.id), ['cancelled', 'cancelled']);
    assert.deepEqual(await counters(v), { date: 0, price: 0, promo: 0 });
    assert.equal(await wallet(v, me), 2000);
    assert.deepEqual(stripeRefunds(paid.intent), [], 'no Stripe refund');
    const [mint] = await mints(v);
    assert.deepEqual(await references(v), [
      { provider: 'stripe', reference: paid.intent, amount_cents: 2000, place_id: v.place.id },
    ]);
    const rows = await refundRows(paid.paymentId);
    assert.deepEqual(
      rows.map((r) => [r.amount_cents, r.status, r.reason, r.provider_refund_id]),
      [[2000, 'succeeded', 'order_cancelled', `ledger:${mint!.id}`]],
    );
    assert.equal(await paymentStatus(paid.paymentId), 'refunded');
    // Given back once: a second cancel changes nothing, and no refund can be asked on top of the credit.
    assert.equal(
      (await cancelOwnOrder(t.db, stripe(), me, { orderId: paid.id, refundTo: 'credit' })).outcome,
      'already',
    );
    assert.equal(
      (await cancelOrder(t.db, stripe(), v.admin, { orderId: paid.id, refundTo: 'payment' })).outcome,
      'already',
    );
    assert.equal(await queueRefund(t.db, SYSTEM, { paymentId: paid.paymentId, reason: 'goodwill' }), null);
    await assert.rejects(
      queueRefund(t.db, SYSTEM, { paymentId: paid.paymentId, amountCents: 1, reason: 'goodwill' }),
      (e: unknown) => codeOf(e) === 'refund-too-large',
    );
    assert.equal((await mints(v)).length, 1);
    assert.equal(await wallet(v, me), 2000);
    const ticket = (await t.db.selectFrom('tickets').selectAll().where('order_id', '=', paid.id).execute())[0]!;
    assert.equal(await doorSays(v, ticket), 'cancelled');
    await ledgerVerifies();
  });

  test('the holder keeps the default: refunded to the payment even when credit is offered', async () => {
    const v = await creditVenue('cr-default', { deadlineHours: 48 });
    const me = await buyer('credit-default@example.org');
    const paid = await paidOrder(v, 1, me);
    assert.deepEqual(await cancelOwnOrder(t.db, stripe(), me, { orderId: paid.id }), {
      orderId: paid.id,
      outcome: 'cancelled',
      refundCents: 1000,
      creditCents: 0,
    });
    assert.deepEqual(
      stripeRefunds(paid.intent).map((r) => r.amount),
      [1000],
    );
    assert.equal(await wallet(v, me), 0);
    assert.deepEqual(await mints(v), []);
  });

  test('what was already refunded is not credited again: only what is left', async () => {
    const v = await creditVenue('cr-partial');
    const me = await buyer('credit-partial@example.org');
    const paid = await paidOrder(v, 2, me);
    await queueRefund(t.db, SYSTEM, { paymentId: paid.paymentId, amountCents: 500, reason: 'goodwill' });
    const result = await cancelOrder(t.db, stripe(), v.admin, { orderId: paid.id, refundTo: 'credit' });
    assert.deepEqual(result, { orderId: paid.id, outcome: 'cancelled', refundCents: 0, creditCents: 1500 });
    assert.equal(await wallet(v, me), 1500);
    assert.deepEqual((await refundRows(paid.paymentId)).map((r) => [r.amount_cents, r.reason]).sort(), [
      [1500, 'order_cancelled'],
      [500, 'goodwill'],
    ]);
    await ledgerVerifies();
  });

  test("an on-site payment is credited against its own reference (cash at the venue's till)", async () => {
    const v = await creditVenue('cr-onsite');
    const me = await buyer('credit-onsite@example.org');
    const paid = await paidOrder(v, 1, me);
    await t.db
      .updateTable('payments')
      .set({ provider: 'on_site', provider_payment_id: null, method: 'cash' })
      .where('id', '=', paid.paymentId)
      .execute();
    assert.equal(
      (await cancelOrder(t.db, stripe(), v.admin, { orderId: paid.id, refundTo: 'credit' })).creditCents,
      1000,
    );
    assert.deepEqual(await references(v), [
      { provider: 'cash', reference: `rezo-payment:${paid.paymentId}`, amount_cents: 1000, place_id: v.place.id },
    ]);
    await ledgerVerifies();
  });

  test('credit refused — not offered, no account, bad choice, a wallet payment — writes nothing; the default still refunds', async () => {
    const v = await creditVenue('cr-refused', { deadlineHours: 48 });
    const none = await creditVenue('cr-none', { deadlineHours: 48, offer: false });
    const me = await buyer('credit-refused@example.org');
    const anonymous = await paidOrder(v, 1, null);
    const notOffered = await paidOrder(none, 1, me);
    const byWallet = await paidOrder(v, 1, me);
    await t.db.updateTable('payments').set({ provider: 'wallet' }).where('id', '=', byWallet.paymentId).execute();
    const cases: [() => Promise<unknown>, string][] = [
      [
        () => cancelOrder(t.db, stripe(), v.admin, { orderId: anonymous.id, refundTo: 'credit' }),
        'credit-needs-account',
      ],
      [
        () => cancelOrder(t.db, stripe(), none.admin, { orderId: notOffered.id, refundTo: 'credit' }),
        'credit-not-offered',
      ],
      [() => cancelOwnOrder(t.db, stripe(), me, { orderId: notOffered.id, refundTo: 'credit' }), 'credit-not-offered'],
      [() => cancelOrder(t.db, stripe(), v.admin, { orderId: byWallet.id, refundTo: 'credit' }), 'credit-not-offered'],
      [() => cancelOrder(t.db, stripe(), v.admin, { orderId: anonymous.id, refundTo: 'wallet' }), 'refundTo:choice'],
      [() => cancelOwnOrder(t.db, stripe(), me, { orderId: notOffered.id, refundTo: 42 }), 'refundTo:choice'],
      [
        () =>
          cancelEventOrders(t.db, stripe(), none.admin, { slug: none.slug, eventId: none.eventId, refundTo: 'credit' }),
        'credit-not-offered',
      ],
      [
        () => cancelEventOrders(t.db, stripe(), v.admin, { slug: v.slug, eventId: v.eventId, refundTo: 'cash' }),
        'refundTo:choice',
      ],
    ];
    for (const [run, code] of cases) await assert.rejects(run(), (e: unknown) => codeOf(e) === code, code);
    for (const o of [anonymous, notOffered, byWallet]) {
      assert.equal(await orderStatus(o.id), 'paid');
      assert.deepEqual(await ticketStatuses(o.id), ['valid']);
      assert.equal((await refundRows(o.paymentId)).length, 0);
    }
    assert.deepEqual(await mints(v), []);
    assert.deepEqual(await counters(v), { date: 2, price: 2, promo: 2 });
    assert.equal((await cancelOrder(t.db, stripe(), v.admin, { orderId: anonymous.id })).refundCents, 1000);
  });

  test('the venue sets the credit currency: only an active local euro it issues; others refused, nothing written', async () => {
    const v = await creditVenue('cr-setting', { offer: false });
    const other = await creditVenue('cr-setting-other', { offer: false });
    const gift = await createCurrency(t.db, v.admin, {
      code: `GIFT${(codes++).toString(36).toUpperCase()}`,
      name: 'Cadeau',
      kind: 'gift',
      decimals: 2,
      issuerPlaceId: v.place.id,
    });
    const federation = await createFederation(t.db, SYSTEM, {
      slug: `fed-cr-${codes++}`,
      name: 'Fédération',
      placeIds: [v.place.id],
    });
    const euro = await createCurrency(t.db, SYSTEM, {
      code: `FED${(codes++).toString(36).toUpperCase()}`,
      name: 'Euro fédéré',
      kind: 'federated_euro',
      decimals: 2,
      federationId: federation.id,
    });
    const setting = async () =>
      (
        await t.db
          .selectFrom('credit_refund_settings')
          .select('currency_id')
          .where('place_id', '=', v.place.id)
          .executeTakeFirst()
      )?.currency_id ?? null;
    for (const bad of [gift.code, euro.code, other.currency.code, 'NOPE99']) {
      await assert.rejects(
        setCreditRefunds(t.db, v.admin, { slug: v.slug, creditCurrency: bad }),
        (e: unknown) => codeOf(e) === 'creditCurrency:credit.currency-not-creditable',
        bad,
      );
    }
    for (const bad of ['le', 42, undefined, 'A'.repeat(13)]) {
      await assert.rejects(
        setCreditRefunds(t.db, v.admin, { slug: v.slug, creditCurrency: bad }),
        (e: unknown) => codeOf(e) === 'creditCurrency:format',
        String(bad),
      );
    }
    await assert.rejects(
      setCreditRefunds(t.db, other.admin, { slug: v.slug, creditCurrency: v.currency.code }),
      (e: unknown) => codeOf(e) === 'forbidden',
    );
    const editor = await buyer('credit-editor@example.org');
    await t.db
      .insertInto('place_members')
      .values({ place_id: v.place.id, person_id: editor.kind === 'person' ? editor.personId : '', role: 'editor' })
      .execute();
    await assert.rejects(
      setCreditRefunds(t.db, editor, { slug: v.slug, creditCurrency: v.currency.code }),
      (e: unknown) => codeOf(e) === 'forbidden',
    );
    assert.equal(await setting(), null);
    await setCreditRefunds(t.db, v.admin, { slug: v.slug, creditCurrency: v.currency.code });
    assert.equal(await setting(), v.currency.id);
    // An archived currency is no longer offered, even with the setting left in place.
    await t.db.updateTable('ledger_currencies').set({ status: 'archived' }).where('id', '=', v.currency.id).execute();
    const me = await buyer('credit-archived@example.org');
    const paid = await paidOrder(v, 1, me);
    await assert.rejects(
      cancelOrder(t.db, stripe(), v.admin, { orderId: paid.id, refundTo: 'credit' }),
      (e: unknown) => codeOf(e) === 'credit-not-offered',
    );
    await t.db.updateTable('ledger_currencies').set({ status: 'active' }).where('id', '=', v.currency.id).execute();
    assert.deepEqual(await setCreditRefunds(t.db, v.admin, { slug: v.slug, creditCurrency: null }), {
      creditCurrency: null,
    });
    assert.equal(await setting(), null);
    const { secret } = await createApiKey(t.db, v.admin, { slug: v.slug, name: 'admin', scopes: ['place:write'] });
    const put = await withKey(t.app, secret, 'PUT', `/api/v1/venues/${v.slug}/credit-refunds`, {
      creditCurrency: v.currency.code,
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(await setting(), v.currency.id);
    const wrong = await withKey(t.app, secret, 'PUT', `/api/v1/venues/${v.slug}/credit-refunds`, {
      creditCurrency: gift.code,
    });
    assert.equal(wrong.statusCode, 422);
    assert.equal(await setting(), v.currency.id);
  });

  test('the whole event with credit: orders with an account credited, the others refunded to their payment', async () => {
    const v = await creditVenue('cr-bulk');
    const me = await buyer('credit-bulk@example.org');
    const credited = await paidOrder(v, 2, me);
    const anonymous = await paidOrder(v, 1, null);
    const pending = await pendingOrder(v, 1, me);
    const result = await cancelEventOrders(t.db, stripe(), v.admin, {
      slug: v.slug,
      eventId: v.eventId,
      refundTo: 'credit',
    });
    assert.deepEqual(result, { cancelled: 3, already: 0, failed: 0, refundCents: 1000, creditCents: 2000 });
    assert.equal(await wallet(v, me), 2000);
    assert.deepEqual(stripeRefunds(credited.intent), []);
    assert.deepEqual(
      stripeRefunds(anonymous.intent).map((r) => r.amount),
      [1000],
    );
    assert.equal(await orderStatus(pending.id), 'cancelled');
    await ledgerVerifies();
  });

  test(
    'ten concurrent cancels choosing credit: one credit, one refund row, one mint; the ledger verifies',
    { skip: !onPostgres && 'needs PostgreSQL' },
    async () => {
      const v = await creditVenue('cr-race', { deadlineHours: 48 });
      const me = await buyer('credit-race@example.org');
      const paid = await paidOrder(v, 3, me);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 === 0
            ? cancelOrder(t.db, stripe(), v.admin, { orderId: paid.id, refundTo: 'credit' })
            : cancelOwnOrder(t.db, stripe(), me, { orderId: paid.id, refundTo: 'credit' }),
        ),
      );
      assert.equal(results.filter((r) => r.outcome === 'cancelled').length, 1);
      assert.equal(
        results.reduce((n, r) => n + r.creditCents, 0),
        3000,
      );
      assert.equal(
        results.reduce((n, r) => n + r.refundCents, 0),
        0,
      );
      assert.equal(await wallet(v, me), 3000);
      assert.equal((await mints(v)).length, 1);
      assert.equal((await refundRows(paid.paymentId)).length, 1);
      assert.deepEqual(await counters(v), { date: 0, price: 0, promo: 0 });
      assert.deepEqual(stripeRefunds(paid.intent), []);
      await ledgerVerifies();
    },
  );

  test('HTTP: the venue API takes refundTo (absent means the payment); the holder page offers the choice and posts it', async () => {
    const v = await creditVenue('cr-http', { deadlineHours: 2 });
    const { secret } = await createApiKey(t.db, v.admin, { slug: v.slug, name: 'site', scopes: ['events:write'] });
    const person = await ensurePerson(t.db, 'credit-page@example.org', 'fr');
    const me = personActor(person.id);
    const viaApi = await paidOrder(v, 1, me);
    const bad = await withKey(t.app, secret, 'POST', `/api/v1/orders/${viaApi.id}/cancel`, { refundTo: 'wallet' });
    assert.equal(bad.statusCode, 422, bad.body);
    assert.equal(await orderStatus(viaApi.id), 'paid');
    const done = await withKey(t.app, secret, 'POST', `/api/v1/orders/${viaApi.id}/cancel`, { refundTo: 'credit' });
    assert.equal(done.statusCode, 200, done.body);
    assert.deepEqual(done.json(), {
      id: viaApi.id,
      status: 'cancelled',
      alreadyCancelled: false,
      refundCents: 0,
      creditCents: 1000,
    });

    const browser = await t.loginAs('credit-page@example.org');
    const paid = await paidOrder(v, 1, me);
    const page = await browser.get(`/orders/${paid.id}/cancel`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /name="refundTo" value="payment" checked/);
    assert.match(page.body, /name="refundTo" value="credit"/);
    assert.ok(page.body.includes(`Euro cr-http`), 'the currency is named');
    const posted = await browser.postForm(`/orders/${paid.id}/cancel`, { refundTo: 'credit' });
    assert.equal(posted.statusCode, 303, posted.body);
    assert.equal(await wallet(v, me), 2000);
    assert.deepEqual(stripeRefunds(paid.intent), []);

    const none = await setUp('cr-http-none', { deadlineHours: 2 });
    const plain = await paidOrder(none, 1, me);
    const plainPage = await browser.get(`/orders/${plain.id}/cancel`);
    assert.doesNotMatch(plainPage.body, /name="refundTo"/, 'no choice when the venue offers no credit');
    await ledgerVerifies();
  });

  test("the venue's ticketing page offers credit for the whole event when it gives credit, and posts the choice", async () => {
    const v = await creditVenue('cr-admin-page');
    const me = await buyer('credit-admin-page@example.org');
    await paidOrder(v, 2, me);
    const admin = await t.loginAs('admin@cr-admin-page.example');
    const base = `/venues/${v.slug}/admin/events/${v.eventId}/tickets`;
    const page = await admin.get(base);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /name="refundTo" value="payment" checked/);
    const bad = await admin.postForm(`${base}/cancel-all`, { confirm: 'yes', refundTo: 'wallet' });
    assert.equal(bad.statusCode, 422);
    assert.equal(await wallet(v, me), 0);
    const done = await admin.postForm(`${base}/cancel-all`, { confirm: 'yes', refundTo: 'credit' });
    assert.equal(done.statusCode, 200, done.body);
    assert.equal(await wallet(v, me), 2000);
    const none = await setUp('cr-admin-none');
    const plain = await (
      await t.loginAs('admin@cr-admin-none.example')
    ).get(`/venues/${none.slug}/admin/events/${none.eventId}/tickets`);
    assert.doesNotMatch(plain.body, /name="refundTo"/, 'no choice when the venue offers no credit');
    await ledgerVerifies();
  });
});
