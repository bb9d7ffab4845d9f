import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { signRequest } from '@fedify/fedify';
import { sql } from 'kysely';
import { SYSTEM } from '../access/actor.ts';
import { freePort } from '../../test/browser/browser.ts';
import { cancelOrder } from '../ticketing/cancelOrder.ts';
import { placeOrder } from '../ticketing/placeOrder.ts';
import { eventSelling } from '../ticketing/testFixtures.ts';
import { actorKeyPairs } from './actorKeys.ts';
import { AVAILABILITY_PER_MINUTE } from './availabilityRoutes.ts';
import { sendAvailabilityChanges } from './availabilityUpdates.ts';
import { createRezoFederation } from './fedify.ts';
import { followRemoteActor } from './followRemoteActor.ts';
import { refreshRemoteAvailability } from './index.ts';
import { deliverOutbox } from './outbox.ts';
import { publishChanges } from './publishChanges.ts';
import { startNode, type Running, until } from './testFixtures.ts';
import { availabilityUrl, eventObjectUrl } from './urls.ts';

/**
 * Live availability between two Rezo nodes on 127.0.0.1 (docs/FEDERATION.md, "Live availability"):
 * A's relay follows B's venue; B sells a date until it is sold out and A knows within a second, with no
 * job run by the test (the seatsMoved hook wakes B's federation); a cancellation reopens it; A polls
 * B's signed endpoint for the current number, and keeps the last one when B is down or silent.
 */
