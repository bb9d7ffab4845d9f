import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Db } from '../db/database.ts';
import { useTestDatabase } from '../../test/testDatabase.ts';
import { parseRemoteEvent, type RemoteEvent } from './parseRemoteEvent.ts';
import { remoteEventsFor } from './remoteEventsFor.ts';
import { storeRemoteEvent } from './storeRemoteEvent.ts';
import { followed } from './testFixtures.ts';

let db: Db;
const actor = 'https://gancio.test/federation/u/relay';

async function receive(id: number, startTime: string, tags: string[], endTime?: string): Promise<void> {
  const object = {
    type: 'Event',
    id: `https://gancio.test/federation/m/${id}`,
    name: `E${id}`,
    startTime,
    endTime,
    tag: tags.map((t) => ({ type: 'Hashtag', name: `#${t}` })),
  };
  const event = parseRemoteEvent(object) as RemoteEvent;
  await storeRemoteEvent(db, { activityId: `${actor}/a/${id}`, actor, object, event });
}

useTestDatabase(async (opened) => {
  db = opened.db;
  await followed(db, actor);
  await receive(1, '2026-12-10T20:00:00+01:00', ['cinema']);
  await receive(2, '2026-12-11T20:00:00+01:00', ['Concert', 'rock']);
  await receive(3, '2026-12-20T20:00:00+01:00', ['concert']);
  await receive(4, '2026-12-01T10:00:00+01:00', ['expo'], '2026-12-31T18:00:00+01:00');
});

const names = (events: { name: string }[]) => events.map((e) => e.name);
const window = { from: new Date('2026-12-10T00:00:00Z'), to: new Date('2026-12-12T00:00:00Z') };

describe('remoteEventsFor', () => {
  test('the events overlapping the window, by start, with their origin', async () => {
    const events = await remoteEventsFor(db, window);
    assert.deepEqual(names(events), ['E4', 'E1', 'E2']);
    assert.equal(events[0]!.originActor, actor);
  });

  test('tag include and exclude, case-insensitive', async () => {
    assert.deepEqual(names(await remoteEventsFor(db, { ...window, tagsInclude: ['concert', 'expo'] })), ['E4', 'E2']);
    assert.deepEqual(names(await remoteEventsFor(db, { ...window, tagsExclude: ['ROCK'] })), ['E4', 'E1']);
  });

  test('an event removed by an operator is not read', async () => {
    await db
      .updateTable('federation_remote_events')
      .set({ removed_by_operator: true })
      .where('id', '=', 'https://gancio.test/federation/m/1')
      .execute();
    assert.deepEqual(names(await remoteEventsFor(db, window)), ['E4', 'E2']);
  });
});
