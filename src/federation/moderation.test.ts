import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { personActor, SYSTEM } from '../access/actor.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { testConfig, type Config } from '../config.ts';
import { useTestDatabase } from '../../test/testDatabase.ts';
import { blockList, territoryFollowers, troubledDeliveries } from './adminLists.ts';
import { answerFollowRequest } from './answerFollowRequest.ts';
import { blockRemote } from './blockRemote.ts';
import { deliveryBlocked, isBlocked } from './blocks.ts';
import { fixture } from './fixtures/load.ts';
import { parseRemoteEvent, type RemoteEvent } from './parseRemoteEvent.ts';
import { queueActivity } from './outbox.ts';
import { upsertRemoteActor } from './remoteActors.ts';
import { remoteAgendaSource } from './remoteAgendaSource.ts';
import { removeEventByOperator } from './removeEventByOperator.ts';
import { retryDelivery } from './retryDelivery.ts';
import { storeRemoteEvent } from './storeRemoteEvent.ts';
import { followed } from './testFixtures.ts';
import { unblockRemote } from './unblockRemote.ts';

/**
 * The operators' federation tasks (docs/FEDERATION.md, "Built in session 7: admin pages and
 * moderation"): follow requests of the instance actor, blocks, removal of a received event, deliveries
 * retried. Each refused to anyone but an operator.
 */
let db: Db;
let config: Config;
let kicks = 0;
const data = () => ({ db, config, kick: () => void kicks++ });
const operator = personActor('00000000-0000-7000-8000-000000000001', true);
const someone = personActor('00000000-0000-7000-8000-000000000002', false);
const spam = 'https://spam.test/actors/loud';
const friend = 'https://friend.test/ap/actors/relay';

useTestDatabase(async (opened) => {
  db = opened.db;
  config = testConfig({ baseUrl: 'https://here.test' });
});

async function follower(id: string, state: 'pending' | 'accepted', localActor = 'relay') {
  await inTransaction(db, async (trx) => {
    await upsertRemoteActor(trx, {
      id,
      type: 'Application',
      inbox: `${id}/inbox`,
      sharedInbox: null,
      handle: null,
      name: '',
    });
    await trx
      .insertInto('federation_followers')
      .values({ local_actor: localActor, remote_actor: id, state, follow_activity_id: `${id}#follow-${localActor}` })
      .execute();
  });
}
const outboxOf = (inbox: string) =>
  db.selectFrom('federation_outbox').select(['body', 'state']).where('inbox', '=', inbox).execute();
const typesTo = async (inbox: string) => (await outboxOf(inbox)).map((r) => (r.body as { type: string }).type);

const object = fixture('mobilizon-create-event').object as Record<string, unknown>;
let n = 0;
async function receive(actor: string, changes: Record<string, unknown> = {}) {
  const { suffix = 1, ...rest } = changes;
  const changed = { ...object, id: `${new URL(actor).origin}/events/${String(suffix)}`, ...rest };
  const event = parseRemoteEvent(changed) as RemoteEvent;
  return storeRemoteEvent(db, { activityId: `${actor}/activities/${++n}`, actor, object: changed, event });
}

const answer = (follower: string, accept: boolean) => answerFollowRequest(data(), operator, { follower, accept });

