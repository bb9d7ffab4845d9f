import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signRequest } from '@fedify/fedify';
import { venue } from '../agenda/testFixtures.ts';
import type { Client } from '../../test/harness.ts';
import { actorKeyPairs } from './actorKeys.ts';
import { deliverOutbox } from './outbox.ts';
import { startNode, until, type Running } from './testFixtures.ts';

/**
 * Two nodes on 127.0.0.1 followed through the admin pages (docs/FEDERATION.md, "Built in session 7:
 * admin pages and moderation"): A's venue admin follows B's venue by handle through A's pages (find,
 * confirm), B accepts, A's list says accepted; unfollow reaches B; B's operator blocks A's host and
 * A's next activity is answered 403, nothing stored.
 */
let a: Running;
let b: Running;
let venueA: Awaited<ReturnType<typeof venue>>;
let venueB: Awaited<ReturnType<typeof venue>>;
let adminA: Client;
before(async () => {
  [a, b] = await Promise.all([startNode(), startNode()]);
  venueA = await venue(a.db, 'kabaret-a');
  venueB = await venue(b.db, 'la-raffinerie');
  adminA = await a.loginAs('admin-kabaret-a@example.org');
  // Each venue's keys made now (seconds of RSA on a busy machine), not during the first WebFinger.
  await Promise.all([actorKeyPairs(a.db, venueA.id), actorKeyPairs(b.db, venueB.id)]);
});
after(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const followsOfA = () => a.db.selectFrom('federation_follows').selectAll().execute();
const PAGE = '/venues/kabaret-a/admin/federation';

describe('following between two nodes from the admin pages', () => {
  test("A's venue admin finds B's venue by handle, confirms, and B accepts", async () => {
    const handle = `@la-raffinerie@127.0.0.1:${b.port}`;
    assert.equal((await adminA.get(PAGE)).statusCode, 200);
    const found = await adminA.postForm(`${PAGE}/follow`, { address: handle, includeTags: 'Maloya, jazz' });
    assert.equal(found.statusCode, 200, found.body.slice(0, 500));
    assert.match(found.body, /Venue la-raffinerie/);
    assert.match(found.body, new RegExp(`127\\.0\\.0\\.1:${b.port}`));
    assert.match(found.body, /name="confirm" value="1"/);
    assert.equal((await followsOfA()).length, 0, 'finding writes nothing');

    const actorId = `${b.url}/ap/actors/${venueB.id}`;
    const confirm = { confirm: '1', address: actorId, includeTags: 'maloya, jazz', excludeTags: '' };
    const sent = await adminA.postForm(`${PAGE}/follow`, confirm);
    assert.equal(sent.statusCode, 303);
    assert.equal(sent.headers.location, `${PAGE}?notice=pending`);
    const [follow] = await followsOfA();
    assert.equal(follow?.local_actor, venueA.id);
    assert.deepEqual(follow?.include_tags, ['maloya', 'jazz']);

    // The page's kick sends the Follow; B (a venue) accepts at once and its kick sends the Accept.
    await until('the Accept', async () => (await followsOfA())[0]?.state === 'accepted');
    const list = await adminA.get(PAGE);
    assert.match(list.body, /badge-follow-accepted/);

    // Sent again (a double submit): no second Follow, one follow.
    const twice = await adminA.postForm(`${PAGE}/follow`, confirm);
    assert.equal(twice.headers.location, `${PAGE}?notice=accepted`);
    const follows = await a.db.selectFrom('federation_outbox').select('body').execute();
    assert.equal(follows.filter((r) => (r.body as { type: string }).type === 'Follow').length, 1);
    assert.equal((await followsOfA()).length, 1);
  });

  test('a bad handle or a host that does not answer: a message in the page, nothing written', async () => {
    const bad = await adminA.postForm(`${PAGE}/follow`, { address: 'not a handle', confirm: '1' });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /class="alert"/);
    assert.match(bad.body, /id="address-error"/);
    const down = await adminA.postForm(`${PAGE}/follow`, { address: '@nobody@127.0.0.1:9', confirm: '1' });
    assert.equal(down.statusCode, 422);
    assert.match(down.body, /@nobody@127\.0\.0\.1:9/);
    const unknown = await adminA.postForm(`${PAGE}/follow`, { address: `nobody@127.0.0.1:${b.port}`, confirm: '1' });
    assert.equal(unknown.statusCode, 422);
    assert.equal((await followsOfA()).length, 1);
  });

  test('only the venue admins see the page; only operators see the territory pages', async () => {
    await venue(a.db, 'other-venue');
    const other = await a.loginAs('admin-other-venue@example.org');
    assert.equal((await other.get(PAGE)).statusCode, 403);
    const refused = await other.postForm(`${PAGE}/follow`, { address: `@la-raffinerie@127.0.0.1:${b.port}` });
    assert.equal(refused.statusCode, 403);
    for (const url of ['/admin/federation', '/admin/federation/moderation', '/admin/federation/deliveries'])
      assert.equal((await adminA.get(url)).statusCode, 403, url);
  });

  test('unfollow sends Undo(Follow): B no longer lists A as a follower', async () => {
    const followersOfB = () => b.db.selectFrom('federation_followers').selectAll().execute();
    assert.equal((await followersOfB()).length, 1);
    const done = await adminA.postForm(`${PAGE}/unfollow`, { remoteActor: `${b.url}/ap/actors/${venueB.id}` });
    assert.equal(done.statusCode, 303);
    assert.equal((await followsOfA()).length, 0);
    await until('the Undo', async () => (await followersOfB()).length === 0);
  });

  test("B's operator blocks A's host: A's next activity is answered 403 and nothing is stored", async () => {
    await venue(b.db, 'b-operator-venue');
    await b.db
      .updateTable('people')
      .set({ is_operator: true })
      .where('email', '=', 'admin-b-operator-venue@example.org')
      .execute();
    const operatorB = await b.loginAs('admin-b-operator-venue@example.org');
    const bad = await operatorB.postForm('/admin/federation/blocks', { target: 'no host here' });
    assert.equal(bad.statusCode, 422);
    assert.equal((await b.db.selectFrom('federation_blocks').selectAll().execute()).length, 0);
    const blocked = await operatorB.postForm('/admin/federation/blocks', { target: `127.0.0.1:${a.port}` });
    assert.equal(blocked.statusCode, 303);
    assert.match((await operatorB.get('/admin/federation/moderation')).body, new RegExp(`127\\.0\\.0\\.1:${a.port}`));

    // A follows again through its page: B refuses the Follow with 403, A's outbox marks it failed.
    const seenBefore = (await b.db.selectFrom('federation_inbox_seen').selectAll().execute()).length;
    await adminA.postForm(`${PAGE}/follow`, { confirm: '1', address: `${b.url}/ap/actors/${venueB.id}` });
    await until('the refused Follow', async () => {
      const rows = await a.db.selectFrom('federation_outbox').selectAll().where('state', '=', 'failed').execute();
      return rows.some((r) => r.last_status === 403);
    });
    assert.equal((await b.db.selectFrom('federation_followers').selectAll().execute()).length, 0);
    assert.equal((await b.db.selectFrom('federation_inbox_seen').selectAll().execute()).length, seenBefore);

    // A signed POST straight to B's inbox: 403 as well.
    const keys = await actorKeyPairs(a.db, venueA.id);
    const signed = await signRequest(
      new Request(`${b.url}/ap/inbox`, {
        method: 'POST',
        headers: { 'content-type': 'application/activity+json' },
        body: JSON.stringify({
          id: `${a.url}/ap/activities/x`,
          type: 'Delete',
          actor: `${a.url}/ap/actors/${venueA.id}`,
        }),
      }),
      keys.rsa.privateKey,
      new URL(`${a.url}/ap/actors/${venueA.id}#main-key`),
    );
    assert.equal((await fetch(signed)).status, 403);

    // Unblocked: deliveries are accepted again.
    await operatorB.postForm('/admin/federation/unblock', { target: `127.0.0.1:${a.port}` });
    await a.db.deleteFrom('federation_follows').execute();
    await adminA.postForm(`${PAGE}/follow`, { confirm: '1', address: `${b.url}/ap/actors/${venueB.id}` });
    await deliverOutbox(a.db, a.config);
    await until('the Follow after unblocking', async () => (await followsOfA())[0]?.state === 'accepted');
  });
});
