import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import pino from 'pino';
import { createTestNodeWithStripe, onPostgres } from '../../test/harness.ts';
import type { FakeStripe } from '../../test/fakes/fakeStripe.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createTransfers } from '../ledger/createTransfers.ts';
import { createLedgerWorld, type LedgerWorld } from '../ledger/testFixtures.ts';
import { verifyLedger } from '../ledger/verifyLedger.ts';
import { queueRefund } from './queueRefund.ts';
import { sendPendingRefunds } from './sendPendingRefunds.ts';
import { SYSTEM } from '../access/actor.ts';
import { DomainError } from '../shared/errors.ts';
import {
  balanceOf,
  deliver,
  deliverOk,
  membershipRow,
  orderState,
  paidMembership,
  paidOrder,
  paidTopUp,
  paymentRow,
  placesTaken,
  ticketVenue,
  type StripeTestNode,
} from './testFixtures.ts';

// docs/PAYMENTS.md, "Stripe events", "Reversals", "Faults"; docs/LEDGER.md rule 5 (holder debts).

const logs: { msg?: string; eventId?: string; type?: string }[] = [];
let t: StripeTestNode;
let fake: FakeStripe;
let world: LedgerWorld;
before(async () => {
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  t = await createTestNodeWithStripe({ operators: ['treasury-ops@example.org'] }, { logger });
  fake = t.fake;
  world = await createLedgerWorld(t.db);
});
after(async () => {
  await t.close();
});
beforeEach(() => {
  fake.failNext = 0;
  fake.refundStatus = 'succeeded';
});

const refundsOf = (paymentId: string) =>
  t.db.selectFrom('refunds').selectAll().where('payment_id', '=', paymentId).orderBy('created_at').execute();
const debtsOf = (intent: string) =>
  t.db.selectFrom('ledger_debts').selectAll().where('payment_reference', '=', intent).execute();
const payoutsOf = async (intent: string) =>
  (
    await t.db.selectFrom('ledger_payouts').select('amount_cents').where('payment_reference', '=', intent).execute()
  ).reduce((sum, r) => sum + r.amount_cents, 0);
const audits = (paymentId: string, action: string) =>
  t.db
    .selectFrom('audit_log')
    .select('data')
    .where('subject_id', '=', paymentId)
    .where('action', '=', action)
    .execute();

/** The holder spends `cents` of their wallet at a venue. */
async function spend(p: Awaited<ReturnType<typeof paidTopUp>>, cents: number) {
  const venue = await world.placeAccount(world.venueA.id, world.euro);
  await createTransfers(t.db, p.actor, {
    transfers: [{ id: uuidv7(), debitAccountId: p.euro.id, creditAccountId: venue.id, amount: cents, kind: 'payment' }],
  });
}

describe('a top-up refunded in Stripe', () => {
  test('burns what is left on the wallet and records the rest as the holder debt, once however often delivered', async () => {
    const p = await paidTopUp(t, world, 2000);
    await spend(p, 1500);
    const { refund, event } = fake.refundInDashboard(p.intent);
    assert.equal((await deliverOk(t, event)).result, 'processed');
    assert.equal((await deliverOk(t, event)).result, 'duplicate');
    // Stripe may also tell the same refund through another event: nothing more happens.
    await deliverOk(t, fake.event('charge.refund.updated', refund, null));

    assert.equal(await balanceOf(t, p.euro.id), 0, 'the 5 € left are burned');
    assert.equal(await payoutsOf(p.intent), 500);
    const debts = await debtsOf(p.intent);
    assert.deepEqual(
      debts.map((d) => [d.reversal_reference, d.amount_cents, d.reason, d.account_id]),
      [[refund.id, 1500, 'refund', p.euro.id]],
    );
    const rows = await refundsOf(p.paymentId);
    assert.deepEqual(
      rows.map((r) => [r.origin, r.status, r.amount_cents, r.provider_refund_id, Boolean(r.reversed_at)]),
      [['provider', 'succeeded', 2000, refund.id, true]],
    );
    assert.equal((await paymentRow(t, p.paymentId)).status, 'refunded');
    assert.equal((await audits(p.paymentId, 'payment.reversed')).length, 1);
    const verified = await verifyLedger(t.db, { currencyCode: world.euro.code });
    assert.equal(verified.ok, true, JSON.stringify(verified.problem));
  });

  test('a partial refund burns exactly its amount, no debt while the wallet covers it', async () => {
    const p = await paidTopUp(t, world, 2000);
    const { event } = fake.refundInDashboard(p.intent, 500);
    await deliverOk(t, event);
    assert.equal(await balanceOf(t, p.euro.id), 1500);
    assert.equal(await payoutsOf(p.intent), 500);
    assert.equal((await debtsOf(p.intent)).length, 0);
    assert.equal((await paymentRow(t, p.paymentId)).status, 'partially_refunded');
    // What is left can still be refunded through Rezo, never beyond the payment.
    await assert.rejects(
      queueRefund(t.db, SYSTEM, { paymentId: p.paymentId, amountCents: 1501, reason: 'goodwill' }),
      (e: unknown) => e instanceof DomainError && e.code === 'refund-too-large',
    );
  });

  test('the debts are shown to node operators, with the holder and the amount', async () => {
    const p = await paidTopUp(t, world, 3000);
    await spend(p, 3000);
    await deliverOk(t, fake.refundInDashboard(p.intent).event);
    const ops = await t.loginAs('treasury-ops@example.org');
    const page = await ops.get('/admin/payments');
    assert.equal(page.statusCode, 200);
    assert.ok(page.body.includes(p.email), 'the holder is named');
    assert.match(page.body, /30,00/);
    const someone = await t.loginAs('nobody-special@example.org');
    assert.equal((await someone.get('/admin/payments')).statusCode, 403);
  });
});

