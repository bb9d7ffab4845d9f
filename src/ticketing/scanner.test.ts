import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { withKey, type TestNode, useTestNode } from '../../test/harness.ts';
import { SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { registerDevice } from '../ledger/registerDevice.ts';
import { uuidv7 } from '../shared/ids.ts';
import { signedRequest } from '../till/testFixtures.ts';
import { completeOrder } from './completeOrder.ts';
import { placeOrder } from './placeOrder.ts';
import { signTicket } from './ticketSignature.ts';
import { eventSelling } from './testFixtures.ts';

let t: TestNode;
useTestNode((node) => (t = node));

/** A venue with a published event, `n` paid tickets, and people in each role. */
async function venue(slug: string, n = 2) {
  const ev = await eventSelling(t.db, { slug, capacity: 100 }, { name: 'Plein', kind: 'fixed', price: '12' });
  const [price] = ev.priceIds;
  const placed = await placeOrder(t.db, t.config, null, {
    slug,
    email: `fan@${slug}.example`,
    name: 'Léa Fan',
    language: 'fr',
    lines: [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: n }],
  });
  await t.db.transaction().execute((trx) => completeOrder(trx, t.config, SYSTEM, placed.id, null));
  const tickets = await t.db
    .selectFrom('tickets')
    .selectAll()
    .where('order_id', '=', placed.id)
    .orderBy('id')
    .execute();
  const payloads = await Promise.all(
    tickets.map((x) => signTicket(t.db, { placeId: x.place_id, id: x.id, eventDateId: x.event_date_id })),
  );
  for (const role of ['door', 'editor', 'cashier'] as const) {
    const person = await ensurePerson(t.db, `${role}@${slug}.example`, 'fr');
    await t.db.insertInto('place_members').values({ place_id: ev.place.id, person_id: person.id, role }).execute();
  }
  return { ev, tickets, payloads };
}

test('the scanner pages open for the door team and admins only', async () => {
  const { ev } = await venue('scan-pages');
  const list = '/venues/scan-pages/scan';
  const page = `/venues/scan-pages/scan/${ev.eventId}`;

  const anonymous = t.client();
  const redirected = await anonymous.get(page);
  assert.equal(redirected.statusCode, 303);
  assert.match(String(redirected.headers.location), /^\/login\?next=/);

  for (const role of ['editor', 'cashier']) {
    const c = await t.loginAs(`${role}@scan-pages.example`);
    assert.equal((await c.get(list)).statusCode, 403, `${role}: list`);
    assert.equal((await c.get(page)).statusCode, 403, `${role}: scanner`);
  }
  const outsider = await t.loginAs('nobody@elsewhere.example');
  assert.equal((await outsider.get(page)).statusCode, 403);

  for (const who of ['door@scan-pages.example', 'admin@scan-pages.example']) {
    const c = await t.loginAs(who);
    const listed = await c.get(list);
    assert.equal(listed.statusCode, 200, who);
    assert.match(listed.body, new RegExp(`href="${page}"`), 'the event links to its scanner');
    const scanner = await c.get(page);
    assert.equal(scanner.statusCode, 200, who);
    for (const id of ['scan-result', 'scan-code', 'scan-camera', 'scan-sync', 'scan-net', 'scan-count'])
      assert.match(scanner.body, new RegExp(`id="${id}"`));
    assert.match(scanner.body, /Synchroniser \(0 en attente\)/);
    assert.match(scanner.body, /<script type="module" src="\/static\/scanner.js"><\/script>/);
    const data = JSON.parse(
      /<script type="application\/json" id="scanner-data">([^<]*)<\/script>/.exec(scanner.body)![1]!,
    );
    assert.equal(data.eventId, ev.eventId);
    assert.match(data.csrf, /^[A-Za-z0-9_-]{20,}$/, 'the CSRF token for the API calls');
    assert.equal(data.words.valid, 'Valide');
    assert.equal(data.words.alreadyAt, 'Déjà entré (à {time})');
  }

  const door = await t.loginAs('door@scan-pages.example');
  assert.equal((await door.get('/venues/scan-pages/scan/not-a-uuid')).statusCode, 404);
  assert.equal((await door.get(`/venues/scan-pages/scan/${uuidv7()}`)).statusCode, 404);
  assert.equal((await door.get(`/venues/no-such-venue/scan`)).statusCode, 404);
});

