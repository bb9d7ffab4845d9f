import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { uuidv7 } from '../shared/ids.ts';
import { registerPurpose } from './purposes.ts';
import { reconcilePendingSessions } from './reconcilePendingSessions.ts';
import { startStripeCheckout } from './startStripeCheckout.ts';
import { paymentRow, type StripeTestNode, useStripeTestNode } from './testFixtures.ts';

// docs/PAYMENTS.md invariant 12: a session nobody told us about is asked of Stripe once it expired.

const applied = new Map<string, number>();
registerPurpose('session_test', {
  async apply(_trx, payment) {
    applied.set(payment.id, (applied.get(payment.id) ?? 0) + 1);
    return 'applied';
  },
  returnPath: () => '/',
});

let t: StripeTestNode;
useStripeTestNode((node) => (t = node));

async function pending() {
  const { paymentId } = await startStripeCheckout(t.db, t.node.stripe, t.config, {
    purpose: 'session_test',
    subjectId: uuidv7(),
    placeId: null,
    personId: null,
    amountCents: 1300,
    label: 'Test',
    language: 'fr',
  });
  const row = await paymentRow(t, paymentId);
  return { paymentId, sessionId: row.provider_session_id! };
}

/** The session's expiry (and its 5 minutes of grace) is past. */
const expired = (paymentId: string) =>
  t.db
    .updateTable('payments')
    .set({ reconcile_at: sql<Date>`now() - interval '1 second'` })
    .where('id', '=', paymentId)
    .execute();

test('a new session is asked about 5 minutes after Stripe expires it, not before', async () => {
  const p = await pending();
  const session = t.fake.sessions.get(p.sessionId)!;
  const row = await paymentRow(t, p.paymentId);
  assert.equal(row.reconcile_at!.getTime(), (session.expires_at + 300) * 1000);
  t.fake.complete(p.sessionId);
  const calls = t.fake.requests.length;
  await reconcilePendingSessions(t.db, t.node.stripe, t.config);
  assert.equal(t.fake.requests.length, calls, 'nothing asked before its time');
  assert.equal((await paymentRow(t, p.paymentId)).status, 'pending');
});

test('past its expiry: paid → confirmed once, expired → expired, open → expired through Stripe', async () => {
  const paid = await pending();
  const gone = await pending();
  const open = await pending();
  t.fake.complete(paid.sessionId);
  t.fake.sessions.get(gone.sessionId)!.status = 'expired';
  for (const p of [paid, gone, open]) await expired(p.paymentId);
  const result = await reconcilePendingSessions(t.db, t.node.stripe, t.config);
  assert.deepEqual(result, { confirmed: 1, expired: 2, waiting: 0, failed: 0 });
  assert.equal((await paymentRow(t, paid.paymentId)).status, 'paid');
  assert.equal(applied.get(paid.paymentId), 1);
  assert.equal((await paymentRow(t, gone.paymentId)).status, 'expired');
  assert.equal((await paymentRow(t, open.paymentId)).status, 'expired');
  assert.equal(t.fake.sessions.get(open.sessionId)!.status, 'expired');
  assert.ok(t.fake.requests.some((r) => r.path === `/v1/checkout/sessions/${open.sessionId}/expire`));
  // Done: nothing is asked again.
  const calls = t.fake.requests.length;
  await reconcilePendingSessions(t.db, t.node.stripe, t.config);
  assert.equal(t.fake.requests.length, calls);
});

test('a bank debit still under way, or Stripe unreachable: asked again later, not at every round', async () => {
  const slow = await pending();
  const session = t.fake.sessions.get(slow.sessionId)!;
  session.status = 'complete';
  await expired(slow.paymentId);
  assert.deepEqual(await reconcilePendingSessions(t.db, t.node.stripe, t.config), {
    confirmed: 0,
    expired: 0,
    waiting: 1,
    failed: 0,
  });
  let row = await paymentRow(t, slow.paymentId);
  assert.equal(row.status, 'pending');
  assert.ok(row.reconcile_at!.getTime() >= Date.now() + 4 * 60_000, 'later');

  const down = await pending();
  await expired(down.paymentId);
  t.fake.failNext = 10;
  assert.deepEqual(await reconcilePendingSessions(t.db, t.node.stripe, t.config), {
    confirmed: 0,
    expired: 0,
    waiting: 0,
    failed: 1,
  });
  row = await paymentRow(t, down.paymentId);
  assert.equal(row.status, 'pending');
  assert.ok(row.reconcile_at!.getTime() > Date.now());
});
