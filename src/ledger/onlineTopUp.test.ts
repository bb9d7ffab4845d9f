import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { sendPendingRefunds } from '../payments/sendPendingRefunds.ts';
import { createTransfers } from './createTransfers.ts';
import { refundTopUp, startTopUp } from './onlineTopUp.ts';
import { createLedgerWorld, type LedgerWorld } from './testFixtures.ts';
import { verifyLedger } from './verifyLedger.ts';
import { useStripeTestNode, deliverOk, type StripeTestNode } from '../payments/testFixtures.ts';

let t: StripeTestNode;
let world: LedgerWorld;
useStripeTestNode(async (node) => {
  t = node;
  world = await createLedgerWorld(t.db);
});

const balance = async (accountId: string) =>
  (await t.db.selectFrom('ledger_accounts').select('balance').where('id', '=', accountId).executeTakeFirstOrThrow())
    .balance;

test('an online top-up mints once against its Stripe payment; a refund burns only what is left and pays that back', async () => {
  const p = await world.person('topper');
  const { paymentId } = await startTopUp(t.db, t.node.stripe, t.config, p.actor, {
    currencyCode: world.euro.code,
    amount: '20',
  });
  const payment = await t.db.selectFrom('payments').selectAll().where('id', '=', paymentId).executeTakeFirstOrThrow();
  assert.equal(
    t.fake.sessions.get(payment.provider_session_id!)!.account,
    null,
    'top-ups go to the federation account',
  );
  const event = t.fake.complete(payment.provider_session_id!);
  await deliverOk(t, event);
  await deliverOk(t, event);
  await deliverOk(t, t.fake.event('checkout.session.completed', t.fake.sessions.get(payment.provider_session_id!)));
  assert.equal(await balance(p.euro.id), 2000);
  const mint = await t.db.selectFrom('ledger_transfers').selectAll().where('id', '=', payment.subject_id).execute();
  assert.equal(mint.length, 1);

  // 5 € spent at a venue stay spent; the refund gives back the 15 € left.
  const venue = await world.placeAccount(world.venueA.id, world.euro);
  await createTransfers(t.db, p.actor, {
    transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount: 500, kind: 'payment' }],
  });
  const someoneElse = await world.person('other');
  await assert.rejects(
    refundTopUp(t.db, someoneElse.actor, paymentId),
    (e: unknown) => e instanceof DomainError && e.status === 403,
  );
  const { refundedCents } = await refundTopUp(t.db, p.actor, paymentId);
  assert.equal(refundedCents, 1500);
  assert.equal(await balance(p.euro.id), 0);
  await new Promise((r) => setTimeout(r, 20));
  await sendPendingRefunds(t.db, t.node.stripe);
  const refunds = [...t.fake.refunds.values()].filter(
    (r) =>
      r.payment_intent === payment.provider_payment_id ||
      r.payment_intent === t.fake.sessions.get(payment.provider_session_id!)!.payment_intent,
  );
  assert.deepEqual(
    refunds.map((r) => r.amount),
    [1500],
  );
  assert.equal(
    (await t.db.selectFrom('payments').select('status').where('id', '=', paymentId).executeTakeFirstOrThrow()).status,
    'partially_refunded',
  );
  await assert.rejects(
    refundTopUp(t.db, p.actor, paymentId),
    (e: unknown) => e instanceof DomainError && e.code === 'top-up-not-refundable',
  );
  const verified = await verifyLedger(t.db, { currencyCode: world.euro.code });
  assert.equal(verified.ok, true, JSON.stringify(verified.problem));
});

test('top-up amounts and currencies are checked before anything is asked of Stripe', async () => {
  const p = await world.person('careful');
  const calls = t.fake.requests.length;
  for (const amount of ['0,50', '600', 'abc', -5]) {
    await assert.rejects(
      startTopUp(t.db, t.node.stripe, t.config, p.actor, { currencyCode: world.euro.code, amount }),
      (e: unknown) => e instanceof DomainError && e.fields[0]?.message === 'top-up-range',
      String(amount),
    );
  }
  await assert.rejects(
    startTopUp(t.db, t.node.stripe, t.config, p.actor, { currencyCode: world.gift.code, amount: '10' }),
    (e: unknown) => e instanceof DomainError && e.fields[0]?.field === 'currencyCode',
  );
  await assert.rejects(
    startTopUp(t.db, t.node.stripe, t.config, { kind: 'system' }, { currencyCode: world.euro.code, amount: '10' }),
    (e: unknown) => e instanceof DomainError && e.status === 401,
  );
  assert.equal(t.fake.requests.length, calls);
});

test('the wallet page tops up by card through Stripe and shows the result', async () => {
  const p = await world.person('webtopper');
  const c = await t.loginAs(p.email);
  const wallet = await c.get('/wallet');
  assert.match(wallet.body, /Recharger par carte/);
  const bad = await c.postForm('/wallet/top-up', { currency: world.euro.code, amount: '9999' });
  assert.equal(bad.statusCode, 422);
  const r = await c.postForm('/wallet/top-up', { currency: world.euro.code, amount: '12,50' });
  assert.equal(r.statusCode, 303);
  const sessionId = String(r.headers.location).split('/pay/')[1]!;
  assert.ok(t.fake.sessions.has(sessionId));
  const paymentId = t.fake.sessions.get(sessionId)!.metadata.rezo_payment_id!;
  t.fake.complete(sessionId);
  const back = await c.get(`/payments/${paymentId}/return?session_id=${sessionId}`);
  assert.equal(back.headers.location, '/wallet?payment=paid');
  const after_ = await c.get('/wallet?payment=paid');
  assert.match(after_.body, /Paiement reçu/);
  assert.equal(await balance(p.euro.id), 1250);
});
