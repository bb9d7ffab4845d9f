import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { acceptFollow } from './acceptFollow.ts';

/** The inbox's own guards (docs/FEDERATION.md, "What is accepted from whom", steps 1 and 3) and Follow rules. */
let t: TestNode;
before(async () => {
  t = await createTestNode({ federationInboxPerMinute: 4, federationAllow: ['friend.example'] });
});
after(async () => t.close());

const ap = { 'content-type': 'application/activity+json' };
const post = (payload: string, headers: Record<string, string> = ap) =>
  t.app.inject({ method: 'POST', url: '/ap/inbox', headers, payload });

describe('inbox', () => {
  test('an unsigned activity is refused (401) and one over 512 KiB is not read (413); nothing stored', async () => {
    const body = JSON.stringify({
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: 'https://x.example/1',
      type: 'Follow',
      actor: 'https://x.example/a',
      object: 'http://rezo.test/ap/actors/relay',
    });
    assert.equal((await post(body, { ...ap, signature: 'keyId="https://x.example/a#k"' })).statusCode, 401);
    const big = JSON.stringify({ type: 'Create', padding: 'x'.repeat(600 * 1024) });
    assert.equal((await post(big, { ...ap, signature: 'keyId="https://big.example/a#k"' })).statusCode, 413);
    assert.deepEqual(await t.db.selectFrom('federation_inbox_seen').selectAll().execute(), []);
  });

  test('another content type is not handed to Fedify', async () => {
    const r = await post('{}', { 'content-type': 'application/json', signature: 'keyId="https://y.example/a#k"' });
    assert.equal(r.statusCode, 415);
  });

  test('a remote host over its rate is answered 429 with Retry-After', async () => {
    const headers = { ...ap, signature: 'keyId="https://busy.example/actor#main-key"' };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post('{}', headers)).statusCode);
    // Malformed (400) but counted: the limit applies before anything is parsed.
    assert.deepEqual(statuses, [400, 400, 400, 400, 429]);
    const refused = await post('{}', headers);
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    // Another host is counted apart.
    assert.equal((await post('{}', { ...ap, signature: 'keyId="https://calm.example/a#k"' })).statusCode, 400);
  });
});

describe('follows of local actors', () => {
  const follower = (host: string) => ({
    id: `https://${host}/users/relay`,
    type: 'Application',
    inbox: `https://${host}/users/relay/inbox`,
    sharedInbox: `https://${host}/inbox`,
    handle: 'relay',
    name: host,
  });
  const data = () => ({ db: t.db, config: t.config });

  test("a venue's follower is accepted and an Accept queued to its inbox, once per activity", async () => {
    const place = '01900000-0000-7000-8000-000000000001';
    const input = { activityId: 'https://m.example/follows/1', localActor: place, follower: follower('m.example') };
    assert.equal(await acceptFollow(data(), input), true);
    assert.equal(await acceptFollow(data(), input), false, 'the same Follow again does nothing');
    const accepts = await t.db.selectFrom('federation_outbox').selectAll().where('sender', '=', place).execute();
    assert.equal(accepts.length, 1);
    assert.equal(accepts[0]!.inbox, 'https://m.example/users/relay/inbox');
    const body = accepts[0]!.body as { type: string; object: { id: string } };
    assert.equal(body.type, 'Accept');
    assert.equal(body.object.id, 'https://m.example/follows/1');
  });

  test("the instance actor's follower waits for an operator unless its host is on the allow-list", async () => {
    const stranger = { activityId: 'https://s.example/f/1', localActor: 'relay', follower: follower('s.example') };
    assert.equal(await acceptFollow(data(), stranger), false);
    const friend = {
      activityId: 'https://friend.example/f/1',
      localActor: 'relay',
      follower: follower('friend.example'),
    };
    assert.equal(await acceptFollow(data(), friend), true);
    const rows = await t.db
      .selectFrom('federation_followers')
      .select(['remote_actor', 'state'])
      .where('local_actor', '=', 'relay')
      .orderBy('remote_actor')
      .execute();
    assert.deepEqual(rows, [
      { remote_actor: 'https://friend.example/users/relay', state: 'accepted' },
      { remote_actor: 'https://s.example/users/relay', state: 'pending' },
    ]);
    const sent = await t.db.selectFrom('federation_outbox').select('inbox').where('sender', '=', 'relay').execute();
    assert.deepEqual(sent, [{ inbox: 'https://friend.example/users/relay/inbox' }]);
  });
});
