import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestNode, onPostgres, type TestNode } from '../../test/harness.ts';
import { ledgerSellingWorld } from '../ticketing/testFixtures.ts';
import { cancelOrder } from '../ticketing/cancelOrder.ts';
import { payOrderWithWallet } from '../ticketing/payOrderWithWallet.ts';
import { placeOrder } from '../ticketing/placeOrder.ts';
import { createMembershipProduct } from '../memberships/createMembershipProduct.ts';
import { DomainError } from '../shared/errors.ts';

let t: TestNode;
before(async () => {
  t = await createTestNode({ demoPayments: true });
});
after(async () => {
  await t.close();
});

const balance = async (accountId: string) =>
  (await t.db.selectFrom('ledger_accounts').select('balance').where('id', '=', accountId).executeTakeFirstOrThrow())
    .balance;

const sellingWorld = () => ledgerSellingWorld(t.db);

async function order(
  w: Awaited<ReturnType<typeof sellingWorld>>,
  buyer: { actor: { personId: string }; email: string },
) {
  return placeOrder(t.db, t.config, buyer.actor as never, {
    slug: w.world.venueA.slug,
    email: buyer.email,
    language: 'fr',
    lines: [{ priceId: w.priceId, eventDateId: w.dateId, quantity: 1 }],
  });
}

const ledgerRows = async () =>
  Number((await sql<{ n: string }>`select count(*) as n from ledger_transfers`.execute(t.db)).rows[0]!.n);

