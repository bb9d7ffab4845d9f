import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signRequest } from '@fedify/fedify';
import { SYSTEM } from '../access/actor.ts';
import { createEvent } from '../agenda/createEvent.ts';
import { publishEvent } from '../agenda/publishEvent.ts';
import { venue } from '../agenda/testFixtures.ts';
import { inDays } from '../agenda/testFixtures.ts';
import { actorKeyPairs } from './actorKeys.ts';
import { createRezoFederation } from './fedify.ts';
import { followRemoteActor } from './followRemoteActor.ts';
import { deliverOutbox } from './outbox.ts';
import { publishChanges } from './publishChanges.ts';
import { startNode as start, type Running } from './testFixtures.ts';

/**
 * Two Rezo nodes, each on its own database, talking over real HTTP on 127.0.0.1 (docs/FEDERATION.md):
 * discovery, follow and accept, a published event delivered signed, forged activities refused,
 * a repeated delivery applied once, and a delivery retried with backoff until its receiver is back.
 */
let a: Running;
let b: Running;
let venueB: Awaited<ReturnType<typeof venue>>;
let venueA: Awaited<ReturnType<typeof venue>>;
before(async () => {
  [a, b] = await Promise.all([start(), start()]);
  venueB = await venue(b.db, 'la-raffinerie');
  venueA = await venue(a.db, 'kabaret-a');
});
after(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const until = async (what: string, check: () => Promise<boolean>, ms = 8000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const followState = async () =>
  (await a.db.selectFrom('federation_follows').select('state').where('local_actor', '=', 'relay').executeTakeFirst())
    ?.state;

describe('two nodes over HTTP', () => {
  test('discovery: WebFinger for a venue (port kept) and the relay, NodeInfo 2.1 with the Application link', async () => {
    const host = `127.0.0.1:${b.port}`;
    const wf = await fetch(`${b.url}/.well-known/webfinger?resource=acct:la-raffinerie@${host}`);
    assert.equal(wf.status, 200);
    assert.match(wf.headers.get('content-type') ?? '', /application\/jrd\+json/);
    const jrd = (await wf.json()) as { links: { rel: string; type?: string; href: string }[] };
    const self = jrd.links.find((l) => l.rel === 'self');
    assert.equal(self?.href, `${b.url}/ap/actors/${venueB.id}`);
    assert.equal(self?.type, 'application/activity+json');
    const relay = await fetch(`${b.url}/.well-known/webfinger?resource=acct:relay@${host}`);
    assert.equal(relay.status, 200);
    const unknown = await fetch(`${b.url}/.well-known/webfinger?resource=acct:nobody@${host}`);
    assert.equal(unknown.status, 404);

    const ni = await fetch(`${b.url}/.well-known/nodeinfo`);
    assert.match(ni.headers.get('content-type') ?? '', /^application\/json/);
    const links = ((await ni.json()) as { links: { rel: string; href: string }[] }).links;
    assert.equal(links[0]!.rel, 'http://nodeinfo.diaspora.software/ns/schema/2.1');
    assert.equal(links[1]!.rel, 'https://www.w3.org/ns/activitystreams#Application');
    assert.equal(links[1]!.href, `${b.url}/ap/actors/relay`);
    const doc = (await (await fetch(links[0]!.href)).json()) as { version: string; protocols: string[] };
    assert.equal(doc.version, '2.1');
    assert.deepEqual(doc.protocols, ['activitypub']);

    const actor = await fetch(self!.href, { headers: { accept: 'application/activity+json' } });
    const group = (await actor.json()) as Record<string, unknown>;
    assert.equal(group.type, 'Group');
    assert.equal(group.preferredUsername, 'la-raffinerie');
    for (const c of ['members', 'resources', 'todos', 'posts', 'discussions', 'events', 'upcomingEvents']) {
      const collection = await fetch(String(group[c]));
      assert.equal(collection.status, 200, c);
      assert.equal(((await collection.json()) as { type: string }).type, 'OrderedCollection');
    }
    const app = (await (await fetch(`${b.url}/ap/actors/relay`)).json()) as Record<string, unknown>;
    assert.equal(app.type, 'Application');
    assert.equal(app.manuallyApprovesFollowers, true);
  });

  test("A's relay follows B's venue: the Accept comes back and the follow is active", async () => {
    const fed = createRezoFederation(a.db, a.config);
    await followRemoteActor(fed, a.data, SYSTEM, {
      localActor: 'relay',
      remoteActorUrl: `${b.url}/ap/actors/${venueB.id}`,
    });
    assert.equal(await followState(), 'pending');
    assert.equal(await deliverOutbox(a.db, a.config), 1);
    // B accepted at once (a venue) and its kick delivered the Accept.
    await until('the Accept', async () => (await followState()) === 'accepted');
    // A applies the Accept before it answers: B records it sent a moment later.
    await until('the Accept recorded sent', async () =>
      (await b.db.selectFrom('federation_outbox').select('state').execute()).every((r) => r.state === 'sent'),
    );
    const followers = await b.db.selectFrom('federation_followers').selectAll().execute();
    assert.deepEqual(
      followers.map((f) => [f.local_actor, f.remote_actor, f.state]),
      [[venueB.id, `${a.url}/ap/actors/relay`, 'accepted']],
    );
  });

  test('B publishes an event: A receives a verified Create and stores it raw, once', async () => {
    const e = await createEvent(b.db, venueB.admin, {
      placeId: venueB.id,
      title: 'Maloya sous les étoiles',
      tags: ['maloya'],
      dates: [{ startsAt: inDays(10), timezone: 'Indian/Reunion' }],
    });
    await publishEvent(b.db, venueB.admin, { eventId: e.id });
    assert.equal(await publishChanges(b.db, b.config), 1, 'one Create from the venue (the relay has no follower)');
    assert.equal(await publishChanges(b.db, b.config), 0, 'reading the change again sends nothing');
    assert.equal(await deliverOutbox(b.db, b.config), 1);
    const rows = await a.db.selectFrom('federation_remote_events').selectAll().execute();
    assert.equal(rows.length, 1);
    const raw = rows[0]!.raw as Record<string, unknown>;
    assert.equal(raw.type, 'Event');
    assert.equal(raw.name, 'Maloya sous les étoiles');
    assert.match(String(raw.startTime), /T20:00:00\+04:00$/);
    assert.equal(rows[0]!.origin_actor, `${b.url}/ap/actors/${venueB.id}`);

    // The same activity delivered again: answered, applied once.
    await b.db
      .updateTable('federation_outbox')
      .set({ state: 'pending', next_attempt_at: new Date() })
      .where('inbox', '=', `${a.url}/ap/inbox`)
      .execute();
    assert.equal(await deliverOutbox(b.db, b.config), 1);
    const again = await a.db.selectFrom('federation_remote_events').selectAll().execute();
    assert.equal(again.length, 1);
    assert.deepEqual(again[0]!.received_at, rows[0]!.received_at);

    // Its object is served at its id, as sent.
    const object = await fetch(String(raw.id));
    assert.equal(object.status, 200);
    assert.equal(((await object.json()) as { startTime: string }).startTime, raw.startTime);
  });

  test('a forged activity (body changed after signing) or one signed by another actor: 401, nothing stored', async () => {
    const keys = await actorKeyPairs(b.db, venueB.id);
    const actor = `${b.url}/ap/actors/${venueB.id}`;
    const activity = (id: string) => ({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${b.url}/ap/activities/${id}`,
      type: 'Create',
      actor,
      to: ['https://www.w3.org/ns/activitystreams#Public'],
      object: { id: `${b.url}/ap/events/forged-${id}`, type: 'Event', name: 'Forged', to: ['as:Public'] },
    });
    const post = async (body: string, signedBody: string, keyOwner: string, key: CryptoKey) => {
      const signed = await signRequest(
        new Request(`${a.url}/ap/inbox`, {
          method: 'POST',
          headers: { 'content-type': 'application/activity+json' },
          body: signedBody,
        }),
        key,
        new URL(`${keyOwner}#main-key`),
      );
      const headers: Record<string, string> = {};
      signed.headers.forEach((v, k) => (headers[k] = v));
      return fetch(`${a.url}/ap/inbox`, { method: 'POST', headers, body });
    };
    const original = JSON.stringify(activity('one'));
    const changed = original.replace('Forged', 'Changed');
    assert.equal((await post(changed, original, actor, keys.rsa.privateKey)).status, 401);
    const relayKeys = await actorKeyPairs(b.db, 'relay');
    const other = JSON.stringify(activity('two'));
    assert.equal((await post(other, other, `${b.url}/ap/actors/relay`, relayKeys.rsa.privateKey)).status, 401);
    const unsigned = await fetch(`${a.url}/ap/inbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/activity+json' },
      body: other,
    });
    assert.equal(unsigned.status, 401);
    const stored = await a.db.selectFrom('federation_remote_events').select('id').execute();
    assert.deepEqual(
      stored.filter((r) => r.id.includes('forged')),
      [],
    );
  });

  test('B down: A retries its delivery with growing delays, and it arrives once B is back', async () => {
    await new Promise<void>((resolve, reject) => b.app.server.close((err) => (err ? reject(err) : resolve())));
    const fed = createRezoFederation(a.db, a.config);
    // B's venue actor was fetched before (cached): A's venue can follow it while B is down.
    await followRemoteActor(fed, a.data, venueA.admin, {
      localActor: venueA.id,
      remoteActorUrl: `${b.url}/ap/actors/${venueB.id}`,
    });
    const row = () =>
      a.db.selectFrom('federation_outbox').selectAll().where('sender', '=', venueA.id).executeTakeFirstOrThrow();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      await until(`attempt ${attempt} due`, async () => (await row()).next_attempt_at.getTime() <= Date.now());
      const before = Date.now();
      assert.equal(await deliverOutbox(a.db, a.config), 0);
      const r = await row();
      assert.equal(r.state, 'pending');
      assert.equal(r.attempts, attempt);
      assert.match(String(r.last_error), /ECONNREFUSED|fetch failed/);
      delays.push(r.next_attempt_at.getTime() - before);
    }
    assert.ok(delays[1]! > delays[0]! && delays[2]! > delays[1]!, `growing delays: ${delays.join(', ')}`);

    await new Promise<void>((resolve) => b.app.server.listen(b.port, '127.0.0.1', () => resolve()));
    await until('the delivery', async () => {
      await deliverOutbox(a.db, a.config);
      return (await row()).state === 'sent';
    });
    const follower = await b.db
      .selectFrom('federation_followers')
      .select('state')
      .where('remote_actor', '=', `${a.url}/ap/actors/${venueA.id}`)
      .executeTakeFirst();
    assert.equal(follower?.state, 'accepted');
  });
});
