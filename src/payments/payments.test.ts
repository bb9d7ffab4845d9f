import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestNode, createTestNodeWithStripe, onPostgres } from '../../test/harness.ts';
import { SYSTEM } from '../access/actor.ts';
import { createPlace } from '../places/createPlace.ts';
import { ensurePerson } from '../accounts/people.ts';
import { uuidv7 } from '../shared/ids.ts';
import { DomainError } from '../shared/errors.ts';
import { registerPurpose } from './purposes.ts';
import { startStripeCheckout } from './startStripeCheckout.ts';
import { sendPendingRefunds } from './sendPendingRefunds.ts';
import { useStripeTestNode, type StripeTestNode } from './testFixtures.ts';

// A purpose for these tests. Its apply writes a row whose primary key is the payment id, so
// applying one payment twice would fail loudly; `refuse` makes it answer cannot_apply.
const refuse = new Set<string>();
registerPurpose('test', {
  async apply(trx, payment) {
    if (refuse.has(payment.subject_id)) return 'cannot_apply';
    await trx
      .insertInto('node_settings')
      .values({ key: `applied:${payment.id}`, value: String(payment.amount_cents) })
      .execute();
    return 'applied';
  },
  returnPath: (payment) => `/test-return/${payment.subject_id}`,
});

let t: StripeTestNode;
let personId: string;

useStripeTestNode(async (node) => {
  t = node;
  personId = (await ensurePerson(t.db, 'buyer@example.org', 'fr')).id;
});

async function checkout(amountCents = 1500, placeId: string | null = null) {
  return startStripeCheckout(t.db, t.node.stripe, t.config, {
    purpose: 'test',
    subjectId: uuidv7(),
    placeId,
    personId,
    amountCents,
    label: 'Test',
    language: 'fr',
  });
}

async function deliver(event: unknown, options: { secret?: string; timestamp?: number; signature?: string } = {}) {
  const { payload, signature } = t.fake.signed(event, options.secret, options.timestamp);
  return t.app.inject({
    method: 'POST',
    url: '/webhooks/stripe',
    headers: { 'content-type': 'application/json', 'stripe-signature': options.signature ?? signature },
    payload,
  });
}

const paymentRow = (id: string) =>
  t.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const appliedCount = async (id: string) =>
  (await t.db.selectFrom('node_settings').select('key').where('key', '=', `applied:${id}`).execute()).length;
const sessionOf = async (id: string) => (await paymentRow(id)).provider_session_id!;