describe('paying with the Rezo wallet', () => {
  test('an order paid from the wallet: the venue’s own currency first, then the euro; a retry does nothing more; a cancellation gives it back', async () => {
    const w = await sellingWorld();
    const buyer = await w.world.person();
    await w.world.fund(buyer.euro.id, 2000);
    await w.world.fund(buyer.gift.id, 500, w.world.gift);
    const placed = await order(w, buyer);
    const first = await payOrderWithWallet(t.db, t.config, buyer.actor, placed);
    assert.equal(first.status, 'paid');
    assert.equal(await balance(buyer.gift.id), 0);
    assert.equal(await balance(buyer.euro.id), 1000);
    assert.equal(await balance((await w.world.placeAccount(w.world.venueA.id, w.world.euro)).id), 1000);
    assert.equal(await balance((await w.world.placeAccount(w.world.venueA.id, w.world.gift)).id), 500);
    const orderRow = await t.db
      .selectFrom('orders')
      .select('status')
      .where('id', '=', placed.id)
      .executeTakeFirstOrThrow();
    assert.equal(orderRow.status, 'paid');
    const rows = await ledgerRows();
    const again = await payOrderWithWallet(t.db, t.config, buyer.actor, placed.id);
    assert.deepEqual(again, first);
    assert.equal(await ledgerRows(), rows);
    assert.equal(await balance(buyer.euro.id), 1000);
    const payments = await t.db
      .selectFrom('payments')
      .select(['provider', 'status'])
      .where('subject_id', '=', placed.id)
      .execute();
    assert.deepEqual(payments, [{ provider: 'wallet', status: 'paid' }]);

    const cancelled = await cancelOrder(t.db, null, w.world.adminA, { orderId: placed.id });
    assert.equal(cancelled.refundCents, 1500);
    assert.equal(await balance(buyer.gift.id), 500);
    assert.equal(await balance(buyer.euro.id), 2000);
    const refunds = await t.db
      .selectFrom('refunds')
      .select(['status', 'provider_refund_id'])
      .where('payment_id', '=', first.paymentId)
      .execute();
    assert.equal(refunds.length, 1);
    assert.equal(refunds[0]!.status, 'succeeded');
    assert.match(refunds[0]!.provider_refund_id!, /^ledger:/);
  });

  test('not enough in the wallet: refused (409), nothing written, the order still waits for its payment', async () => {
    const w = await sellingWorld();
    const buyer = await w.world.person();
    await w.world.fund(buyer.euro.id, 1000);
    const placed = await order(w, buyer);
    const rows = await ledgerRows();
    await assert.rejects(
      () => payOrderWithWallet(t.db, t.config, buyer.actor, placed),
      (e: unknown) => e instanceof DomainError && e.code === 'wallet-insufficient',
    );
    assert.equal(await ledgerRows(), rows);
    assert.equal(await balance(buyer.euro.id), 1000);
    const payments = await t.db.selectFrom('payments').select('id').where('subject_id', '=', placed.id).execute();
    assert.equal(payments.length, 0);
    const o = await t.db.selectFrom('orders').select('status').where('id', '=', placed.id).executeTakeFirstOrThrow();
    assert.equal(o.status, 'pending');
  });

  test('only the order’s own account pays it', async () => {
    const w = await sellingWorld();
    const buyer = await w.world.person();
    const other = await w.world.person();
    await w.world.fund(other.euro.id, 5000);
    const placed = await order(w, buyer);
    await assert.rejects(
      () => payOrderWithWallet(t.db, t.config, other.actor, placed.id),
      (e: unknown) => e instanceof DomainError && e.status === 404,
    );
  });

  test('the event page and the membership offer "Payer avec mon portefeuille Rezo" to a logged-in person, and both pay', async () => {
    const w = await sellingWorld();
    const buyer = await w.world.person();
    await w.world.fund(buyer.euro.id, 5000);
    const c = await t.loginAs(buyer.email);
    const page = await c.get(`/events/${w.world.venueA.slug}-concert`);
    assert.match(page.body, /name="pay" value="wallet">Payer avec mon portefeuille Rezo/);
    const anonymous = await t.client().get(`/events/${w.world.venueA.slug}-concert`);
    assert.doesNotMatch(anonymous.body, /value="wallet"/, 'no wallet button for someone not logged in');
    const r = await c.postForm(`/events/${w.eventId}/order`, {
      [`q.${w.priceId}.${w.dateId}`]: '2',
      email: buyer.email,
      pay: 'wallet',
    });
    assert.equal(r.statusCode, 303, r.body.slice(0, 400));
    assert.match(String(r.headers.location), /^\/orders\/[0-9a-f-]{36}\?payment=paid$/);
    assert.equal(await balance(buyer.euro.id), 2000);

    const product = await createMembershipProduct(t.db, w.world.adminA, w.world.venueA.slug, {
      name: 'Annuelle',
      validity_kind: 'days',
      validity_value: '365',
      price_kind: 'fixed',
      price: '12',
    });
    // "Adhérer" on the venue page leads to the membership's form, which offers the wallet.
    const venue = await c.get(`/venues/${w.world.venueA.slug}`);
    assert.match(venue.body, new RegExp(`href="/venues/${w.world.venueA.slug}/memberships/${product.id}"`));
    const form = await c.get(`/venues/${w.world.venueA.slug}/memberships/${product.id}`);
    assert.match(form.body, /name="pay" value="wallet"/);
    const m = await c.postForm(`/venues/${w.world.venueA.slug}/memberships/${product.id}`, { pay: 'wallet' });
    assert.equal(m.statusCode, 303);
    assert.equal(m.headers.location, '/account?payment=paid#memberships');
    assert.equal(await balance(buyer.euro.id), 800);
    const membership = await t.db
      .selectFrom('memberships')
      .select(['status', 'method'])
      .where('person_id', '=', buyer.actor.personId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(membership, { status: 'active', method: 'wallet' });
  });

  test(
    'two orders paid at once that the wallet covers only once: exactly one is paid (PostgreSQL)',
    { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
    async () => {
      const w = await sellingWorld();
      const buyer = await w.world.person();
      await w.world.fund(buyer.euro.id, 2000);
      const orders = [await order(w, buyer), await order(w, buyer), await order(w, buyer)];
      const results = await Promise.allSettled(orders.map((o) => payOrderWithWallet(t.db, t.config, buyer.actor, o)));
      const paid = results.filter((r) => r.status === 'fulfilled');
      assert.equal(
        paid.length,
        1,
        JSON.stringify(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))),
      );
      for (const r of results)
        if (r.status === 'rejected') assert.ok(r.reason instanceof DomainError, String(r.reason));
      assert.equal(await balance(buyer.euro.id), 500);
      const statuses = await t.db
        .selectFrom('orders')
        .select('status')
        .where(
          'id',
          'in',
          orders.map((o) => o.id),
        )
        .execute();
      assert.deepEqual(statuses.map((s) => s.status).sort(), ['paid', 'pending', 'pending']);
    },
  );

  test(
    'the same order paid twice at once: one payment, one ledger request (PostgreSQL)',
    { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
    async () => {
      const w = await sellingWorld();
      const buyer = await w.world.person();
      await w.world.fund(buyer.euro.id, 5000);
      const placed = await order(w, buyer);
      const rows = await ledgerRows();
      const results = await Promise.all(
        Array.from({ length: 5 }, () => payOrderWithWallet(t.db, t.config, buyer.actor, placed.id)),
      );
      assert.ok(results.every((r) => r.status === 'paid' && r.paymentId === results[0]!.paymentId));
      assert.equal(await ledgerRows(), rows + 1);
      assert.equal(await balance(buyer.euro.id), 3500);
    },
  );
});
