import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { loadConfig } from '../config.ts';
import { personActor, SYSTEM } from '../access/actor.ts';
import { createLedgerWorld } from '../ledger/testFixtures.ts';
import { refundTopUp } from '../ledger/onlineTopUp.ts';
import { buyMembership } from '../memberships/buyMembership.ts';
import { createMembershipProduct } from '../memberships/createMembershipProduct.ts';
import { cancelOrder } from '../ticketing/cancelOrder.ts';
import { eventSelling } from '../ticketing/testFixtures.ts';
import { queueRefund } from './queueRefund.ts';

let venues = 0;
async function venue(t: TestNode) {
  const slug = `demo-pay-${venues++}`;
  const ev = await eventSelling(
    t.db,
    { slug, capacity: 10 },
    { name: 'Plein', kind: 'fixed', price: '12' },
    { name: 'Invitation', kind: 'free' },
  );
  const [full, free] = ev.priceIds;
  return { ...ev, slug, dateId: ev.dateIds[0]!, full, free };
}

const taken = async (t: TestNode, dateId: string) =>
  (await t.db.selectFrom('date_capacity').select('taken').where('event_date_id', '=', dateId).executeTakeFirst())
    ?.taken ?? 0;

/** A pending demo payment written straight into the table, as a node taking demo payments would have. */
async function pendingDemoPayment(t: TestNode, placeId: string, id: string) {
  await t.db
    .insertInto('payments')
    .values({
      id,
      purpose: 'order',
      subject_id: id,
      place_id: placeId,
      provider: 'demo',
      amount_cents: 100,
      person_id: null,
      status: 'pending',
    })
    .execute();
}

/** An order for the venue's paid price, refused: nothing can take the payment. */
async function assertPaidOrderRefused(
  t: TestNode,
  v: Awaited<ReturnType<typeof venue>>,
  email: string,
  quantity: number,
) {
  const placed = await t.client().api('POST', '/api/v1/orders', {
    venue: v.slug,
    email,
    lines: [{ priceId: v.full, eventDateId: v.dateId, quantity }],
  });
  assert.equal(placed.statusCode, 409, placed.body);
  assert.match(placed.json().type, /payments-not-set-up$/);
}