let a: Running;
let b: Running;
let sale: Awaited<ReturnType<typeof eventSelling>>;
let dateId: string;
before(async () => {
  [a, b] = await Promise.all([startNode(), startNode()]);
  sale = await eventSelling(b.db, { slug: 'salle-b', capacity: 12 }, { name: 'Plein', kind: 'fixed', price: '10' });
  dateId = sale.dateIds[0]!;
});
after(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const objectId = () => eventObjectUrl(b.url, dateId);
const stored = () =>
  a.db
    .selectFrom('federation_remote_events')
    .select([
      'local_id',
      'remaining',
      'availability',
      'availability_as_of',
      'availability_url',
      'sequence',
      'parsed',
      'updated',
    ])
    .where('id', '=', objectId())
    .executeTakeFirst();
const buy = (quantity: number, email: string) =>
  placeOrder(b.db, b.config, null, {
    slug: 'salle-b',
    email,
    language: 'fr',
    lines: [{ priceId: sale.priceIds[0], eventDateId: dateId, quantity }],
  });

/** The remote event's page on A, in French: what a visitor of A sees (docs/AGENDA.md, "Remote events"). */
async function pageAtA(): Promise<string> {
  const r = await a.app.inject({
    url: `/agenda/remote/${(await stored())!.local_id}`,
    headers: { 'accept-language': 'fr' },
  });
  assert.equal(r.statusCode, 200);
  return r.body;
}

/** A GET of `url` signed by A's relay (as refreshRemoteAvailability signs), or unsigned. */
async function signedGet(url: string, signed = true): Promise<Response> {
  const request = new Request(url, { headers: { accept: 'application/json' } });
  if (!signed) return fetch(request);
  const keys = await actorKeyPairs(a.db, 'relay');
  return fetch(await signRequest(request, keys.rsa.privateKey, new URL(`${a.url}/ap/actors/relay#main-key`)));
}

describe('live availability between two nodes', () => {
  test('A follows B and receives the date with its places and the endpoint to poll', async () => {
    await followRemoteActor(createRezoFederation(a.db, a.config), a.data, SYSTEM, {
      localActor: 'relay',
      remoteActorUrl: `${b.url}/ap/actors/${sale.place.id}`,
    });
    await deliverOutbox(a.db, a.config);
    await until('the Accept', async () => {
      const f = await a.db.selectFrom('federation_follows').select('state').executeTakeFirst();
      // And B has recorded its Accept as sent (else the next delivery round would send it again).
      const accept = await b.db.selectFrom('federation_outbox').select('state').executeTakeFirst();
      return f?.state === 'accepted' && accept?.state === 'sent';
    });
    assert.equal(await publishChanges(b.db, b.config), 1);
    assert.equal(await deliverOutbox(b.db, b.config), 1);
    const row = await stored();
    assert.equal(row?.remaining, 12);
    assert.equal(row?.availability, 'in_stock');
    assert.equal(row?.availability_url, availabilityUrl(b.url, dateId));
  });

  test('B sells: a threshold crossed reaches A at once, sold out within a second, with no job run', async (t) => {
    const first = await stored();
    await buy(4, 'one@example.org'); // 12 → 8: at or below 10 places, the first threshold Update leaves at once.
    await until('8 places left at A', async () => (await stored())?.remaining === 8);
    assert.equal((await stored())?.availability, 'limited');
    await buy(4, 'two@example.org'); // 8 → 4: crossed 20 % inside the 5-minute window: it waits.
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await stored())?.remaining, 8, 'debounced: no second threshold Update within 5 minutes');
    // A visitor opens the event on A: A asks B (one signed GET) and shows the current number, not the stored 8.
    // One poll has 1.5 s: on a loaded machine (both nodes in this one process) it may give up, and the
    // page then shows the stored 8 — a view 10 s later asks again. The test asks again at once.
    await until("A's page showing B's number", async () => {
      await a.db.updateTable('federation_remote_events').set({ availability_checked_at: null }).execute();
      return /4 places restantes/.test(await pageAtA());
    });
    assert.equal((await stored())?.remaining, 4, 'the poll stored what B said');
    // The window ends (moved back 5 minutes): the 30 s job sends the one Update, with the numbers of then.
    await b.db
      .updateTable('federation_published')
      .set({ availability_sent_at: sql<Date>`now() - interval '5 minutes'` })
      .execute();
    assert.equal(await sendAvailabilityChanges(b.db, b.config), 1);
    assert.equal(await sendAvailabilityChanges(b.db, b.config), 0, 'once');
    await deliverOutbox(b.db, b.config);
    assert.equal((await stored())?.remaining, 4);
    await buy(3, 'three@example.org');
    const start = Date.now();
    const last = await buy(1, 'four@example.org'); // sold out: at once, whatever the window.
    await until('sold out at A', async () => (await stored())?.availability === 'sold_out', 5000);
    const delay = Date.now() - start;
    t.diagnostic(`sold out stored by A ${delay} ms after the sale returned`);
    assert.ok(delay < 3000, `sold out known by A ${delay} ms after the sale`);
    const row = (await stored())!;
    assert.equal(row.remaining, 0);
    assert.equal(row.parsed?.availability, 'sold_out');
    const page = await pageAtA();
    assert.match(page, /Complet/);
    assert.doesNotMatch(page, /places restantes/);
    // The event itself did not change: the Updates were applied because each carries a later `updated`.
    assert.equal(row.sequence, first!.sequence);
    assert.ok(row.updated! > first!.updated!);

    // B cancels the last order (its buyer is refunded): the date reopens, and A knows at once.
    const reopened = Date.now();
    await cancelOrder(b.db, null, sale.admin, { orderId: last.id });
    await until('reopened at A', async () => (await stored())?.availability === 'limited', 5000);
    assert.equal((await stored())?.remaining, 1);
    assert.match(await pageAtA(), /Dernières places<\/strong> · 1 place restante/);
    t.diagnostic(`reopened at A ${Date.now() - reopened} ms after the cancellation returned`);
    assert.ok(Date.now() - reopened < 4000);
  });

  test("B's endpoint: 401 unsigned or badly signed, 404 unknown, 200 with Cache-Control, 429 past the limit", async () => {
    const url = availabilityUrl(b.url, dateId);
    const unsigned = await signedGet(url, false);
    assert.equal(unsigned.status, 401);
    assert.match(unsigned.headers.get('content-type') ?? '', /problem\+json/);
    // Signed for another URL, then sent to this one: the signature does not match.
    const keys = await actorKeyPairs(a.db, 'relay');
    const other = await signRequest(
      new Request(availabilityUrl(b.url, sale.eventId)),
      keys.rsa.privateKey,
      new URL(`${a.url}/ap/actors/relay#main-key`),
    );
    assert.equal((await fetch(url, { headers: other.headers })).status, 401);

    const ok = await signedGet(url);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('cache-control'), 'max-age=5');
    const body = (await ok.json()) as { remaining: number; availability: string; asOf: string };
    assert.equal(body.remaining, 1);
    assert.equal(body.availability, 'LimitedAvailability');
    assert.ok(Math.abs(Date.parse(body.asOf) - Date.now()) < 60_000);
    assert.equal((await signedGet(availabilityUrl(b.url, '0193f0d4-1b2a-7c3d-8e4f-5a6b7c8d9e0f'))).status, 404);
    assert.equal((await signedGet(availabilityUrl(b.url, 'not-a-date'))).status, 404);
    // A private event's date is never told.
    await b.db.updateTable('events').set({ visibility: 'private' }).where('id', '=', sale.eventId).execute();
    assert.equal((await signedGet(url)).status, 404);
    await b.db.updateTable('events').set({ visibility: 'public' }).where('id', '=', sale.eventId).execute();

    // 120 a minute per actor (a window boundary crossed meanwhile restarts the count: twice the limit at most).
    let refused: Response | null = null;
    for (let i = 0; i <= 2 * AVAILABILITY_PER_MINUTE && !refused; i++) {
      const r = await signedGet(url);
      if (r.status === 429) refused = r;
      else assert.equal(r.status, 200);
    }
    assert.ok(refused, 'refused past the limit');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    await b.db.deleteFrom('rate_limit_counters').execute();
  });

  test('A polls B: the current number by one signed GET, cached 10 s; B down or silent: the last value, in time', async () => {
    // B's number moves without any Update (a direct write: no hook): only a poll can tell A.
    await sql`update date_capacity set taken = 9, held_unconfirmed = 0 where event_date_id = ${dateId}`.execute(b.db);
    // The page views above asked B less than 10 s ago: forget that, as 10 s later.
    await a.db.updateTable('federation_remote_events').set({ availability_checked_at: null }).execute();
    const polled = await refreshRemoteAvailability(a, objectId());
    assert.equal(polled?.remaining, 3);
    assert.equal(polled?.availability, 'limited');
    assert.equal((await stored())?.parsed?.remainingCapacity, 3, 'the parsed fields follow');
    await sql`update date_capacity set taken = 12 where event_date_id = ${dateId}`.execute(b.db);
    assert.equal((await refreshRemoteAvailability(a, objectId()))?.remaining, 3, 'asked less than 10 s ago: cached');

    // B stopped: the last value, at once, without throwing.
    await new Promise<void>((resolve, reject) => b.app.server.close((err) => (err ? reject(err) : resolve())));
    await a.db.updateTable('federation_remote_events').set({ availability_checked_at: null }).execute();
    let start = Date.now();
    const down = await refreshRemoteAvailability(a, objectId());
    assert.equal(down?.remaining, 3);
    assert.ok(Date.now() - start < 1600, `${Date.now() - start} ms`);

    // A peer that accepts and never answers: given up after 1.5 s, the last value kept.
    const port = await freePort();
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      await a.db
        .updateTable('federation_remote_events')
        .set({ availability_checked_at: null, availability_url: `http://127.0.0.1:${port}/ap/events/x/availability` })
        .execute();
      start = Date.now();
      const slow = await refreshRemoteAvailability(a, objectId());
      const took = Date.now() - start;
      assert.equal(slow?.remaining, 3);
      assert.ok(took >= 1400 && took < 2500, `${took} ms`);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
    assert.equal(await refreshRemoteAvailability(a, 'https://nowhere.example/ap/events/1'), null);
  });
});
