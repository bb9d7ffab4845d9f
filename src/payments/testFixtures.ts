/**
 * Paid payments of every purpose, through the real SDK, the fake Stripe and signed webhooks, for the
 * reconciliation tests (not loaded by the node): an online top-up (the federation's own account), a
 * ticket order and a membership (a venue's connected account).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import { createTestNodeWithStripe, type TestNode } from '../../test/harness.ts';
import type { FakeStripe } from '../../test/fakes/fakeStripe.ts';
import { personActor, SYSTEM, type PersonActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { startTopUp } from '../ledger/onlineTopUp.ts';
import type { LedgerWorld } from '../ledger/testFixtures.ts';
import { buyMembership } from '../memberships/buyMembership.ts';
import { createPlace } from '../places/createPlace.ts';
import { createMembershipProduct } from '../memberships/createMembershipProduct.ts';
import { payOrder } from '../ticketing/payOrder.ts';
import { placeOrder } from '../ticketing/placeOrder.ts';
import { eventOnStripe } from '../ticketing/testFixtures.ts';

export type StripeTestNode = TestNode & { fake: FakeStripe };
export type Endpoint = 'platform' | 'connect';

/**
 * Registers the test file's before, after and beforeEach: a node with a fake Stripe, closed after the
 * tests, whose fake fails no call left over from the test before. `ready` gets the node once started
 * (and may set up more before the tests: a top-level `before` of its own would not wait for the node).
 */
export function useStripeTestNode(ready: (t: StripeTestNode) => unknown): void {
  let node: StripeTestNode | undefined;
  before(async () => {
    node = await createTestNodeWithStripe();
    await ready(node);
  });
  after(async () => {
    await node?.close();
  });
  beforeEach(() => {
    if (node) node.fake.failNext = 0;
  });
}

/** Delivers a Stripe event to one of the node's two endpoints, signed with that endpoint's secret. */
export async function deliver(t: StripeTestNode, event: unknown, endpoint: Endpoint = 'platform') {
  const secret = endpoint === 'platform' ? t.fake.webhookSecret : t.fake.connectWebhookSecret;
  const { payload, signature } = t.fake.signed(event, secret);
  return t.app.inject({
    method: 'POST',
    url: endpoint === 'platform' ? '/webhooks/stripe' : '/webhooks/stripe/connect',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    payload,
  });
}

/** Delivers and expects 200. */
export async function deliverOk(t: StripeTestNode, event: unknown, endpoint: Endpoint = 'platform') {
  const r = await deliver(t, event, endpoint);
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as { received: true; result: string };
}

export const paymentRow = (t: TestNode, id: string) =>
  t.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
/** The payment of an order (or of another subject paid once). */
export const paymentOf = (t: TestNode, subjectId: string) =>
  t.db.selectFrom('payments').selectAll().where('subject_id', '=', subjectId).executeTakeFirstOrThrow();

export const balanceOf = async (t: TestNode, accountId: string) =>
  (await t.db.selectFrom('ledger_accounts').select('balance').where('id', '=', accountId).executeTakeFirstOrThrow())
    .balance;

/** A person tops up `cents` of the federation's euro token online; paid and delivered. */
export async function paidTopUp(t: StripeTestNode, world: LedgerWorld, cents: number) {
  const p = await world.person();
  const { paymentId } = await startTopUp(t.db, t.node.stripe, t.config, p.actor, {
    currencyCode: world.euro.code,
    amount: cents,
  });
  const session = (await paymentRow(t, paymentId)).provider_session_id!;
  await deliverOk(t, t.fake.complete(session));
  assert.equal(await balanceOf(t, p.euro.id), cents);
  return { ...p, paymentId, intent: t.fake.sessions.get(session)!.payment_intent! };
}

let venues = 0;
let placedCount = 0;

/** A venue on Stripe (connected account) with one event, one date of 50 seats and two prices (15 €, 10 €). */
export async function ticketVenue(t: StripeTestNode) {
  const slug = `rv${Date.now().toString(36)}${venues++}`;
  const ev = await eventOnStripe(
    t.db,
    { slug, capacity: 50 },
    { name: 'Plein', kind: 'fixed', price: '15' },
    { name: 'Réduit', kind: 'fixed', price: '10' },
  );
  const [full, reduced] = ev.priceIds;
  return { ...ev, slug, account: `acct_${slug}`, dateId: ev.dateIds[0]!, prices: { full, reduced } };
}
export type TicketVenue = Awaited<ReturnType<typeof ticketVenue>>;