describe('an order refunded in Stripe (Connect endpoint)', () => {
  test('wholly: the order is refunded, every ticket refunded, the places given back', async () => {
    const venue = await ticketVenue(t);
    const order = await paidOrder(t, venue, { full: 2 });
    const before_ = await placesTaken(t, venue);
    const { event } = fake.refundInDashboard(order.intent);
    assert.equal(event.account, venue.account, 'the event names the connected account');
    await deliverOk(t, event, 'connect');
    await deliverOk(t, event, 'connect');
    assert.deepEqual(await orderState(t, order.orderId), {
      status: 'refunded',
      tickets: ['Plein:refunded', 'Plein:refunded'],
    });
    const after_ = await placesTaken(t, venue);
    assert.deepEqual(after_, { date: before_.date - 2, full: before_.full - 2 });
    assert.equal((await paymentRow(t, order.paymentId)).status, 'refunded');
  });

  test('partly: only the tickets the money wholly pays for, dearest first; the rest stays valid', async () => {
    const venue = await ticketVenue(t);
    const order = await paidOrder(t, venue, { full: 2, reduced: 1 });
    assert.equal(order.totalCents, 4000);
    const start = await placesTaken(t, venue);
    // 12 € back: less than a 15 € ticket, more than a 10 € one — the reduced ticket is refunded.
    await deliverOk(t, fake.refundInDashboard(order.intent, 1200).event, 'connect');
    let state = await orderState(t, order.orderId);
    assert.equal(state.status, 'paid');
    assert.deepEqual(state.tickets.sort(), ['Plein:valid', 'Plein:valid', 'Réduit:refunded']);
    // 5 € more: 17 € back, 10 € used by the reduced ticket, 7 € left — no 15 € ticket fits.
    await deliverOk(t, fake.refundInDashboard(order.intent, 500).event, 'connect');
    state = await orderState(t, order.orderId);
    assert.deepEqual(state.tickets.sort(), ['Plein:valid', 'Plein:valid', 'Réduit:refunded']);
    // 8 € more: 25 € back, 15 € not yet matched by tickets — one full ticket.
    await deliverOk(t, fake.refundInDashboard(order.intent, 800).event, 'connect');
    state = await orderState(t, order.orderId);
    assert.equal(state.status, 'paid');
    assert.deepEqual(state.tickets.sort(), ['Plein:refunded', 'Plein:valid', 'Réduit:refunded']);
    assert.deepEqual(await placesTaken(t, venue), { date: start.date - 2, full: start.full - 1 });
    assert.equal((await paymentRow(t, order.paymentId)).status, 'partially_refunded');
    // The rest: the order is refunded whole.
    await deliverOk(t, fake.refundInDashboard(order.intent).event, 'connect');
    state = await orderState(t, order.orderId);
    assert.equal(state.status, 'refunded');
    assert.deepEqual(state.tickets.sort(), ['Plein:refunded', 'Plein:refunded', 'Réduit:refunded']);
    assert.deepEqual(await placesTaken(t, venue), { date: start.date - 3, full: start.full - 2 });
  });
});

