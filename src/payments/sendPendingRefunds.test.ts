import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres } from '../../test/harness.ts';
import { SYSTEM } from '../access/actor.ts';
import { uuidv7 } from '../shared/ids.ts';
import { registerPurpose } from './purposes.ts';
import { queueRefund } from './queueRefund.ts';
import { sendPendingRefunds } from './sendPendingRefunds.ts';
import { startStripeCheckout } from './startStripeCheckout.ts';
import { deliverOk, paymentRow, type StripeTestNode, useStripeTestNode } from './testFixtures.ts';

// docs/PAYMENTS.md invariants 5, 7 and 8: refunds claimed with a lease, Stripe's word on each.

registerPurpose('refund_test', {
  apply: async () => 'applied',
  returnPath: () => '/',
});

let t: StripeTestNode;
useStripeTestNode((node) => (t = node));
beforeEach(() => {
  t.fake.refundStatus = 'succeeded';
});

/** A paid payment on the platform account, with a refund of `cents` queued (pending). */
async function queued(cents = 1000) {
  const { paymentId } = await startStripeCheckout(t.db, t.node.stripe, t.config, {
    purpose: 'refund_test',
    subjectId: uuidv7(),
    placeId: null,
    personId: null,
    amountCents: cents,
    label: 'Test',
    language: 'fr',
  });
  const session = (await paymentRow(t, paymentId)).provider_session_id!;
  await deliverOk(t, t.fake.complete(session));
  const refund = await queueRefund(t.db, SYSTEM, { paymentId, reason: 'goodwill' });
  return { paymentId, refundId: refund!.refundId, intent: t.fake.sessions.get(session)!.payment_intent! };
}

const refundRow = (id: string) => t.db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
/** Time passes: the refund's backoff is over. */
const due = (id: string) =>
  t.db
    .updateTable('refunds')
    .set({ next_attempt_at: sql<Date>`now() - interval '1 second'` })
    .where('id', '=', id)
    .execute();
const creates = (refundId: string) =>
  t.fake.requests
    .filter((r) => r.method === 'POST' && r.path === '/v1/refunds' && r.body.metadata)
    .filter((r) => (r.body.metadata as Record<string, string>).rezo_refund_id === refundId)
    .map((r) => r.idempotencyKey);

test('Stripe answers pending: the refund is sent, not succeeded, until Stripe says it succeeded', async () => {
  const q = await queued(1200);
  t.fake.refundStatus = 'pending';
  await sendPendingRefunds(t.db, t.node.stripe);
  let row = await refundRow(q.refundId);
  assert.equal(row.status, 'sent');
  assert.match(row.provider_refund_id!, /^re_/);
  assert.equal((await paymentRow(t, q.paymentId)).status, 'refund_pending');
  // Read again before its time: nothing is asked of Stripe.
  const reads = () =>
    t.fake.requests.filter((r) => r.method === 'GET' && r.path === `/v1/refunds/${row.provider_refund_id}`);
  await sendPendingRefunds(t.db, t.node.stripe);
  assert.equal(reads().length, 0);
  // Still pending at the bank when read: still sent.
  await due(q.refundId);
  await sendPendingRefunds(t.db, t.node.stripe);
  assert.equal(reads().length, 1);
  assert.equal((await refundRow(q.refundId)).status, 'sent');
  t.fake.settleRefund(row.provider_refund_id!, 'succeeded');
  await due(q.refundId);
  await sendPendingRefunds(t.db, t.node.stripe);
  row = await refundRow(q.refundId);
  assert.equal(row.status, 'succeeded');
  assert.ok(row.succeeded_at);
  assert.equal((await paymentRow(t, q.paymentId)).status, 'refunded');
  assert.deepEqual(creates(q.refundId), [`refund-${q.refundId}`], 'created once');
});