describe('demo payment provider, on (development without Stripe)', () => {
  let t: TestNode;
  before(async () => {
    t = await createTestNode({ demoPayments: true });
  });
  after(async () => {
    await t.close();
  });

  test('an order is paid on the demo page: one payment, tickets issued once however often "Payer" is posted', async () => {
    const v = await venue(t);
    const c = t.client();
    const placed = await c.api('POST', '/api/v1/orders', {
      venue: v.slug,
      email: 'demo-buyer@example.org',
      lines: [{ priceId: v.full, eventDateId: v.dateId, quantity: 2 }],
    });
    assert.equal(placed.statusCode, 201, placed.body);
    const url = placed.json().next.url as string;
    assert.match(url, /^\/payments\/[0-9a-f-]{36}\/demo$/);
    const page = await c.get(url);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Paiement de démonstration — aucun argent réel/);
    assert.match(page.body, /24,00/);
    assert.match(page.body, /action="[^"]+\/demo\/pay"/);
    assert.match(page.body, /action="[^"]+\/demo\/cancel"/);
    const en = await c.get(`${url}?lang=en`);
    assert.match(en.body, /Demo payment — no real money/);

    // Without the CSRF token: refused, nothing paid.
    const forged = await c.postForm(`${url}/pay`, {}, { csrf: false });
    assert.equal(forged.statusCode, 403);
    const [first, second] = await Promise.all([c.postForm(`${url}/pay`, {}), c.postForm(`${url}/pay`, {})]);
    for (const r of [first, second]) {
      assert.equal(r.statusCode, 303);
      assert.equal(r.headers.location, `/orders/${placed.json().id}?payment=paid`);
    }
    const third = await c.postForm(`${url}/pay`, {});
    assert.equal(third.headers.location, `/orders/${placed.json().id}?payment=paid`);
    const payments = await t.db.selectFrom('payments').selectAll().where('subject_id', '=', placed.json().id).execute();
    assert.equal(payments.length, 1);
    assert.equal(payments[0]!.provider, 'demo');
    assert.equal(payments[0]!.status, 'paid');
    assert.equal(payments[0]!.received_cents, 2400);
    const order = await t.db
      .selectFrom('orders')
      .select('status')
      .where('id', '=', placed.json().id)
      .executeTakeFirst();
    assert.equal(order!.status, 'paid');
    const tickets = await t.db.selectFrom('tickets').select('id').where('order_id', '=', placed.json().id).execute();
    assert.equal(tickets.length, 2);
    const audits = await t.db
      .selectFrom('audit_log')
      .select('action')
      .where('subject_id', '=', payments[0]!.id)
      .where('action', '=', 'payment.paid')
      .execute();
    assert.equal(audits.length, 1);
    // The page now says it was handled, with no button.
    const done = await c.get(url);
    assert.doesNotMatch(done.body, /demo\/pay/);

    // Cancelling the paid order refunds the demo payment at once: nothing is sent anywhere.
    const cancelled = await cancelOrder(t.db, null, v.admin, { orderId: placed.json().id });
    assert.equal(cancelled.refundCents, 2400);
    const refunds = await t.db.selectFrom('refunds').selectAll().where('payment_id', '=', payments[0]!.id).execute();
    assert.deepEqual(
      refunds.map((r) => [r.status, r.amount_cents]),
      [['succeeded', 2400]],
    );
    const after = await t.db
      .selectFrom('payments')
      .select('status')
      .where('id', '=', payments[0]!.id)
      .executeTakeFirst();
    assert.equal(after!.status, 'refunded');
  });

  test('"Annuler" ends the payment like an expired Checkout; paying it afterwards still confirms (paid late)', async () => {
    const v = await venue(t);
    const c = t.client();
    const placed = await c.api('POST', '/api/v1/orders', {
      venue: v.slug,
      email: 'demo-cancel@example.org',
      lines: [{ priceId: v.full, eventDateId: v.dateId, quantity: 1 }],
    });
    const url = placed.json().next.url as string;
    const cancel = await c.postForm(`${url}/cancel`, {});
    assert.equal(cancel.statusCode, 303);
    assert.equal(cancel.headers.location, `/orders/${placed.json().id}?payment=expired`);
    const payment = await t.db
      .selectFrom('payments')
      .select(['id', 'status'])
      .where('subject_id', '=', placed.json().id)
      .executeTakeFirstOrThrow();
    assert.equal(payment.status, 'expired');
    const order = await t.db
      .selectFrom('orders')
      .select('status')
      .where('id', '=', placed.json().id)
      .executeTakeFirst();
    assert.equal(order!.status, 'pending');
  });

  test('a payment that cannot be applied is refunded at once (no provider to send the refund to)', async () => {
    const v = await venue(t);
    const c = t.client();
    const placed = await c.api('POST', '/api/v1/orders', {
      venue: v.slug,
      email: 'demo-late@example.org',
      lines: [{ priceId: v.full, eventDateId: v.dateId, quantity: 1 }],
    });
    // The order is cancelled by the venue before the payment arrives.
    await cancelOrder(t.db, null, v.admin, { orderId: placed.json().id });
    const r = await c.postForm(`${placed.json().next.url}/pay`, {});
    assert.equal(r.headers.location, `/orders/${placed.json().id}?payment=refunded`);
    const payment = await t.db
      .selectFrom('payments')
      .select(['id', 'status'])
      .where('subject_id', '=', placed.json().id)
      .executeTakeFirstOrThrow();
    const refunds = await t.db.selectFrom('refunds').select('status').where('payment_id', '=', payment.id).execute();
    assert.deepEqual(
      refunds.map((x) => x.status),
      ['succeeded'],
    );
  });

  test("a person's demo payment is theirs: anyone else gets 404", async () => {
    const v = await venue(t);
    const buyer = await t.loginAs('demo-owner@example.org');
    const placed = await buyer.api('POST', '/api/v1/orders', {
      venue: v.slug,
      email: 'demo-owner@example.org',
      lines: [{ priceId: v.full, eventDateId: v.dateId, quantity: 1 }],
    });
    const url = placed.json().next.url as string;
    const stranger = t.client();
    assert.equal((await stranger.get(url)).statusCode, 404);
    assert.equal((await stranger.postForm(`${url}/pay`, {})).statusCode, 404);
    const other = await t.loginAs('demo-other@example.org');
    assert.equal((await other.postForm(`${url}/pay`, {})).statusCode, 404);
    assert.equal((await buyer.postForm(`${url}/pay`, {})).statusCode, 303);
  });

  test('an online top-up and its refund, through the demo provider', async () => {
    const world = await createLedgerWorld(t.db);
    const p = await world.person();
    const c = await t.loginAs(p.email);
    const wallet = await c.get('/wallet');
    assert.match(wallet.body, /action="\/wallet\/top-up"/);
    const start = await c.postForm('/wallet/top-up', { currency: world.euro.code, amount: '25' });
    assert.equal(start.statusCode, 303);
    const url = String(start.headers.location);
    assert.match(url, /\/demo$/);
    const paid = await c.postForm(`${url}/pay`, {});
    assert.equal(paid.headers.location, '/wallet?payment=paid');
    const balance = await t.db
      .selectFrom('ledger_accounts')
      .select('balance')
      .where('id', '=', p.euro.id)
      .executeTakeFirst();
    assert.equal(balance!.balance, 2500);
    const paymentId = url.split('/')[2]!;
    const reference = await t.db
      .selectFrom('ledger_payment_references')
      .select(['provider', 'reference'])
      .where(
        'transfer_id',
        '=',
        (await t.db.selectFrom('payments').select('subject_id').where('id', '=', paymentId).executeTakeFirstOrThrow())
          .subject_id,
      )
      .executeTakeFirstOrThrow();
    assert.deepEqual(reference, { provider: 'demo', reference: `demo_${paymentId}` });
    const { refundedCents } = await refundTopUp(t.db, p.actor, paymentId);
    assert.equal(refundedCents, 2500);
    const payment = await t.db.selectFrom('payments').select('status').where('id', '=', paymentId).executeTakeFirst();
    assert.equal(payment!.status, 'refunded');
    const back = await t.db
      .selectFrom('ledger_accounts')
      .select('balance')
      .where('id', '=', p.euro.id)
      .executeTakeFirst();
    assert.equal(back!.balance, 0);
  });

  test('a membership is paid on the demo page and becomes active; a refund is done at once', async () => {
    const v = await venue(t);
    await t.db
      .updateTable('places')
      .set({ modules: ['agenda', 'ticketing', 'memberships'] } as never)
      .where('id', '=', v.place.id)
      .execute();
    const product = await createMembershipProduct(t.db, v.admin, v.slug, {
      name: 'Adhésion annuelle',
      validity_kind: 'days',
      validity_value: '365',
      price_kind: 'fixed',
      price: '15',
    });
    const buyer = await t.loginAs('demo-member@example.org');
    const person = await t.db
      .selectFrom('people')
      .select('id')
      .where('email', '=', 'demo-member@example.org')
      .executeTakeFirstOrThrow();
    const result = await buyMembership(t.db, null, t.config, personActor(person.id), {
      slug: v.slug,
      productId: product.id,
    });
    assert.equal(result.kind, 'pay');
    if (result.kind !== 'pay') return;
    const r = await buyer.postForm(`${result.url}/pay`, {});
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, '/account?payment=paid#memberships');
    const m = await t.db
      .selectFrom('memberships')
      .select(['status', 'payment_id'])
      .where('id', '=', result.membershipId)
      .executeTakeFirstOrThrow();
    assert.equal(m.status, 'active');
    const refund = await queueRefund(t.db, SYSTEM, { paymentId: m.payment_id!, reason: 'test_refund' });
    assert.equal(refund!.amountCents, 1500);
    const statuses = await t.db
      .selectFrom('refunds')
      .select('status')
      .where('payment_id', '=', m.payment_id!)
      .execute();
    assert.deepEqual(
      statuses.map((s) => s.status),
      ['succeeded'],
    );
  });
});