test('the list shows published events with dates to come, not drafts nor past ones', async () => {
  const { ev } = await venue('scan-list', 1);
  const draft = await t.db
    .insertInto('events')
    .values({
      place_id: ev.place.id,
      id: uuidv7(),
      slug: 'brouillon',
      title: 'Brouillon secret',
      state: 'draft',
    } as never)
    .returning('id')
    .executeTakeFirstOrThrow();
  await t.db
    .insertInto('event_dates')
    .values({
      place_id: ev.place.id,
      event_id: draft.id,
      id: uuidv7(),
      starts_at: new Date(Date.now() + 86400_000),
      timezone: 'Indian/Reunion',
    } as never)
    .execute();
  const past = await t.db
    .insertInto('events')
    .values({ place_id: ev.place.id, id: uuidv7(), slug: 'passe', title: 'Concert passé', state: 'published' } as never)
    .returning('id')
    .executeTakeFirstOrThrow();
  await t.db
    .insertInto('event_dates')
    .values({
      place_id: ev.place.id,
      event_id: past.id,
      id: uuidv7(),
      starts_at: new Date(Date.now() - 3 * 86400_000),
      timezone: 'Indian/Reunion',
    } as never)
    .execute();
  const c = await t.loginAs('door@scan-list.example');
  const listed = await c.get('/venues/scan-list/scan');
  assert.match(listed.body, />Concert</);
  assert.doesNotMatch(listed.body, /Brouillon secret|Concert passé/);
});

test('an event title with markup is shown as text on the scanner page', async () => {
  const { ev } = await venue('scan-xss', 1);
  await t.db
    .updateTable('events')
    .set({ title: '</script><script>alert(1)</script>' })
    .where('id', '=', ev.eventId)
    .execute();
  const c = await t.loginAs('door@scan-xss.example');
  const page = await c.get(`/venues/scan-xss/scan/${ev.eventId}`);
  assert.equal(page.statusCode, 200);
  assert.doesNotMatch(page.body, /<script>alert/);
  assert.match(page.body, /<h1 id="scan-title">&lt;\/script&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/h1>/);
});

test('checkin-data gives keys, revoked and entered tickets and the dates, to the door team and checkin keys only', async () => {
  const { ev, tickets, payloads } = await venue('scan-data', 3);
  const url = `/api/v1/venues/scan-data/events/${ev.eventId}/checkin-data`;

  assert.equal((await t.client().get(url)).statusCode, 401);
  const editor = await t.loginAs('editor@scan-data.example');
  const refused = await editor.get(url);
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
  const { secret: wrongScope } = await createApiKey(t.db, ev.admin, {
    slug: 'scan-data',
    name: 'site',
    scopes: ['place:read'],
  });
  assert.equal((await withKey(t.app, wrongScope, 'GET', url)).statusCode, 403);
  const { secret } = await createApiKey(t.db, ev.admin, { slug: 'scan-data', name: 'porte', scopes: ['checkin'] });
  const other = await venue('scan-other', 1);
  const { secret: otherKey } = await createApiKey(t.db, other.ev.admin, {
    slug: 'scan-other',
    name: 'porte',
    scopes: ['checkin'],
  });
  assert.equal((await withKey(t.app, otherKey, 'GET', url)).statusCode, 403, 'a key of another venue');
  assert.equal(
    (await withKey(t.app, secret, 'GET', `/api/v1/venues/scan-data/events/${other.ev.eventId}/checkin-data`))
      .statusCode,
    404,
    'an event of another venue',
  );
  assert.equal(
    (await withKey(t.app, secret, 'GET', '/api/v1/venues/scan-data/events/nope/checkin-data')).statusCode,
    422,
  );

  const door = await t.loginAs('door@scan-data.example');
  const fresh = await door.get(url);
  assert.equal(fresh.statusCode, 200);
  const keys = (await t.app.inject({ url: '/api/v1/venues/scan-data/ticket-keys' })).json();
  assert.deepEqual(fresh.json(), {
    venueId: ev.place.id,
    keys: keys.keys,
    revoked: [],
    entered: [],
    dateIds: ev.dateIds,
    sold: 3,
  });
  assert.equal(fresh.headers['cache-control'], 'no-store');

  // One ticket in, one cancelled, one refunded: the lists follow.
  const scan = await door.api('POST', '/api/v1/checkins', {
    venue: 'scan-data',
    eventId: ev.eventId,
    scans: [{ payload: payloads[0]!, nonce: `n-${uuidv7()}` }],
  });
  assert.equal(scan.json().results[0].result, 'valid');
  await t.db.updateTable('tickets').set({ status: 'cancelled' }).where('id', '=', tickets[1]!.id).execute();
  await t.db.updateTable('tickets').set({ status: 'refunded' }).where('id', '=', tickets[2]!.id).execute();
  const after_ = (await withKey(t.app, secret, 'GET', url)).json();
  assert.deepEqual(after_.entered, [tickets[0]!.id]);
  assert.deepEqual([...after_.revoked].sort(), [tickets[1]!.id, tickets[2]!.id].sort());
  assert.equal(after_.sold, 1, 'the counter counts the tickets still valid');
  // Another venue's tickets never appear.
  assert.deepEqual(
    (await withKey(t.app, otherKey, 'GET', `/api/v1/venues/scan-other/events/${other.ev.eventId}/checkin-data`)).json()
      .entered,
    [],
  );
});