test('a failed refund is tried again as a new attempt (a new key); after 3 failed attempts a person must act', async () => {
  const again = await queued(800);
  const never = await queued(900);
  t.fake.refundStatus = 'failed';
  await sendPendingRefunds(t.db, t.node.stripe);
  for (const q of [again, never]) {
    const row = await refundRow(q.refundId);
    assert.equal(row.status, 'pending');
    assert.equal(row.provider_attempt, 1);
    assert.ok(row.next_attempt_at.getTime() > Date.now() + 30 * 60_000, 'not before an hour');
    assert.match(row.error ?? '', /failed/);
  }
  await sendPendingRefunds(t.db, t.node.stripe);
  assert.equal(creates(again.refundId).length, 1, 'not tried again before its time');

  t.fake.refundStatus = 'succeeded';
  await due(again.refundId);
  await sendPendingRefunds(t.db, t.node.stripe);
  assert.equal((await refundRow(again.refundId)).status, 'succeeded');
  assert.deepEqual(creates(again.refundId), [`refund-${again.refundId}`, `refund-${again.refundId}-1`]);
  assert.equal((await paymentRow(t, again.paymentId)).status, 'refunded');

  t.fake.refundStatus = 'failed';
  for (let i = 0; i < 3; i++) {
    await due(never.refundId);
    await sendPendingRefunds(t.db, t.node.stripe);
  }
  const row = await refundRow(never.refundId);
  assert.equal(row.status, 'failed');
  assert.equal(row.provider_attempt, 2);
  assert.deepEqual(creates(never.refundId), [
    `refund-${never.refundId}`,
    `refund-${never.refundId}-1`,
    `refund-${never.refundId}-2`,
  ]);
  assert.equal((await paymentRow(t, never.paymentId)).status, 'paid', 'nothing was given back');
});

test('canceled is final; a charge already refunded in Stripe fails the refund at once', async () => {
  const q = await queued(700);
  t.fake.refundStatus = 'pending';
  await sendPendingRefunds(t.db, t.node.stripe);
  t.fake.settleRefund((await refundRow(q.refundId)).provider_refund_id!, 'canceled');
  await due(q.refundId);
  await sendPendingRefunds(t.db, t.node.stripe);
  assert.equal((await refundRow(q.refundId)).status, 'canceled');
  assert.equal((await paymentRow(t, q.paymentId)).status, 'paid');
  await due(q.refundId);
  await sendPendingRefunds(t.db, t.node.stripe);
  assert.equal((await refundRow(q.refundId)).status, 'canceled', 'never sent again');

  const r = await queued(600);
  t.fake.refundInDashboard(r.intent);
  t.fake.refundStatus = 'succeeded';
  await sendPendingRefunds(t.db, t.node.stripe);
  const row = await refundRow(r.refundId);
  assert.equal(row.status, 'failed');
  assert.match(row.error ?? '', /already been refunded/);
});

test('a refund Stripe never answered is sent again after its backoff, with the same key', async () => {
  const q = await queued(500);
  t.fake.failNext = 10;
  await sendPendingRefunds(t.db, t.node.stripe);
  let row = await refundRow(q.refundId);
  assert.equal(row.status, 'pending');
  assert.ok(row.attempts >= 1 && row.error);
  assert.ok(row.next_attempt_at.getTime() > Date.now(), 'backoff');
  t.fake.failNext = 0;
  await due(q.refundId);
  await sendPendingRefunds(t.db, t.node.stripe);
  row = await refundRow(q.refundId);
  assert.equal(row.status, 'succeeded');
  assert.equal(new Set(creates(q.refundId)).size, 1, 'one key: one Stripe refund');
  assert.equal([...t.fake.refunds.values()].filter((x) => x.payment_intent === q.intent).length, 1);
});

test(
  'two node processes sending at once call Stripe once per refund',
  { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
  async () => {
    const all = [];
    for (let i = 0; i < 30; i++) all.push(await queued(100 + i));
    const results = await Promise.all([
      sendPendingRefunds(t.db, t.node.stripe),
      sendPendingRefunds(t.db, t.node.stripe),
    ]);
    assert.equal(results[0]!.succeeded + results[1]!.succeeded, 30);
    for (const q of all) {
      assert.deepEqual(creates(q.refundId), [`refund-${q.refundId}`], 'one call');
      assert.equal((await refundRow(q.refundId)).status, 'succeeded');
    }
  },
);
