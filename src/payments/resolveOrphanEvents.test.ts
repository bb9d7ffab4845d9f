import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTopUp } from '../ledger/onlineTopUp.ts';
import { createLedgerWorld, type LedgerWorld } from '../ledger/testFixtures.ts';
import { verifyLedger } from '../ledger/verifyLedger.ts';
import { resolveOrphanEvents } from './resolveOrphanEvents.ts';
import { balanceOf, deliverOk, paymentRow, type StripeTestNode, useStripeTestNode } from './testFixtures.ts';

// docs/PAYMENTS.md, "Faults": a refund told before the payment it refunds.

let t: StripeTestNode;
let world: LedgerWorld;
useStripeTestNode(async (node) => {
  t = node;
  world = await createLedgerWorld(t.db);
});

test('a refund event that comes before its payment is confirmed is applied once the payment is known', async () => {
  const p = await world.person();
  const { paymentId } = await startTopUp(t.db, t.node.stripe, t.config, p.actor, {
    currencyCode: world.euro.code,
    amount: 1000,
  });
  const sessionId = (await paymentRow(t, paymentId)).provider_session_id!;
  const completed = t.fake.complete(sessionId);
  const intent = t.fake.sessions.get(sessionId)!.payment_intent!;
  const { event } = t.fake.refundInDashboard(intent, 600);
  // The refund is told first: Rezo does not know this payment intent yet.
  assert.equal((await deliverOk(t, event)).result, 'ignored');
  const orphan = await t.db
    .selectFrom('payment_events')
    .select(['payment_id', 'object_ref'])
    .where('event_id', '=', event.id)
    .executeTakeFirstOrThrow();
  assert.deepEqual(orphan, { payment_id: null, object_ref: intent });
  await deliverOk(t, completed);
  assert.equal(await balanceOf(t, p.euro.id), 1000, 'the payment is applied as told');

  assert.equal(await resolveOrphanEvents(t.db, t.node.stripe), 1);
  assert.equal(await balanceOf(t, p.euro.id), 400, 'the refund is burned');
  assert.equal((await paymentRow(t, paymentId)).status, 'partially_refunded');
  const linked = await t.db
    .selectFrom('payment_events')
    .select('payment_id')
    .where('event_id', '=', event.id)
    .executeTakeFirstOrThrow();
  assert.equal(linked.payment_id, paymentId);
  assert.equal(await resolveOrphanEvents(t.db, t.node.stripe), 0, 'resolved once');
  assert.equal(await balanceOf(t, p.euro.id), 400);
  assert.equal((await verifyLedger(t.db, { currencyCode: world.euro.code })).ok, true);
});