test('the scanner script and jsQR are served as JavaScript', async () => {
  for (const path of ['/static/scanner.js', '/static/scannerCamera.js', '/static/jsqr.js']) {
    const r = await t.app.inject({ url: path });
    assert.equal(r.statusCode, 200, path);
    assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8');
  }
  assert.match((await t.app.inject({ url: '/static/jsqr.js' })).body, /jsQR/);
});

/** A device of the venue with its key pair, as a phone pairs one. */
async function deviceOf(placeId: string, kind: 'till' | 'scanner') {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const d = await registerDevice(t.db, SYSTEM, {
    placeId,
    name: kind === 'scanner' ? 'Porte' : 'Bar',
    kind,
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  });
  return { placeId, id: d.id, privateKey };
}

test('a paired scanner checks tickets in without a login; a till key and an unsigned request are refused', async () => {
  const { ev, tickets, payloads } = await venue('scan-device');
  const other = await venue('scan-device-other', 1);
  const scanner = await deviceOf(ev.place.id, 'scanner');
  const till = await deviceOf(ev.place.id, 'till');

  const events = await signedRequest(t.app, scanner, 'GET', '/api/v1/door/events');
  assert.equal(events.statusCode, 200, events.body);
  assert.equal(events.json().venue.slug, 'scan-device');
  assert.deepEqual(
    events.json().events.map((e: { id: string }) => e.id),
    [ev.eventId],
  );
  const data = await signedRequest(t.app, scanner, 'GET', `/api/v1/door/events/${ev.eventId}/checkin-data`);
  assert.equal(data.statusCode, 200, data.body);
  assert.deepEqual(data.json().dateIds, ev.dateIds);
  // Another venue's event: not this device's.
  assert.equal(
    (await signedRequest(t.app, scanner, 'GET', `/api/v1/door/events/${other.ev.eventId}/checkin-data`)).statusCode,
    404,
  );

  const nonce = `n-${uuidv7()}`;
  const body = { eventId: ev.eventId, scans: [{ payload: payloads[0]!, nonce }] };
  const first = await signedRequest(t.app, scanner, 'POST', '/api/v1/door/checkins', body);
  assert.equal(first.statusCode, 200, first.body);
  assert.equal(first.json().results[0].result, 'valid');
  // The same scan sent again (a new request signature, the same scan nonce): the same answer, one entry.
  const again = await signedRequest(t.app, scanner, 'POST', '/api/v1/door/checkins', body);
  assert.equal(again.json().results[0].result, 'valid');
  const second = await signedRequest(t.app, scanner, 'POST', '/api/v1/door/checkins', {
    eventId: ev.eventId,
    scans: [{ payload: payloads[0]!, nonce: `n-${uuidv7()}` }],
  });
  assert.equal(second.json().results[0].result, 'already_checked_in');
  const rows = await t.db
    .selectFrom('checkins')
    .select(['result', 'device_id'])
    .where('ticket_id', '=', tickets[0]!.id)
    .orderBy('scanned_at')
    .execute();
  assert.deepEqual(
    rows.map((r) => [r.result, r.device_id]),
    [
      ['valid', scanner.id],
      ['already_checked_in', scanner.id],
    ],
  );

  // A till's key never checks in; an unsigned request is not a device's.
  const byTill = await signedRequest(t.app, till, 'POST', '/api/v1/door/checkins', {
    eventId: ev.eventId,
    scans: [{ payload: payloads[1]!, nonce: `n-${uuidv7()}` }],
  });
  assert.equal(byTill.statusCode, 403);
  assert.match(byTill.json().type, /ledger-device-kind/);
  assert.equal((await signedRequest(t.app, till, 'GET', '/api/v1/door/events')).statusCode, 403);
  assert.equal((await t.app.inject({ url: '/api/v1/door/events' })).statusCode, 401);
  // And a scanner's key never opens a till.
  const open = await signedRequest(t.app, scanner, 'POST', '/api/v1/till/open', { cardUid: '04A1B2C3D4E5F6' });
  assert.equal(open.statusCode, 403);
  assert.match(open.json().type, /ledger-device-kind/);
  // A revoked scanner is refused.
  await t.db.updateTable('ledger_devices').set({ revoked_at: new Date() }).where('id', '=', scanner.id).execute();
  assert.equal((await signedRequest(t.app, scanner, 'GET', '/api/v1/door/events')).statusCode, 401);
});