describe('follow requests of the instance actor', () => {
  test('an operator accepts one (Accept queued) and refuses another (Reject queued, request deleted); twice does nothing', async () => {
    await follower('https://a.test/ap/actors/relay', 'pending');
    await follower('https://b.test/ap/actors/relay', 'pending');
    await assert.rejects(
      answerFollowRequest(data(), someone, { follower: 'https://a.test/ap/actors/relay', accept: true }),
      { code: 'forbidden' },
    );
    assert.equal((await territoryFollowers(db)).filter((f) => f.state === 'pending').length, 2);

    assert.equal(await answer('https://a.test/ap/actors/relay', true), 'accepted');
    assert.equal(await answer('https://a.test/ap/actors/relay', true), 'none');
    assert.deepEqual(await typesTo('https://a.test/ap/actors/relay/inbox'), ['Accept']);
    const accept = (await outboxOf('https://a.test/ap/actors/relay/inbox'))[0]!.body as Record<string, unknown>;
    assert.deepEqual(accept.object, {
      id: 'https://a.test/ap/actors/relay#follow-relay',
      type: 'Follow',
      actor: 'https://a.test/ap/actors/relay',
      object: 'https://here.test/ap/actors/relay',
    });

    assert.equal(await answer('https://b.test/ap/actors/relay', false), 'rejected');
    assert.equal(await answer('https://b.test/ap/actors/relay', false), 'none');
    assert.deepEqual(await typesTo('https://b.test/ap/actors/relay/inbox'), ['Reject']);
    assert.deepEqual(
      (await territoryFollowers(db)).map((f) => [f.remoteActor, f.state]),
      [['https://a.test/ap/actors/relay', 'accepted']],
    );
  });
});

describe('blocks', () => {
  test('blocking a host drops our follows of it (Undo queued), its events and its follows of us; then nothing comes or goes', async () => {
    await followed(db, spam);
    await follower(spam, 'accepted', 'relay');
    await followed(db, friend);
    assert.equal(await receive(spam), 'stored');
    assert.equal(await receive(friend, { suffix: 2 }), 'stored');

    await assert.rejects(blockRemote(data(), someone, { target: 'spam.test' }), { code: 'forbidden' });
    await assert.rejects(
      blockRemote(data(), operator, { target: 'not a host' }),
      (e: { fields: { field: string }[] }) => {
        assert.equal(e.fields[0]!.field, 'target');
        return true;
      },
    );
    assert.equal((await blockList(db)).length, 0);
    assert.equal(await isBlocked(db, spam), false);

    const done = await blockRemote(data(), operator, { target: 'https://SPAM.test/' });
    assert.deepEqual(done, { target: 'spam.test', kind: 'host', follows: 1, followers: 1, events: 1 });
    assert.deepEqual(await typesTo(`${spam}/inbox`), ['Undo']);
    const undo = (await outboxOf(`${spam}/inbox`))[0]!.body as { object: { id: string; type: string } };
    assert.deepEqual([undo.object.id, undo.object.type], [`${spam}#follow-relay`, 'Follow']);
    const events = await db.selectFrom('federation_remote_events').select('origin_actor').execute();
    assert.deepEqual(
      events.map((e) => e.origin_actor),
      [friend],
      "the other host's event stays",
    );
    assert.equal((await db.selectFrom('federation_follows').select('remote_actor').execute()).length, 1);
    assert.equal(
      (await db.selectFrom('federation_followers').selectAll().where('remote_actor', '=', spam).execute()).length,
      0,
    );

    // The inbox's and the outbox's checks.
    assert.equal(await isBlocked(db, `${spam}#main-key`), true);
    assert.equal(await isBlocked(db, 'https://spam.test/other'), true);
    assert.equal(await isBlocked(db, friend), false);
    assert.equal(await deliveryBlocked(db, { inbox: `${spam}/inbox`, body: { type: 'Create' } }), true);
    assert.equal(await deliveryBlocked(db, { inbox: `${spam}/inbox`, body: { type: 'Undo' } }), false);
    assert.equal(await receive(spam, { suffix: 3 }), 'not-followed');

    // Blocking again changes nothing; unblocking lets it through again.
    await blockRemote(data(), operator, { target: 'spam.test' });
    assert.equal((await blockList(db)).length, 1);
    await assert.rejects(unblockRemote(db, someone, { target: 'spam.test' }), { code: 'forbidden' });
    await unblockRemote(db, operator, { target: 'spam.test' });
    assert.equal(await isBlocked(db, spam), false);
  });

  test('blocking one actor: that actor only, its inbox refused, its host not', async () => {
    const loud = 'https://friend.test/ap/actors/loud';
    await followed(db, loud);
    const done = await blockRemote(data(), operator, { target: loud });
    assert.equal(done.kind, 'actor');
    assert.equal(await isBlocked(db, loud), true);
    assert.equal(await isBlocked(db, `${loud}/inbox`), true, 'its inbox (the outbox checks inboxes)');
    assert.equal(await isBlocked(db, friend), false);
    assert.equal(await isBlocked(db, 'https://friend.test/ap/inbox'), false, 'the shared inbox of its host');
    await unblockRemote(db, operator, { target: loud });
    assert.equal(await isBlocked(db, `${loud}/inbox`), false);
  });
});

