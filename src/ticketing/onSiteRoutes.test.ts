import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useTestNode, type TestNode } from '../../test/harness.ts';
import { addTeamMember, eventOnSale } from './testFixtures.ts';

let t: TestNode;
// No online payment: the paid price is on sale only once the venue takes payment on site.
useTestNode((node) => (t = node), { demoPayments: false });

const paymentOf = async (orderId: string) =>
  t.db.selectFrom('payments').select(['status', 'method']).where('subject_id', '=', orderId).executeTakeFirst();

test('pages: the setting (422 on bad input), "Payer sur place", the order page and mail, "Marquer payé" at the door', async () => {
  const ev = await eventOnSale(t.db, 'onsite-r', { name: 'Plein', price: '12', capacity: 20 });
  const { priceId } = ev;
  const eventPage = `/events/onsite-r-concert`;
  const admin = await t.loginAs('admin@onsite-r.example');
  // No online payment and no payment on site: the paid price is not offered.
  assert.doesNotMatch((await admin.get(eventPage)).body, /Plein/);

  const base = `/venues/onsite-r/admin/events/${ev.eventId}/tickets`;
  const page = await admin.get(base);
  assert.match(page.body, /Paiement sur place/);
  const bad = await admin.postForm(`${base}/on-site`, { onSiteEnabled: 'yes', holdHours: 'douze' });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /aria-invalid="true"/);
  assert.match(bad.body, /Nombre entier de 1 à 720/);
  const none = await t.db
    .selectFrom('on_site_payment_settings')
    .selectAll()
    .where('place_id', '=', ev.place.id)
    .execute();
  assert.equal(none.length, 0);
  const saved = await admin.postForm(`${base}/on-site`, { onSiteEnabled: 'yes', holdHours: '48' });
  assert.equal(saved.statusCode, 200);
  assert.match(saved.body, /Paiement sur place enregistré/);

  // A visitor sees the price and is asked to log in; a logged-in buyer gets the button.
  const visitor = await t.client().get(eventPage);
  assert.match(visitor.body, /Plein/);
  assert.match(visitor.body, /connectez-vous pour choisir/);
  const buyer = await t.loginAs('buyer@onsite-r.example');
  assert.match((await buyer.get(eventPage)).body, /value="on_site"/);
  const placed = await buyer.postForm(`/events/${ev.eventId}/order`, {
    [`q.${priceId}.${ev.dateIds[0]}`]: '2',
    email: 'buyer@onsite-r.example',
    name: 'Ada Buyer',
    pay: 'on_site',
  });
  assert.equal(placed.statusCode, 303);
  const orderUrl = placed.headers.location as string;
  const orderId = orderUrl.split('/').pop()!;
  const orderPage = await buyer.get(orderUrl);
  assert.match(orderPage.body, /pas encore payée/);
  assert.match(orderPage.body, /avant le/);
  assert.match(orderPage.body, /remises en vente/);
  const mail = await t.lastMailTo('buyer@onsite-r.example');
  assert.match(mail!.subject, /à payer sur place avant le/);
  assert.match(mail!.text, /PAS ENCORE PAYÉE/);
  assert.deepEqual(await paymentOf(orderId), { status: 'pending', method: null });

  // The door: found by name, a bad method writes nothing, then marked paid.
  await addTeamMember(t.db, ev.place.id, 'door@onsite-r.example', 'door');
  const door = await t.loginAs('door@onsite-r.example');
  assert.match((await door.get(`/venues/onsite-r/scan/${ev.eventId}`)).body, /\/unpaid"/);
  const list = await door.get(`/venues/onsite-r/scan/${ev.eventId}/unpaid?q=ada`);
  assert.equal(list.statusCode, 200);
  assert.match(list.body, /Ada Buyer/);
  assert.doesNotMatch((await door.get(`/venues/onsite-r/scan/${ev.eventId}/unpaid?q=zorro`)).body, /Ada Buyer/);
  const mark = `/venues/onsite-r/orders/${orderId}/paid-on-site`;
  const refused = await door.postForm(mark, { method: 'bitcoin', from: 'door', eventId: ev.eventId });
  assert.equal(refused.statusCode, 422);
  assert.match(refused.body, /Ce choix n’est pas possible/);
  assert.deepEqual(await paymentOf(orderId), { status: 'pending', method: null });

  // Neither an editor nor a cashier of the venue may say money was received.
  for (const role of ['editor', 'cashier'] as const) {
    await addTeamMember(t.db, ev.place.id, `${role}@onsite-r.example`, role);
    const other = await t.loginAs(`${role}@onsite-r.example`);
    assert.equal((await other.postForm(mark, { method: 'cash', from: 'door', eventId: ev.eventId })).statusCode, 403);
  }
  assert.deepEqual(await paymentOf(orderId), { status: 'pending', method: null });

  const done = await door.postForm(mark, { method: 'cheque', from: 'door', eventId: ev.eventId });
  assert.equal(done.statusCode, 303);
  assert.match(done.headers.location as string, /marked=confirmed/);
  assert.match((await door.get(done.headers.location as string)).body, /payée : ses billets sont valables/);
  const twice = await door.postForm(mark, { method: 'cash', from: 'admin', eventId: ev.eventId });
  assert.match(twice.headers.location as string, /admin\/events\/.*marked=already/);
  assert.deepEqual(await paymentOf(orderId), { status: 'paid', method: 'cheque' });
  const tickets = await t.db.selectFrom('tickets').select('id').where('order_id', '=', orderId).execute();
  assert.equal(tickets.length, 2);
  assert.doesNotMatch((await buyer.get(orderUrl)).body, /pas encore payée/);
});