/** A paid order of `full` 15 € and `reduced` 10 € tickets, delivered on the Connect endpoint. */
export async function paidOrder(t: StripeTestNode, venue: TicketVenue, counts: { full: number; reduced?: number }) {
  const lines = [{ priceId: venue.prices.full, eventDateId: venue.dateId, quantity: counts.full }];
  if (counts.reduced)
    lines.push({ priceId: venue.prices.reduced, eventDateId: venue.dateId, quantity: counts.reduced });
  const placed = await placeOrder(t.db, t.config, null, {
    slug: venue.slug,
    email: `buyer-${placedCount}@example.org`,
    name: 'Ada',
    language: 'fr',
    lines,
  });
  placedCount++;
  await payOrder(t.db, t.node.stripe, t.config, null, placed.id);
  const payment = await paymentOf(t, placed.id);
  await deliverOk(t, t.fake.complete(payment.provider_session_id!), 'connect');
  return {
    orderId: placed.id,
    paymentId: payment.id,
    totalCents: placed.totalCents,
    intent: t.fake.sessions.get(payment.provider_session_id!)!.payment_intent!,
  };
}

export const orderState = async (t: TestNode, orderId: string) => ({
  status: (await t.db.selectFrom('orders').select('status').where('id', '=', orderId).executeTakeFirstOrThrow()).status,
  tickets: (
    await t.db
      .selectFrom('tickets as k')
      .innerJoin('ticket_prices as p', (j) => j.onRef('p.place_id', '=', 'k.place_id').onRef('p.id', '=', 'k.price_id'))
      .select(['k.status', 'p.name'])
      .where('k.order_id', '=', orderId)
      .orderBy('k.id')
      .execute()
  ).map((k) => `${k.name}:${k.status}`),
});

export const placesTaken = async (t: TestNode, venue: TicketVenue) => ({
  date: (
    await t.db
      .selectFrom('date_capacity')
      .select('taken')
      .where('place_id', '=', venue.place.id)
      .where('event_date_id', '=', venue.dateId)
      .executeTakeFirstOrThrow()
  ).taken,
  full: (
    await t.db
      .selectFrom('ticket_prices')
      .select('taken')
      .where('place_id', '=', venue.place.id)
      .where('id', '=', venue.prices.full)
      .executeTakeFirstOrThrow()
  ).taken,
});

/** A venue selling a yearly membership at `euros`; a person buys and pays it (Connect endpoint). */
export async function paidMembership(t: StripeTestNode, euros = '30') {
  const slug = `rm${Date.now().toString(36)}${venues++}`;
  const admin = await ensurePerson(t.db, `admin-${slug}@example.org`, 'fr');
  const place = await createPlace(t.db, SYSTEM, { slug, name: `Asso ${slug}`, timezone: 'Indian/Reunion' }, admin.id);
  await t.db
    .updateTable('places')
    .set({ stripe_account_id: `acct_${slug}` })
    .where('id', '=', place.id)
    .execute();
  const product = await createMembershipProduct(t.db, personActor(admin.id), slug, {
    name: 'Annuelle',
    validity_kind: 'days',
    validity_value: '100',
    price_kind: 'fixed',
    price: euros,
  });
  const member: PersonActor = personActor((await ensurePerson(t.db, `member-${slug}@example.org`, 'fr')).id);
  const bought = await buyMembership(t.db, t.node.stripe, t.config, member, { slug, productId: product.id });
  assert.equal(bought.kind, 'pay');
  const payment = await paymentOf(t, bought.membershipId);
  await deliverOk(t, t.fake.complete(payment.provider_session_id!), 'connect');
  return {
    placeId: place.id,
    membershipId: bought.membershipId,
    paymentId: payment.id,
    intent: t.fake.sessions.get(payment.provider_session_id!)!.payment_intent!,
  };
}

export const membershipRow = (t: TestNode, m: { placeId: string; membershipId: string }) =>
  t.db
    .selectFrom('memberships')
    .select(['status', 'starts_on', 'ends_on'])
    .where('place_id', '=', m.placeId)
    .where('id', '=', m.membershipId)
    .executeTakeFirstOrThrow();