describe('removing one received event', () => {
  test('removed by an operator: no longer listed, and a later Update of it changes nothing', async () => {
    const id = 'https://friend.test/events/2';
    // What the territory's agenda shows of the received events.
    const listed = async () =>
      (
        await remoteAgendaSource.list(db, {
          follower: 'relay',
          from: new Date('2026-01-01'),
          to: new Date('2028-01-01'),
          after: null,
          limit: 500,
        })
      ).some((e) => e.objectId === id);
    assert.ok(await listed());
    await assert.rejects(removeEventByOperator(db, someone, { eventId: id }), { code: 'forbidden' });
    assert.equal(await removeEventByOperator(db, operator, { eventId: id }), true);
    assert.equal(await removeEventByOperator(db, operator, { eventId: id }), false);
    assert.ok(!(await listed()));
    assert.equal(await receive(friend, { suffix: 2, name: 'Changed', updated: '2027-06-01T00:00:00Z' }), 'stored');
    const row = await db
      .selectFrom('federation_remote_events')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.removed_by_operator, true);
    assert.notEqual(row.parsed?.name, 'Changed');
  });
});

describe('deliveries in trouble', () => {
  test('failed and late deliveries are listed; an operator retries one now with a fresh count', async () => {
    await db.deleteFrom('federation_outbox').execute();
    const activity = (id: string) => ({
      id: `https://here.test/ap/activities/${id}`,
      type: 'Create',
      actor: 'https://here.test/ap/actors/relay',
    });
    for (const id of ['failed', 'late', 'young', 'sent'])
      await queueActivity(db, { sender: 'relay', inboxes: [`https://x.test/${id}`], activity: activity(id) });
    const set = (id: string, values: { state?: 'failed' | 'sent'; attempts: number }) =>
      db.updateTable('federation_outbox').set(values).where('inbox', '=', `https://x.test/${id}`).execute();
    await set('failed', { state: 'failed', attempts: 12 });
    await set('late', { attempts: 3 });
    await set('young', { attempts: 1 });
    await set('sent', { state: 'sent', attempts: 4 });
    const listed = await troubledDeliveries(db);
    assert.deepEqual(listed.map((r) => r.inbox).sort(), ['https://x.test/failed', 'https://x.test/late']);
    assert.equal(listed[0]!.type, 'Create');
    const failed = listed.find((r) => r.state === 'failed')!;

    await assert.rejects(retryDelivery(data(), someone, { id: failed.id }), { code: 'forbidden' });
    kicks = 0;
    assert.equal(await retryDelivery(data(), operator, { id: failed.id }), true);
    assert.equal(kicks, 1);
    assert.equal(await retryDelivery(data(), SYSTEM, { id: 'not-a-uuid' }), false);
    const row = await db
      .selectFrom('federation_outbox')
      .selectAll()
      .where('id', '=', failed.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual([row.state, row.attempts], ['pending', 0]);
    assert.ok(row.next_attempt_at.getTime() <= Date.now() + 1000);
    const sent = await db
      .selectFrom('federation_outbox')
      .select('id')
      .where('state', '=', 'sent')
      .executeTakeFirstOrThrow();
    assert.equal(await retryDelivery(data(), operator, { id: sent.id }), false);
  });
});
