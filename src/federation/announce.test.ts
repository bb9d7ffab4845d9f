import assert from 'node:assert/strict';
import { KeyObject } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { beforeEach, describe, test } from 'node:test';
import { eventWithDates } from '../ticketing/testFixtures.ts';
import { actorKeyPairs } from './actorKeys.ts';
import { fixture } from './fixtures/load.ts';
import { deliverOutbox } from './outbox.ts';
import { publishChanges } from './publishChanges.ts';
import { useNodeWithRemotes, type FakeRemote, type Running } from './testFixtures.ts';
import { eventObjectUrl } from './urls.ts';

/**
 * Through the real inbox over HTTP, from actors on a loopback server: an Announce of an Event fetched
 * from its origin with a GET signed by the node's instance actor (verified here with Joyent's
 * http-signature), and stored as from its origin actor; what is not trusted is not stored. A Join of a
 * free date answered Accept in the joiner's inbox. Fedify's own fetches of the senders' keys are
 * signed too (documentLoader.ts).
 */
type Verifier = {
  parseRequest(request: unknown, options?: unknown): { keyId: string };
  verifySignature(parsed: unknown, pem: string): boolean;
};
const httpSignature = createRequire(import.meta.url)('http-signature') as Verifier;

const world = useNodeWithRemotes({
  relay: { path: '/relay', type: 'Application', name: 'Mobilizon relay', followed: true },
  stranger: { path: '/users/zot', type: 'Person', name: 'Zot' },
});
let node: Running;
let relay: FakeRemote;
let stranger: FakeRemote;
beforeEach(() => {
  ({ node } = world);
  ({ relay, stranger } = world.remotes);
});

let n = 0;
const announce = (from: FakeRemote, objectId: string) =>
  from.deliver(
    `${node.url}/ap/inbox`,
    JSON.stringify({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${from.actor}/announces/${++n}`,
      type: 'Announce',
      actor: from.actor,
      object: objectId,
      to: ['https://www.w3.org/ns/activitystreams#Public'],
    }),
  );
const eventAt = (path: string, changes: Record<string, unknown> = {}) => {
  const object = JSON.parse(
    JSON.stringify(fixture('mobilizon-create-event').object).replaceAll('https://mobilizon.test', relay.origin),
  ) as Record<string, unknown>;
  const shaped = { ...object, id: `${relay.origin}${path}`, ...changes };
  relay.documents.set(path, shaped);
  return shaped.id as string;
};
const stored = () => node.db.selectFrom('federation_remote_events').select(['id', 'origin_actor']).execute();

/** The GET the node made for `path` is signed by its instance actor's key, and verifies. */
async function assertSignedByRelay(request: IncomingMessage | undefined) {
  assert.ok(request, 'fetched');
  const parsed = httpSignature.parseRequest(request, { headers: ['(request-target)', 'host', 'date'] });
  assert.equal(parsed.keyId, `${node.url}/ap/actors/relay#main-key`);
  const keys = await actorKeyPairs(node.db, 'relay');
  const pem = KeyObject.from(keys.rsa.publicKey).export({ type: 'spki', format: 'pem' }).toString();
  assert.equal(httpSignature.verifySignature(parsed, pem), true);
}

describe('Announce', () => {
  test('of an Event by a followed actor: fetched with a signed GET from its origin, stored as from its origin actor', async () => {
    const id = eventAt('/events/kabar');
    assert.equal(await announce(relay, id), 202);
    assert.deepEqual(await stored(), [{ id, origin_actor: `${relay.origin}/@kabar_collectif` }]);
    await assertSignedByRelay(relay.gets.find((g) => g.url === '/events/kabar'));
    // Fedify fetched the relay's key to check the Announce: signed too.
    await assertSignedByRelay(relay.gets.find((g) => g.url === '/relay'));
  });

  test('not stored: another origin in the fetched id, a non-public object, an origin actor elsewhere, a Note, an unfollowed announcer', async () => {
    const before = (await stored()).length;
    eventAt('/events/elsewhere', { id: 'http://other.example/events/1' });
    assert.equal(await announce(relay, `${relay.origin}/events/elsewhere`), 202);
    const secret = eventAt('/events/secret', { to: [], cc: [] });
    assert.equal(await announce(relay, secret), 202);
    const foreign = eventAt('/events/foreign', { attributedTo: 'http://other.example/@x', actor: undefined });
    assert.equal(await announce(relay, foreign), 202);
    relay.documents.set('/notes/1', { id: `${relay.origin}/notes/1`, type: 'Note', content: 'hi', to: ['Public'] });
    assert.equal(await announce(relay, `${relay.origin}/notes/1`), 202);
    const fetchedBefore = relay.gets.length;
    const unasked = eventAt('/events/unasked');
    assert.equal(await announce(stranger, unasked), 202);
    assert.equal(
      relay.gets.filter((g) => g.url === '/events/unasked').length,
      0,
      'nothing fetched for an unfollowed announcer',
    );
    assert.ok(relay.gets.length >= fetchedBefore);
    assert.equal((await stored()).length, before);
  });
});

describe('Join through the inbox', () => {
  test('a free date: 202, counted, and the Accept arrives in the joiner’s inbox', async () => {
    const ev = await eventWithDates(node.db, { slug: 'bal-libre', capacity: 5 });
    await publishChanges(node.db, node.config);
    const object = eventObjectUrl(node.url, ev.dateIds[0]!);
    const join = { '@context': 'https://www.w3.org/ns/activitystreams', type: 'Join', object };
    const body = JSON.stringify({ ...join, id: `${stranger.actor}/joins/1`, actor: stranger.actor });
    assert.equal(await stranger.deliver(`${node.url}/ap/inbox`, body), 202);
    const joins = await node.db.selectFrom('federation_joins').selectAll().execute();
    assert.deepEqual(
      joins.map((j) => j.remote_actor),
      [stranger.actor],
    );
    // The inbox's kick delivers it at once; a round here sends it if the kick has not yet.
    for (let i = 0; i < 50 && !stranger.received.some((r) => r.body.type === 'Accept'); i++) {
      await deliverOutbox(node.db, node.config);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const accept = stranger.received.find((r) => r.body.type === 'Accept');
    assert.ok(accept, 'the Accept was delivered');
    assert.equal(accept.path, '/users/zot/inbox');
    assert.equal((accept.body.object as { id: string }).id, `${stranger.actor}/joins/1`);

    const leave = { '@context': 'https://www.w3.org/ns/activitystreams', type: 'Leave', object };
    const left = JSON.stringify({ ...leave, id: `${stranger.actor}/leaves/1`, actor: stranger.actor });
    assert.equal(await stranger.deliver(`${node.url}/ap/inbox`, left), 202);
    assert.deepEqual(await node.db.selectFrom('federation_joins').selectAll().execute(), []);
  });
});