describe('a membership refunded in Stripe', () => {
  test('partly: its period is cut in proportion; wholly: it ends', async () => {
    const m = await paidMembership(t, '30');
    const before_ = await membershipRow(t, m);
    assert.equal(before_.status, 'active');
    const days = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;
    const length = days(before_.starts_on, before_.ends_on!);
    // A third back: the period keeps two thirds of its days.
    await deliverOk(t, fake.refundInDashboard(m.intent, 1000).event, 'connect');
    const cut = await membershipRow(t, m);
    assert.equal(cut.status, 'active');
    assert.equal(days(cut.starts_on, cut.ends_on!), Math.floor((length * 2000) / 3000));
    await deliverOk(t, fake.refundInDashboard(m.intent).event, 'connect');
    assert.equal((await membershipRow(t, m)).status, 'cancelled');
  });
});

describe('disputes', () => {
  test('an open dispute blocks refunds; won, nothing changes; the tokens stay', async () => {
    const p = await paidTopUp(t, world, 1000);
    const opened = fake.openDispute(p.intent);
    assert.equal((await deliverOk(t, opened)).result, 'processed');
    const dispute = await t.db
      .selectFrom('payment_disputes')
      .selectAll()
      .where('payment_id', '=', p.paymentId)
      .executeTakeFirstOrThrow();
    assert.equal(dispute.status, 'needs_response');
    await assert.rejects(
      queueRefund(t.db, SYSTEM, { paymentId: p.paymentId, reason: 'goodwill' }),
      (e: unknown) => e instanceof DomainError && e.code === 'payment-disputed',
    );
    await deliverOk(t, fake.closeDispute(dispute.dispute_id, 'won'));
    assert.equal(await balanceOf(t, p.euro.id), 1000);
    assert.equal((await paymentRow(t, p.paymentId)).status, 'paid');
  });

  test('lost on a top-up: burn and debt; lost on an order: the tickets are refunded', async () => {
    const p = await paidTopUp(t, world, 1000);
    await spend(p, 400);
    const opened = fake.openDispute(p.intent);
    const disputeId = (opened.data.object as { id: string }).id;
    // Closed before we heard it opened: the order of events does not matter.
    await deliverOk(t, fake.closeDispute(disputeId, 'lost'));
    await deliverOk(t, opened);
    assert.equal(await balanceOf(t, p.euro.id), 0);
    assert.equal(await payoutsOf(p.intent), 600);
    assert.deepEqual(
      (await debtsOf(p.intent)).map((d) => [d.reversal_reference, d.amount_cents, d.reason]),
      [[disputeId, 400, 'dispute']],
    );
    assert.equal((await paymentRow(t, p.paymentId)).status, 'refunded');

    const venue = await ticketVenue(t);
    const order = await paidOrder(t, venue, { full: 1 });
    const orderDispute = fake.openDispute(order.intent);
    await deliverOk(t, orderDispute, 'connect');
    assert.equal((await orderState(t, order.orderId)).status, 'paid', 'an open dispute changes nothing yet');
    await deliverOk(t, fake.closeDispute((orderDispute.data.object as { id: string }).id, 'lost'), 'connect');
    assert.deepEqual(await orderState(t, order.orderId), { status: 'refunded', tickets: ['Plein:refunded'] });
    const verified = await verifyLedger(t.db, { currencyCode: world.euro.code });
    assert.equal(verified.ok, true, JSON.stringify(verified.problem));
  });
});