describe('Stripe Checkout', () => {
  test('a checkout writes the payment first and opens one session keyed by the payment id', async () => {
    const { paymentId, url } = await checkout(2500);
    const row = await paymentRow(paymentId);
    assert.equal(row.status, 'pending');
    assert.equal(row.amount_cents, 2500);
    assert.equal(row.checkout_url, url);
    const session = t.fake.sessions.get(row.provider_session_id!)!;
    assert.equal(session.amount_total, 2500);
    assert.equal(session.metadata.rezo_payment_id, paymentId);
    const call = t.fake.requests.find(
      (r) => r.path === '/v1/checkout/sessions' && r.idempotencyKey === `checkout-${paymentId}`,
    );
    assert.ok(call, 'the session call carries the idempotency key');
    assert.equal(call.account, null, 'a federation payment goes to the platform account');
  });

  test('a venue payment goes to the venue connected account; a venue without one is refused', async () => {
    const admin = await ensurePerson(t.db, 'venue-admin@example.org', 'fr');
    const place = await createPlace(t.db, SYSTEM, { slug: 'pay-venue', name: 'Pay venue' }, admin.id);
    await assert.rejects(
      checkout(1000, place.id),
      (e: unknown) => e instanceof DomainError && e.code === 'payments-not-set-up',
    );
    await t.db.updateTable('places').set({ stripe_account_id: 'acct_123test' }).where('id', '=', place.id).execute();
    const { paymentId } = await checkout(1000, place.id);
    const session = t.fake.sessions.get(await sessionOf(paymentId))!;
    assert.equal(session.account, 'acct_123test');
  });

  test('when Stripe is down the person gets a 503 and the payment is marked failed, not left pending', async () => {
    t.fake.failNext = 10;
    const before = await t.db
      .selectFrom('payments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    await assert.rejects(
      checkout(700),
      (e: unknown) => e instanceof DomainError && e.code === 'payment-provider-unavailable' && e.status === 503,
    );
    const after_ = await t.db
      .selectFrom('payments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    assert.equal(Number(after_.n), Number(before.n));
    const failed = await t.db
      .selectFrom('payments')
      .select('id')
      .where('status', '=', 'failed')
      .where('amount_cents', '=', 700)
      .execute();
    assert.equal(failed.length, 1);
  });
});

describe('webhooks', () => {
  test('a paid session confirms the payment and applies its purpose once, even when delivered twice', async () => {
    const { paymentId } = await checkout(1800);
    const event = t.fake.complete(await sessionOf(paymentId));
    const first = await deliver(event);
    assert.equal(first.statusCode, 200);
    assert.equal(first.json().result, 'processed');
    const again = await deliver(event);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().result, 'duplicate');
    // Stripe may also send a second, different event for the same session.
    const other = await deliver(
      t.fake.event('checkout.session.async_payment_succeeded', t.fake.sessions.get(await sessionOf(paymentId))),
    );
    assert.equal(other.statusCode, 200);
    const row = await paymentRow(paymentId);
    assert.equal(row.status, 'paid');
    assert.match(row.provider_payment_id!, /^pi_/);
    assert.equal(await appliedCount(paymentId), 1);
  });

  test('the webhook racing the browser return confirms once', async () => {
    const { paymentId } = await checkout(900);
    const session = await sessionOf(paymentId);
    const events = [t.fake.complete(session), t.fake.event('checkout.session.completed', t.fake.sessions.get(session))];
    const results = await Promise.all([
      deliver(events[0]),
      t.app.inject({ url: `/payments/${paymentId}/return?session_id=${session}` }),
      deliver(events[1]),
      t.app.inject({ url: `/payments/${paymentId}/return?session_id=${session}` }),
    ]);
    for (const r of results) assert.ok([200, 303].includes(r.statusCode), `${r.statusCode} ${r.body}`);
    assert.equal(results[1]!.headers.location, `/test-return/${(await paymentRow(paymentId)).subject_id}?payment=paid`);
    assert.equal((await paymentRow(paymentId)).status, 'paid');
    assert.equal(await appliedCount(paymentId), 1);
  });

  test(
    'many concurrent deliveries of distinct events for one payment apply it exactly once',
    { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
    async () => {
      const { paymentId } = await checkout(1200);
      const session = await sessionOf(paymentId);
      t.fake.complete(session);
      const events = Array.from({ length: 20 }, () =>
        t.fake.event('checkout.session.completed', t.fake.sessions.get(session)),
      );
      const results = await Promise.all(events.map((e) => deliver(e)));
      assert.ok(results.every((r) => r.statusCode === 200));
      assert.equal(await appliedCount(paymentId), 1);
      const stored = await t.db
        .selectFrom('payment_events')
        .select('event_id')
        .where('payment_id', '=', paymentId)
        .execute();
      assert.equal(stored.length, 20);
    },
  );

  test('a bad, stale or missing signature is refused with 400 and nothing is written', async () => {
    const { paymentId } = await checkout(1300);
    const event = t.fake.complete(await sessionOf(paymentId));
    const cases = [
      await deliver(event, { secret: 'whsec_wrong' }),
      await deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 3600 }),
      await deliver(event, { signature: 't=1,v1=deadbeef' }),
      await t.app.inject({
        method: 'POST',
        url: '/webhooks/stripe',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(event),
      }),
    ];
    for (const r of cases) {
      assert.equal(r.statusCode, 400);
      assert.equal(r.json().type, `${t.config.baseUrl}/problems/webhook-signature`);
    }
    assert.equal((await paymentRow(paymentId)).status, 'pending');
    assert.equal(
      (await t.db.selectFrom('payment_events').select('event_id').where('event_id', '=', event.id).execute()).length,
      0,
    );
    // A body altered after signing is refused too.
    const { payload, signature } = t.fake.signed(event);
    const tampered = await t.app.inject({
      method: 'POST',
      url: '/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload: payload.replace('"amount_total":1300', '"amount_total":13'),
    });
    assert.equal(tampered.statusCode, 400);
  });

  test('an expired session marks the payment expired; paid late, it is still confirmed', async () => {
    const { paymentId } = await checkout(1100);
    const session = await sessionOf(paymentId);
    assert.equal((await deliver(t.fake.expire(session))).statusCode, 200);
    assert.equal((await paymentRow(paymentId)).status, 'expired');
    assert.equal((await deliver(t.fake.complete(session))).statusCode, 200);
    assert.equal((await paymentRow(paymentId)).status, 'paid');
    assert.equal(await appliedCount(paymentId), 1);
  });
});

