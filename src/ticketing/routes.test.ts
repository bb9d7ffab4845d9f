import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withKey } from '../../test/harness.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { uuidv7 } from '../shared/ids.ts';
import { eventOnStripe } from './testFixtures.ts';
import { useStripeTestNode, type StripeTestNode } from '../payments/testFixtures.ts';

let t: StripeTestNode;
useStripeTestNode((node) => (t = node));

test('order by API, confirm the free booking by the mailed link, see the ticket, and scan it with a door key', async () => {
  const ev = await eventOnStripe(
    t.db,
    { slug: 'api-venue', capacity: 10 },
    { name: 'Libre', kind: 'free' },
    { name: 'Plein', kind: 'fixed', price: '9' },
  );
  const [free, paid] = ev.priceIds;
  const c = t.client();
  const bad = await c.api('POST', '/api/v1/orders', {
    venue: 'api-venue',
    email: 'x@example.org',
    lines: [{ priceId: free, eventDateId: ev.dateIds[0], quantity: -2 }],
  });
  assert.equal(bad.statusCode, 422);
  assert.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
  const paidOrder = await c.api('POST', '/api/v1/orders', {
    venue: 'api-venue',
    email: 'payer@example.org',
    lines: [{ priceId: paid, eventDateId: ev.dateIds[0], quantity: 2 }],
  });
  assert.equal(paidOrder.statusCode, 201);
  assert.equal(paidOrder.json().next.kind, 'pay');
  assert.match(paidOrder.json().next.url, /\/pay\/cs_test_/);
  const booking = await c.api('POST', '/api/v1/orders', {
    venue: 'api-venue',
    email: 'guest@example.org',
    name: 'Guest',
    lines: [{ priceId: free, eventDateId: ev.dateIds[0], quantity: 1 }],
  });
  assert.equal(booking.statusCode, 201);
  assert.deepEqual(booking.json().next, { kind: 'confirm_by_mail' });
  const link = /\/orders\/confirm\/[A-Za-z0-9_-]{43}/.exec((await t.lastMailTo('guest@example.org'))!.text)![0];
  const confirmPage = await c.get(link);
  assert.equal(confirmPage.statusCode, 200);
  const confirmed = await c.postForm(link, {});
  assert.equal(confirmed.statusCode, 303);
  const orderPage = await c.get(String(confirmed.headers.location));
  assert.equal(orderPage.statusCode, 200);
  const payload = /R1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/.exec(orderPage.body)![0];
  assert.match(orderPage.body, /<figure class="qr"><svg role="img" aria-label="QR code du billet/);

  const keys = await t.app.inject({ url: '/api/v1/venues/api-venue/ticket-keys' });
  assert.equal(keys.json().keys.length, 1);

  const { secret } = await createApiKey(t.db, ev.admin, { slug: 'api-venue', name: 'door', scopes: ['checkin'] });
  const { secret: wrongScope } = await createApiKey(t.db, ev.admin, {
    slug: 'api-venue',
    name: 'site',
    scopes: ['place:read'],
  });
  const body = (nonce: string) => ({ venue: 'api-venue', eventId: ev.eventId, scans: [{ payload, nonce }] });
  assert.equal((await withKey(t.app, wrongScope, 'POST', '/api/v1/checkins', body('nonce-0001'))).statusCode, 403);
  const first = await withKey(t.app, secret, 'POST', '/api/v1/checkins', body('nonce-0002'));
  assert.equal(first.statusCode, 200);
  assert.equal(first.json().results[0].result, 'valid');
  const second = await withKey(t.app, secret, 'POST', '/api/v1/checkins', body('nonce-0003'));
  assert.equal(second.json().results[0].result, 'already_checked_in');
  const unknownEvent = await withKey(t.app, secret, 'POST', '/api/v1/checkins', {
    ...body('nonce-0004'),
    eventId: uuidv7(),
  });
  assert.equal(unknownEvent.statusCode, 404);
});
