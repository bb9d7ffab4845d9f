import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestNode, type Client, type TestNode } from '../../test/harness.ts';
import { SYSTEM } from '../access/actor.ts';
import { parseCsv } from '../shared/csv.ts';
import { checkIn } from './checkIn.ts';
import { completeOrder } from './completeOrder.ts';
import { placeOrder } from './placeOrder.ts';
import { signTicket } from './ticketSignature.ts';
import { eventWithDates } from './testFixtures.ts';
import { uuidv7 } from '../shared/ids.ts';

let t: TestNode;
let admin: Client;
let ev: Awaited<ReturnType<typeof eventWithDates>>;
before(async () => {
  t = await createTestNode();
  ev = await eventWithDates(t.db, { slug: 'report-hall', capacity: 20 });
  admin = await t.loginAs('admin@report-hall.example');
});
after(() => t.close());

test('a venue editor sets prices on the page; the report counts sales, entries and revenue; the exports list them', async () => {
  const base = `/venues/report-hall/admin/events/${ev.eventId}/tickets`;
  const empty = await admin.get(base);
  assert.equal(empty.statusCode, 200);
  assert.match(empty.body, /Aucun tarif pour l’instant/);
  const bad = await admin.postForm(`${base}/prices`, { name: '', kind: 'fixed', price: '', perOrderLimit: '500' });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /Ce champ est obligatoire/);
  assert.match(bad.body, /Un prix fixe doit être supérieur à zéro/);
  const ok = await admin.postForm(`${base}/prices`, {
    name: 'Plein tarif',
    kind: 'fixed',
    price: '12,50',
    perOrderLimit: '6',
    vatRate: '5,5',
    salesOpenAt: '2020-01-01T10:00',
  });
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /Le tarif est créé/);
  const price = await t.db
    .selectFrom('ticket_prices')
    .selectAll()
    .where('event_id', '=', ev.eventId)
    .executeTakeFirstOrThrow();
  assert.deepEqual([price.price_cents, price.vat_rate_bp, price.per_order_limit], [1250, 550, 6]);
  // 10:00 in La Réunion (UTC+4) is 06:00 UTC.
  assert.equal(price.sales_open_at!.toISOString(), '2020-01-01T06:00:00.000Z');

  const placed = await placeOrder(t.db, t.config, null, {
    slug: 'report-hall',
    email: 'fan@example.org',
    name: 'Fan',
    language: 'fr',
    lines: [{ priceId: price.id, eventDateId: ev.dateIds[0]!, quantity: 3 }],
  });
  await t.db.transaction().execute((trx) => completeOrder(trx, t.config, SYSTEM, placed.id, null));
  const tickets = await t.db.selectFrom('tickets').selectAll().where('order_id', '=', placed.id).execute();
  const payload = await signTicket(t.db, {
    placeId: tickets[0]!.place_id,
    id: tickets[0]!.id,
    eventDateId: tickets[0]!.event_date_id,
  });
  await checkIn(t.db, ev.admin, {
    slug: 'report-hall',
    eventId: ev.eventId,
    scans: [{ payload, nonce: `n-${uuidv7()}` }],
  });

  const page = await admin.get(base);
  assert.match(page.body, /<td>Plein tarif<\/td><td>3<\/td><td>1<\/td><td>17<\/td><td>37,50\s€<\/td>/);
  const orders = parseCsv((await admin.get(`${base}/orders.csv`)).body);
  assert.deepEqual(orders[0], ['reference', 'email', 'name', 'status', 'total', 'created_at', 'paid_at']);
  assert.deepEqual(orders[1]!.slice(1, 5), ['fan@example.org', 'Fan', 'paid', '37.50']);
  const attendees = parseCsv((await admin.get(`${base}/attendees.csv`)).body);
  assert.equal(attendees.length, 4);

  const stranger = await t.loginAs('stranger@example.org');
  assert.equal((await stranger.get(base)).statusCode, 403);
  assert.equal((await stranger.get(`${base}/orders.csv`)).statusCode, 403);
});

test('the whole event is cancelled only after the confirmation box is ticked', async () => {
  const base = `/venues/report-hall/admin/events/${ev.eventId}/tickets`;
  const unconfirmed = await admin.postForm(`${base}/cancel-all`, {});
  assert.equal(unconfirmed.statusCode, 422);
  assert.equal(
    (await t.db.selectFrom('orders').select('status').where('status', '=', 'cancelled').execute()).length,
    0,
  );
  const done = await admin.postForm(`${base}/cancel-all`, { confirm: 'yes' });
  assert.equal(done.statusCode, 200);
  assert.match(done.body, /1 commande\(s\) annulée\(s\)/);
  assert.equal(
    (
      await t.db
        .selectFrom('tickets')
        .select('id')
        .where('event_id', '=', ev.eventId)
        .where('status', '=', 'valid')
        .execute()
    ).length,
    0,
  );
});

test('the prices section says which price is editable and which only closable; the server holds to it', async () => {
  const other = await eventWithDates(t.db, { slug: 'edit-hall', capacity: 20 });
  const editor = await t.loginAs('admin@edit-hall.example');
  const base = `/venues/edit-hall/admin/events/${other.eventId}/tickets`;
  const page = await editor.get(base);
  // The new price starts at the venue's default rate (a venue in FR by default: 5,5 % for shows).
  assert.match(page.body, /name="vatRate"[^>]*value="5,5"/);
  assert.match(page.body, /5,5 % pour les billets de spectacle, 20 % au taux normal/);
  await editor.postForm(`${base}/prices`, { name: 'Plein', kind: 'fixed', price: '10', perOrderLimit: '10' });
  const price = await t.db
    .selectFrom('ticket_prices')
    .select('id')
    .where('event_id', '=', other.eventId)
    .executeTakeFirstOrThrow();
  const listed = await editor.get(base);
  assert.match(listed.body, /Modifiable \(rien n’est encore commandé\)/);
  const form = await editor.get(`${base}/prices/${price.id}`);
  assert.match(form.body, /Modifier le tarif « Plein »/);
  assert.match(form.body, /name="price"[^>]*value="10,00"/);
  const invalid = await editor.postForm(`${base}/prices/${price.id}`, { name: '', kind: 'fixed', price: '12' });
  assert.equal(invalid.statusCode, 422);
  const saved = await editor.postForm(`${base}/prices/${price.id}`, {
    name: 'Plein',
    kind: 'fixed',
    price: '12',
    vatRate: '2,1',
  });
  assert.match(saved.body, /Le tarif est enregistré/);
  await placeOrder(t.db, t.config, null, {
    slug: 'edit-hall',
    email: 'someone@example.org',
    language: 'fr',
    lines: [{ priceId: price.id, eventDateId: other.dateIds[0]!, quantity: 1 }],
  });
  const locked = await editor.get(base);
  assert.match(locked.body, /Déjà commandé : seulement fermable/);
  assert.doesNotMatch(locked.body, new RegExp(`prices/${price.id}/delete`));
  // A request sent anyway (an old page, a second tab) is refused in the person's language.
  const late = await editor.postForm(`${base}/prices/${price.id}/delete`, {});
  assert.equal(late.statusCode, 409);
  assert.match(late.body, /a déjà été commandé : il ne peut plus être modifié ni supprimé/);
  const closed = await editor.postForm(`${base}/prices/${price.id}/close`, {});
  assert.match(closed.body, /fermé à la vente : les billets vendus restent valables/);
  assert.match(closed.body, /Rouvrir à la vente/);
});