test('the door page and the door scanner page open without a login', async () => {
  const door = await t.app.inject({ url: '/door' });
  assert.equal(door.statusCode, 200);
  assert.match(door.body, /id="door-pair-form"/);
  assert.match(door.body, /src="\/static\/door.js"/);
  const page = await t.app.inject({ url: `/door/scan/${uuidv7()}` });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /"device":true/);
  assert.doesNotMatch(page.body, /"csrf":"[^"]/);
  const script = await t.app.inject({ url: '/static/door.js' });
  assert.equal(script.headers['content-type'], 'text/javascript; charset=utf-8');
});

test('a guest without a phone is found by name and let in through the scan path, once', async () => {
  const { ev, tickets } = await venue('scan-names', 2);
  await t.db.updateTable('tickets').set({ holder_name: 'Zoé 50%_Durand' }).where('id', '=', tickets[0]!.id).execute();
  const door = await t.loginAs('door@scan-names.example');
  const url = `/api/v1/venues/scan-names/events/${ev.eventId}/attendees`;
  const found = await door.get(`${url}?q=${encodeURIComponent('zoé 50%_')}`);
  assert.equal(found.statusCode, 200, found.body);
  assert.deepEqual(
    found.json().attendees.map((a: { ticketId: string; entered: boolean }) => [a.ticketId, a.entered]),
    [[tickets[0]!.id, false]],
  );
  assert.deepEqual(
    (await door.get(`${url}?q=${encodeURIComponent('%')}`)).json().attendees,
    [],
    '% is literal, and short',
  );
  assert.equal((await door.get(`${url}?q=Fan`)).json().attendees.length, 1, 'the other ticket');
  // The editor is not on the door team.
  assert.equal((await (await t.loginAs('editor@scan-names.example')).get(`${url}?q=Fan`)).statusCode, 403);

  // Let in with the payload the search gave: the same check-in as a scan; a second time, already in.
  const payload = found.json().attendees[0].payload as string;
  const scanner = await deviceOf(ev.place.id, 'scanner');
  const byDevice = await signedRequest(
    t.app,
    scanner,
    'GET',
    `/api/v1/door/events/${ev.eventId}/attendees?q=${encodeURIComponent('durand')}`,
  );
  assert.equal(byDevice.statusCode, 200, byDevice.body);
  assert.equal(byDevice.json().attendees[0].payload, payload);
  const enter = (nonce: string) =>
    signedRequest(t.app, scanner, 'POST', '/api/v1/door/checkins', {
      eventId: ev.eventId,
      scans: [{ payload, nonce }],
    });
  assert.equal((await enter(`n-${uuidv7()}`)).json().results[0].result, 'valid');
  assert.equal((await enter(`n-${uuidv7()}`)).json().results[0].result, 'already_checked_in');
  assert.equal((await door.get(`${url}?q=durand`)).json().attendees[0].entered, true);
  // A cancelled ticket is not offered.
  await t.db.updateTable('tickets').set({ status: 'cancelled' }).where('id', '=', tickets[1]!.id).execute();
  assert.deepEqual((await door.get(`${url}?q=Fan`)).json().attendees, []);
});
