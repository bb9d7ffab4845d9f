import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { findEvent } from '../agenda/index.ts';
import { findPlaceById } from '../places/index.ts';
import { eventSelling, eventWithDates } from '../ticketing/testFixtures.ts';
import { answerJoin, leaveEvent } from './join.ts';
import { objectsOf, publishChanges } from './publishChanges.ts';
import { eventObjectUrl } from './urls.ts';

/** Join and Leave of our Event objects (docs/FEDERATION.md, "What is accepted from whom"). */
let t: TestNode;
before(async () => {
  t = await createTestNode();
});
after(async () => t.close());

const joiner = (name: string) => ({
  id: `https://fedi.example/users/${name}`,
  type: 'Person',
  inbox: `https://fedi.example/users/${name}/inbox`,
  sharedInbox: 'https://fedi.example/inbox',
  handle: name,
  name,
});
let n = 0;
const join = (dateId: string, who: string, activityId = `https://fedi.example/activities/${++n}`) =>
  answerJoin(t, { activityId, objectId: eventObjectUrl(t.config.baseUrl, dateId), joiner: joiner(who) });
const joined = async (dateId: string) =>
  (await t.db.selectFrom('federation_joins').select('remote_actor').where('object_id', '=', dateId).execute()).map(
    (r) => r.remote_actor,
  );
const answers = async (to: string) =>
  (
    await t.db
      .selectFrom('federation_outbox')
      .select('body')
      .where('inbox', '=', joiner(to).inbox)
      .orderBy('id')
      .execute()
  ).map((r) => r.body as { type: string; actor: string; object: { id: string; type: string; object: string } });

/** A published free event (no tickets, no price) with `capacity` places, sent once so its object exists. */
async function freeEvent(slug: string, capacity: number | null) {
  const ev = await eventWithDates(t.db, { slug, capacity });
  await publishChanges(t.db, t.config);
  return ev;
}

describe('Join of a free date', () => {
  test('accepted and counted once; the same activity again does nothing; Leave and Undo(Join) uncount', async () => {
    const ev = await freeEvent('kabar-libre', 10);
    const dateId = ev.dateIds[0]!;
    assert.equal(await join(dateId, 'ana', 'https://fedi.example/activities/ana-1'), 'accepted');
    assert.equal(await join(dateId, 'ana', 'https://fedi.example/activities/ana-1'), 'seen');
    assert.equal(await join(dateId, 'ana'), 'accepted', 'joining again under another id: answered, not counted twice');
    assert.deepEqual(await joined(dateId), [joiner('ana').id]);
    const sent = await answers('ana');
    assert.deepEqual(
      sent.map((a) => a.type),
      ['Accept', 'Accept'],
    );
    assert.equal(sent[0]!.actor, `${t.config.baseUrl}/ap/actors/${ev.place.id}`);
    assert.deepEqual(
      [sent[0]!.object.id, sent[0]!.object.type, sent[0]!.object.object],
      ['https://fedi.example/activities/ana-1', 'Join', eventObjectUrl(t.config.baseUrl, dateId)],
    );

    assert.equal(await join(dateId, 'ben', 'https://fedi.example/activities/ben-1'), 'accepted');
    const event = (await findEvent(t.db, ev.eventId))!;
    const venue = (await findPlaceById(t.db, ev.place.id))!;
    const object = (await objectsOf(t.db, t.config, event, venue)).get(dateId)!;
    assert.equal(object.participantCount, 2, 'participantCount includes those who joined');
    assert.equal(object.remainingAttendeeCapacity, 8);

    const leave = { activityId: 'https://fedi.example/activities/ana-leave', actor: joiner('ana').id };
    assert.equal(
      await leaveEvent(t.db, { ...leave, objectId: eventObjectUrl(t.config.baseUrl, dateId), base: t.config.baseUrl }),
      true,
    );
    assert.equal(await leaveEvent(t.db, { ...leave, objectId: 'x', base: t.config.baseUrl }), false, 'applied once');
    const undo = (id: string, who: string) =>
      leaveEvent(t.db, {
        activityId: `https://fedi.example/activities/${id}`,
        actor: joiner(who).id,
        joinActivityId: 'https://fedi.example/activities/ben-1',
      });
    assert.equal(await undo('ben-undo', 'ana'), false, 'only the joiner undoes its Join');
    assert.equal(await undo('ben-undo-2', 'ben'), true);
    assert.deepEqual(await joined(dateId), []);
  });

  test('a full free date is Rejected', async () => {
    const ev = await freeEvent('kabar-petit', 1);
    const dateId = ev.dateIds[0]!;
    assert.equal(await join(dateId, 'cali'), 'accepted');
    assert.equal(await join(dateId, 'dede'), 'rejected');
    assert.deepEqual(await joined(dateId), [joiner('cali').id]);
    assert.deepEqual(
      (await answers('dede')).map((a) => a.type),
      ['Reject'],
    );
  });

  test('two Joins for the last place at once: one Accept, one Reject', async () => {
    const ev = await freeEvent('kabar-dernier', 1);
    const dateId = ev.dateIds[0]!;
    const results = await Promise.all([join(dateId, 'eli'), join(dateId, 'fanm')]);
    assert.deepEqual([...results].sort(), ['accepted', 'rejected']);
    assert.equal((await joined(dateId)).length, 1);
  });

  test('a date without capacity takes everyone', async () => {
    const ev = await freeEvent('kabar-ouvert', null);
    for (const who of ['g1', 'g2', 'g3']) assert.equal(await join(ev.dateIds[0]!, who), 'accepted');
    assert.equal((await joined(ev.dateIds[0]!)).length, 3);
  });
});

describe('Join of anything else', () => {
  test('a date selling tickets is Rejected (its ticket page is the way), nobody counted', async () => {
    const ev = await eventSelling(t.db, { slug: 'kabar-payant' }, { name: 'Plein', kind: 'fixed', price: '12' });
    await publishChanges(t.db, t.config);
    assert.equal(await join(ev.dateIds[0]!, 'hoareau'), 'rejected');
    assert.deepEqual(await joined(ev.dateIds[0]!), []);
    assert.deepEqual(
      (await answers('hoareau')).map((a) => a.type),
      ['Reject'],
    );
  });

  test('a free event with a price given (no tickets here) is Rejected too', async () => {
    const ev = await freeEvent('kabar-prix', 10);
    await t.db.updateTable('events').set({ price_from_cents: 800 }).where('id', '=', ev.eventId).execute();
    assert.equal(await join(ev.dateIds[0]!, 'irma'), 'rejected');
  });

  test('an object that is not one of our published dates is ignored and nothing is written', async () => {
    const seenBefore = await t.db.selectFrom('federation_inbox_seen').select('activity_id').execute();
    const draft = await eventWithDates(t.db, { slug: 'kabar-brouillon', state: 'draft' });
    await publishChanges(t.db, t.config);
    const id = 'https://fedi.example/activities/nowhere';
    assert.equal(await join(draft.dateIds[0]!, 'jo', id), 'ignored');
    const other = await answerJoin(t, {
      activityId: id,
      objectId: 'https://elsewhere.example/ap/events/1',
      joiner: joiner('jo'),
    });
    assert.equal(other, 'ignored');
    assert.deepEqual(await answers('jo'), []);
    const seenAfter = await t.db.selectFrom('federation_inbox_seen').select('activity_id').execute();
    assert.equal(seenAfter.length, seenBefore.length);
  });
});