describe('money is never kept unapplied', () => {
  test('a different amount is not applied: the payment is refunded in full, once, even if Stripe fails the first time', async () => {
    const { paymentId } = await checkout(2000);
    const event = t.fake.complete(await sessionOf(paymentId), { amount: 1999 });
    // Stripe fails from now on: the refund round the webhook schedules, and ours, both fail.
    t.fake.failNext = 100;
    assert.equal((await deliver(event)).statusCode, 200);
    let row = await paymentRow(paymentId);
    assert.equal(row.status, 'refund_pending');
    assert.equal(await appliedCount(paymentId), 0);
    await new Promise((r) => setTimeout(r, 50));
    const failed = await sendPendingRefunds(t.db, t.node.stripe);
    assert.equal(failed.succeeded, 0);
    const refundRow = await t.db
      .selectFrom('refunds')
      .selectAll()
      .where('payment_id', '=', paymentId)
      .executeTakeFirstOrThrow();
    assert.equal(refundRow.status, 'pending');
    assert.ok(refundRow.attempts >= 1 && refundRow.error, 'the failure is recorded');
    t.fake.failNext = 0;
    // Time passes: the refund's backoff is over (docs/PAYMENTS.md invariant 4).
    await t.db
      .updateTable('refunds')
      .set({ next_attempt_at: new Date() })
      .where('payment_id', '=', paymentId)
      .execute();
    await sendPendingRefunds(t.db, t.node.stripe);
    await sendPendingRefunds(t.db, t.node.stripe);
    row = await paymentRow(paymentId);
    assert.equal(row.status, 'refunded');
    const refunds = [...t.fake.refunds.values()].filter((r) => r.payment_intent === row.provider_payment_id);
    assert.equal(refunds.length, 1);
    assert.equal(refunds[0]!.amount, 1999);
  });

  test('a purpose that cannot use the money gets it refunded', async () => {
    const { paymentId } = await checkout(500);
    refuse.add((await paymentRow(paymentId)).subject_id);
    await deliver(t.fake.complete(await sessionOf(paymentId)));
    await new Promise((r) => setTimeout(r, 50));
    await sendPendingRefunds(t.db, t.node.stripe);
    const row = await paymentRow(paymentId);
    assert.equal(row.status, 'refunded');
    const refundRows = await t.db.selectFrom('refunds').selectAll().where('payment_id', '=', paymentId).execute();
    assert.equal(refundRows.length, 1);
    assert.equal(refundRows[0]!.reason, 'cannot_apply');
    assert.equal(await appliedCount(paymentId), 0);
  });
});

describe('browser return', () => {
  test('an unpaid session leaves the payment pending; an unknown payment is 404', async () => {
    const { paymentId } = await checkout(300);
    const r = await t.app.inject({ url: `/payments/${paymentId}/return?cancelled=1` });
    assert.equal(r.statusCode, 303);
    assert.match(String(r.headers.location), /payment=pending$/);
    assert.equal((await paymentRow(paymentId)).status, 'pending');
    assert.equal((await t.app.inject({ url: `/payments/${uuidv7()}/return` })).statusCode, 404);
    assert.equal((await t.app.inject({ url: '/payments/not-a-uuid/return' })).statusCode, 404);
  });

  test('without Stripe settings the webhook answers 503 and online checkout is refused', async () => {
    const off = await createTestNode();
    try {
      const r = await off.app.inject({
        method: 'POST',
        url: '/webhooks/stripe',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      assert.equal(r.statusCode, 503);
      assert.equal(r.json().type, `${off.config.baseUrl}/problems/payments-disabled`);
      await assert.rejects(
        startStripeCheckout(off.db, off.node.stripe, off.config, {
          purpose: 'test',
          subjectId: uuidv7(),
          placeId: null,
          personId: null,
          amountCents: 100,
          label: 'x',
          language: 'fr',
        }),
        (e: unknown) => e instanceof DomainError && e.code === 'payments-disabled',
      );
      await sql`select 1`.execute(off.db);
    } finally {
      await off.close();
    }
  });

  test('without the Connect secret, the Connect endpoint answers 503 and the platform endpoint still works', async () => {
    const half = await createTestNodeWithStripe({ stripeConnectWebhookSecret: undefined });
    try {
      const { payload, signature } = half.fake.signed(half.fake.event('customer.created', { id: 'cus_x' }));
      const post = (url: string) =>
        half.app.inject({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
          payload,
        });
      const connect = await post('/webhooks/stripe/connect');
      assert.equal(connect.statusCode, 503);
      assert.equal(connect.json().type, `${half.config.baseUrl}/problems/payments-disabled`);
      assert.equal((await post('/webhooks/stripe')).statusCode, 200);
    } finally {
      await half.close();
    }
  });
});