describe('faults', () => {
  test('charge.refund.updated before charge.refunded: applied once, whatever the order', async () => {
    const p = await paidTopUp(t, world, 1500);
    const { refund, event } = fake.refundInDashboard(p.intent, 700);
    await deliverOk(t, fake.event('charge.refund.updated', refund, null));
    await deliverOk(t, event);
    assert.equal(await balanceOf(t, p.euro.id), 800);
    assert.equal(await payoutsOf(p.intent), 700);
    assert.equal((await refundsOf(p.paymentId)).length, 1);
  });

  test(
    'many distinct events about one refund, delivered at once, reverse it once',
    { skip: !onPostgres && 'needs PostgreSQL for real concurrency' },
    async () => {
      const p = await paidTopUp(t, world, 2000);
      await spend(p, 500);
      const { refund, event } = fake.refundInDashboard(p.intent);
      const events = Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0 ? { ...event, id: `evt_many_${i}_${uuidv7()}` } : fake.event('charge.refund.updated', refund, null),
      );
      const answers = await Promise.all(events.map((e) => deliver(t, e)));
      for (const a of answers) assert.equal(a.statusCode, 200, a.body);
      assert.equal(await balanceOf(t, p.euro.id), 0);
      assert.equal(await payoutsOf(p.intent), 1500);
      assert.deepEqual(
        (await debtsOf(p.intent)).map((d) => d.amount_cents),
        [500],
      );
      assert.equal((await refundsOf(p.paymentId)).length, 1);
      assert.equal((await audits(p.paymentId, 'payment.reversed')).length, 1);
      const verified = await verifyLedger(t.db, { currencyCode: world.euro.code });
      assert.equal(verified.ok, true, JSON.stringify(verified.problem));
    },
  );

  test('an event about an object Rezo does not know is answered 200, stored and logged', async () => {
    const unknownRefund = {
      id: 're_unknown1',
      object: 'refund',
      amount: 100,
      charge: 'ch_unknown1',
      payment_intent: 'pi_unknown1',
      status: 'succeeded',
      metadata: {},
    };
    const event = fake.event('charge.refund.updated', unknownRefund, null);
    assert.equal((await deliverOk(t, event)).result, 'ignored');
    const session = fake.event('checkout.session.completed', { id: 'cs_test_unknown', object: 'checkout.session' });
    assert.equal((await deliverOk(t, session)).result, 'ignored');
    const other = fake.event('customer.created', { id: 'cus_1', object: 'customer' });
    assert.equal((await deliverOk(t, other)).result, 'ignored');
    const stored = await t.db
      .selectFrom('payment_events')
      .select(['event_id', 'payment_id'])
      .where('event_id', 'in', [event.id, session.id, other.id])
      .execute();
    assert.equal(stored.length, 3);
    assert.ok(stored.every((e) => e.payment_id === null));
    for (const e of [event, session, other])
      assert.ok(
        logs.some((l) => l.eventId === e.id && l.type === e.type),
        `${e.type} is logged with its id`,
      );
  });

  test('an event of another Stripe account does not touch the payment', async () => {
    const venue = await ticketVenue(t);
    const order = await paidOrder(t, venue, { full: 1 });
    const { event } = fake.refundInDashboard(order.intent);
    const forged = { ...event, id: `evt_other_${uuidv7()}`, account: 'acct_someoneelse' };
    assert.equal((await deliverOk(t, forged, 'connect')).result, 'ignored');
    assert.equal((await orderState(t, order.orderId)).status, 'paid');
    // The federation's own payment, told by a connected account's event: ignored too.
    const p = await paidTopUp(t, world, 1000);
    const topUpRefund = fake.refundInDashboard(p.intent);
    const asVenue = { ...topUpRefund.event, id: `evt_other_${uuidv7()}`, account: venue.account };
    assert.equal((await deliverOk(t, asVenue, 'connect')).result, 'ignored');
    assert.equal(await balanceOf(t, p.euro.id), 1000);
  });

  test('each endpoint verifies with its own secret', async () => {
    const p = await paidTopUp(t, world, 1000);
    const { event } = fake.refundInDashboard(p.intent);
    const wrong = (url: string, secret: string) => {
      const { payload, signature } = fake.signed(event, secret);
      return t.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        payload,
      });
    };
    assert.equal((await wrong('/webhooks/stripe/connect', fake.webhookSecret)).statusCode, 400);
    assert.equal((await wrong('/webhooks/stripe', fake.connectWebhookSecret)).statusCode, 400);
    assert.equal(await balanceOf(t, p.euro.id), 1000, 'nothing applied');
  });

  test('Stripe unreachable while reading the refunds: 503, nothing stored; the redelivery applies it', async () => {
    const p = await paidTopUp(t, world, 1000);
    const { event } = fake.refundInDashboard(p.intent);
    fake.failNext = 10;
    const r = await deliver(t, event);
    assert.equal(r.statusCode, 503, r.body);
    assert.equal(
      (await t.db.selectFrom('payment_events').select('event_id').where('event_id', '=', event.id).execute()).length,
      0,
    );
    assert.equal(await balanceOf(t, p.euro.id), 1000);
    fake.failNext = 0;
    assert.equal((await deliverOk(t, event)).result, 'processed');
    assert.equal(await balanceOf(t, p.euro.id), 0);
  });

  test('a refund made by Rezo is never reversed again when Stripe tells it back', async () => {
    const venue = await ticketVenue(t);
    const order = await paidOrder(t, venue, { full: 1, reduced: 1 });
    await queueRefund(t.db, SYSTEM, { paymentId: order.paymentId, amountCents: 1000, reason: 'goodwill' });
    await sendPendingRefunds(t.db, t.node.stripe);
    const sent = [...fake.refunds.values()].find((r) => r.payment_intent === order.intent)!;
    await deliverOk(t, fake.event('charge.refunded', fake.charges.get(sent.charge), venue.account), 'connect');
    const rows = await refundsOf(order.paymentId);
    assert.deepEqual(
      rows.map((r) => [r.origin, r.status]),
      [['rezo', 'succeeded']],
    );
    assert.deepEqual((await orderState(t, order.orderId)).tickets.sort(), ['Plein:valid', 'Réduit:valid']);
  });
});
