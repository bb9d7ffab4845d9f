import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { cancelEvent } from '../agenda/cancelEvent.ts';
import { createEvent } from '../agenda/createEvent.ts';
import { publishEvent } from '../agenda/publishEvent.ts';
import { inDays, venue } from '../agenda/testFixtures.ts';
import { updateEvent } from '../agenda/updateEvent.ts';
import { eventAsInput, eventsChangedSince, findEvent } from '../agenda/events.ts';
import { publishChanges } from './publishChanges.ts';

/** What the agenda's changes become (docs/FEDERATION.md, "Outgoing activities"), read from the outbox. */
let t: TestNode;
let place: Awaited<ReturnType<typeof venue>>;
before(async () => {
  t = await createTestNode();
  place = await venue(t.db, 'salle-federee');
  await t.db
    .insertInto('federation_remote_actors')
    .values({
      id: 'https://m.example/@relay',
      type: 'Application',
      inbox: 'https://m.example/@relay/inbox',
      shared_inbox: 'https://m.example/inbox',
      host: 'm.example',
    })
    .execute();
  await t.db
    .insertInto('federation_followers')
    .values({
      local_actor: place.id,
      remote_actor: 'https://m.example/@relay',
      state: 'accepted',
      follow_activity_id: 'https://m.example/f/1',
    })
    .execute();
});
after(async () => t.close());

type Activity = { type: string; object: Record<string, unknown> };
const sent = async (): Promise<Activity[]> =>
  (await t.db.selectFrom('federation_outbox').select('body').orderBy('id').execute()).map((r) => r.body as Activity);

describe('publishing the agenda', () => {
  test('draft: nothing; publish: Create; edit: Update; cancel: Update CANCELLED; private: Delete Tombstone (410)', async () => {
    const e = await createEvent(t.db, place.admin, {
      placeId: place.id,
      title: 'Kabar',
      dates: [{ startsAt: inDays(5) }],
    });
    assert.equal(await publishChanges(t.db, t.config), 0, 'a draft never leaves the node');
    await publishEvent(t.db, place.admin, { eventId: e.id });
    assert.equal(await publishChanges(t.db, t.config), 1);
    let activities = await sent();
    assert.deepEqual(
      activities.map((a) => a.type),
      ['Create'],
    );
    assert.equal(
      (await t.db.selectFrom('federation_outbox').select('inbox').executeTakeFirst())?.inbox,
      'https://m.example/inbox',
    );
    const objectId = String(activities[0]!.object.id);
    const served = await t.app.inject({ method: 'GET', url: new URL(objectId).pathname });
    assert.equal(served.statusCode, 200);
    assert.match(String(served.headers['content-type']), /application\/activity\+json/);

    const current = (await findEvent(t.db, e.id))!;
    await updateEvent(t.db, place.admin, {
      ...eventAsInput(current),
      title: 'Kabar au clair de lune',
      eventId: e.id,
    } as never);
    await cancelEvent(t.db, place.admin, { eventId: e.id });
    assert.equal(
      await publishChanges(t.db, t.config),
      1,
      'two changes read together: one Update with the latest state',
    );
    activities = await sent();
    const update = activities[1]!;
    assert.equal(update.type, 'Update');
    assert.equal(update.object.name, 'Kabar au clair de lune');
    assert.equal(update.object.status, 'CANCELLED');
    assert.equal(update.object.eventStatus, 'https://w3id.org/fep/8a8e/EventCancelled');

    await publishEvent(t.db, place.admin, { eventId: e.id });
    const again = (await findEvent(t.db, e.id))!;
    await updateEvent(t.db, place.admin, { ...eventAsInput(again), visibility: 'private', eventId: e.id } as never);
    await publishChanges(t.db, t.config);
    activities = await sent();
    const last = activities.at(-1)!;
    assert.equal(last.type, 'Delete');
    assert.deepEqual([last.object.type, last.object.formerType, last.object.id], ['Tombstone', 'Event', objectId]);
    const gone = await t.app.inject({ method: 'GET', url: new URL(objectId).pathname });
    assert.equal(gone.statusCode, 410);
    assert.equal((JSON.parse(gone.body) as { type: string }).type, 'Tombstone');
  });
});

describe('reading the changes', () => {
  test('more changes than one page are all read, each once, even at one same instant', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const e = await createEvent(t.db, place.admin, {
        placeId: place.id,
        title: `Soirée ${i}`,
        dates: [{ startsAt: inDays(9) }],
      });
      ids.push(e.id);
    }
    // One instant for all, in microseconds (what PostgreSQL keeps beyond a Date's milliseconds).
    await t.db
      .updateTable('events')
      .set({ updated_at: '2030-01-01T00:00:00.123456Z' })
      .where('id', 'in', ids)
      .execute();
    const seen: string[] = [];
    let since: { at: Date; afterId?: string } = { at: new Date('2029-12-31T00:00:00Z') };
    for (let page = 0; page < 10; page++) {
      const changed = await eventsChangedSince(t.db, since, 2);
      if (changed.length === 0) break;
      seen.push(...changed.map((c) => c.id));
      since = { at: changed.at(-1)!.updatedAt, afterId: changed.at(-1)!.id };
    }
    assert.deepEqual(seen, [...ids].sort());
  });
});