describe('demo payment provider, off', () => {
  let t: TestNode;
  before(async () => {
    t = await createTestNode();
  });
  after(async () => {
    await t.close();
  });

  test('never in production: the configuration refuses it, and it is off by default outside development', () => {
    assert.throws(() => loadConfig({ REZO_ENV: 'production', REZO_DEMO_PAYMENTS: '1' }), /REZO_DEMO_PAYMENTS/);
    assert.equal(loadConfig({ REZO_ENV: 'production' }).demoPayments, false);
    assert.equal(loadConfig({ NODE_ENV: 'production' }).demoPayments, false);
    assert.equal(loadConfig({ REZO_ENV: 'development' }).demoPayments, true);
    assert.equal(
      loadConfig({ REZO_ENV: 'development', STRIPE_SECRET_KEY: 'sk_test_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' })
        .demoPayments,
      false,
    );
    assert.equal(loadConfig({ REZO_ENV: 'development', REZO_DEMO_PAYMENTS: '0' }).demoPayments, false);
    assert.equal(loadConfig({ REZO_ENV: 'test' }).demoPayments, false);
  });

  test('its routes answer 404, even for a demo payment that exists', async () => {
    const v = await venue(t);
    const id = '0190a0a0-0000-7000-8000-000000000001';
    await pendingDemoPayment(t, v.place.id, id);
    const c = t.client();
    assert.equal((await c.get(`/payments/${id}/demo`)).statusCode, 404);
    assert.equal((await c.postForm(`/payments/${id}/demo/pay`, {})).statusCode, 404);
    assert.equal((await c.postForm(`/payments/${id}/demo/cancel`, {})).statusCode, 404);
    const row = await t.db.selectFrom('payments').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(row.status, 'pending');
  });

  test('a price nobody can pay is not offered, and an order for it holds nothing', async () => {
    const v = await venue(t);
    const c = t.client();
    const offers = await c.get(`/api/v1/events/${v.eventId}/offers`);
    if (offers.statusCode === 200) {
      const names = JSON.stringify(offers.json());
      assert.doesNotMatch(names, /Plein/);
      assert.match(names, /Invitation/);
    }
    const page = await c.get(`/events/${v.slug}-concert`);
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, /Plein/);
    assert.match(page.body, /Invitation/);
    const before = await taken(t, v.dateId);
    await assertPaidOrderRefused(t, v, 'nobody-pays@example.org', 2);
    assert.equal(await taken(t, v.dateId), before);
    const orders = await t.db
      .selectFrom('orders')
      .select('id')
      .where('email', '=', 'nobody-pays@example.org')
      .execute();
    assert.equal(orders.length, 0);
  });

  test('the event’s ticketing page tells the venue team why paid prices are not offered', async () => {
    const v = await venue(t);
    const admin = await t.loginAs(`admin@${v.slug}.example`);
    const page = await admin.get(`/venues/${v.slug}/admin/events/${v.eventId}/tickets`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Les tarifs payants ne sont pas proposés au public/);
  });

  test('a production node never takes demo payments, even with a configuration that asks for them', async () => {
    const prod = await createTestNode({ env: 'production', demoPayments: true });
    try {
      const v = await venue(prod);
      await assertPaidOrderRefused(prod, v, 'prod-buyer@example.org', 1);
      const c = prod.client();
      const id = '0190a0a0-0000-7000-8000-000000000002';
      await pendingDemoPayment(prod, v.place.id, id);
      assert.equal((await c.get(`/payments/${id}/demo`)).statusCode, 404);
      assert.equal((await c.postForm(`/payments/${id}/demo/pay`, {})).statusCode, 404);
    } finally {
      await prod.close();
    }
  });
});
