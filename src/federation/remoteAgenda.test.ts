import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEvent } from '../agenda/createEvent.ts';
import { listAgenda, type AgendaItem, type AgendaScope } from '../agenda/agendaQuery.ts';
import { publishEvent } from '../agenda/publishEvent.ts';
import { registerRemoteSource } from '../agenda/remoteSource.ts';
import { inDays, venue } from '../agenda/testFixtures.ts';
import type { Db } from '../db/database.ts';
import { useTestDatabase } from '../../test/testDatabase.ts';
import { parseRemoteEvent, type RemoteEvent } from './parseRemoteEvent.ts';
import { followed } from './testFixtures.ts';
import { remoteAgendaSource } from './remoteAgendaSource.ts';
import { cleanRemoteEvents } from './remoteEventsCleanup.ts';
import { storeRemoteEvent } from './storeRemoteEvent.ts';

/**
 * The agenda's union with received events (src/agenda/agendaQuery.ts through the source the federation
 * module gives, src/federation/remoteAgendaSource.ts), and the hourly clean-up of received events.
 */
let db: Db;
let place: Awaited<ReturnType<typeof venue>>;
const kabar = 'https://mobilizon.test/@kabar';
const gancio = 'https://gancio.test/federation/u/relay';

/** Day n from now at hh:mm UTC (the local events are at 16:00 UTC: 20:00 in Indian/Reunion). */
const at = (days: number, hhmm: string) => `${inDays(days).slice(0, 10)}T${hhmm}:00Z`;
let n = 0;
async function receive(actor: string, name: string, startTime: string, tags: string[], extra = {}): Promise<string> {
  const object = {
    type: 'Event',
    id: `${new URL(actor).origin}/events/${name.toLowerCase().replace(/\W+/g, '-')}`,
    name,
    startTime,
    tag: tags.map((t) => ({ type: 'Hashtag', name: `#${t}` })),
    ...extra,
  };
  const event = parseRemoteEvent(object) as RemoteEvent;
  assert.equal(await storeRemoteEvent(db, { activityId: `${actor}/a/${++n}`, actor, object, event }), 'stored');
  return object.id;
}

useTestDatabase(async (opened) => {
  db = opened.db;
  registerRemoteSource(remoteAgendaSource);
  place = await venue(db, 'kabaret');
  for (const [days, title] of [
    [2, 'Local 2'],
    [5, 'Local 5'],
    [8, 'Local 8'],
  ] as const) {
    const e = await createEvent(db, place.admin, {
      placeId: place.id,
      title,
      dates: [{ startsAt: inDays(days), timezone: 'Indian/Reunion' }],
    });
    await publishEvent(db, place.admin, { eventId: e.id });
  }
  // The venue follows Kabar's concerts but not its private ones; the territory (relay) follows Gancio.
  await followed(db, kabar, { include: ['concert'], exclude: ['prive'] }, place.id);
  await followed(db, gancio);
  await receive(kabar, 'Concert 3', at(3, '12:00'), ['concert'], {
    timezone: 'Europe/Paris',
    content: '<p>Hello<script>alert(1)</script></p>',
  });
  await receive(kabar, 'Cinema 4', at(4, '12:00'), ['cinema']);
  await receive(kabar, 'Concert prive 6', at(6, '12:00'), ['concert', 'prive']);
  await receive(kabar, 'Concert 7 annule', at(7, '12:00'), ['concert'], { status: 'CANCELLED' });
  const removed = await receive(kabar, 'Concert retire', at(6, '13:00'), ['concert']);
  await db
    .updateTable('federation_remote_events')
    .set({ removed_by_operator: true })
    .where('id', '=', removed)
    .execute();
  await receive(gancio, 'Gancio 1', at(1, '09:00'), ['expo']);
});

const venueScope = (): AgendaScope => ({ kind: 'venue', placeId: place.id, withFollowed: true });
const titles = (items: AgendaItem[]) => items.map((i) => i.title);
const remote = { withRemote: true, readerTimezone: 'Indian/Reunion' };

describe('the agenda with received events', () => {
  test("a venue's agenda: its events and the followed actor's matching ones by start, typed 'remote'", async () => {
    const { items, nextCursor } = await listAgenda(db, venueScope(), {}, { ...remote, limit: 50 });
    assert.deepEqual(titles(items), ['Local 2', 'Concert 3', 'Local 5', 'Concert 7 annule', 'Local 8']);
    assert.equal(nextCursor, null);
    const concert = items[1]!;
    assert.equal(concert.origin, 'remote');
    assert.equal(concert.remote?.originHost, 'mobilizon.test');
    assert.equal(concert.remote?.originName, 'mobilizon.test');
    assert.equal(concert.timezone, 'Europe/Paris', "the event's zone");
    assert.equal(concert.descriptionHtml, '<p>Hello</p>', 'the content sanitised');
    assert.equal(concert.dateId, concert.remote?.localId);
    assert.equal(items[3]!.state, 'cancelled');
    assert.equal(items[0]!.origin, 'own');
    assert.equal(items[0]!.remote, null);
  });

  test('only where asked: without withRemote, without followed events, for a tag page, free only', async () => {
    const local = ['Local 2', 'Local 5', 'Local 8'];
    assert.deepEqual(titles((await listAgenda(db, venueScope(), {}, { limit: 50 })).items), local);
    const own: AgendaScope = { kind: 'venue', placeId: place.id, withFollowed: false };
    assert.deepEqual(titles((await listAgenda(db, own, {}, { ...remote, limit: 50 })).items), local);
    const tag: AgendaScope = { kind: 'tag', tag: 'concert' };
    assert.deepEqual(titles((await listAgenda(db, tag, {}, { ...remote, limit: 50 })).items), []);
    const free = await listAgenda(db, venueScope(), { freeOnly: true }, { ...remote, limit: 50 });
    assert.deepEqual(titles(free.items), []);
  });

  test("filters apply to received events: a tag, a text, a window's end", async () => {
    const tagged = await listAgenda(db, venueScope(), { tags: ['concert'] }, { ...remote, limit: 50 });
    assert.deepEqual(titles(tagged.items), ['Concert 3', 'Concert 7 annule']);
    const text = await listAgenda(db, venueScope(), { text: 'annule' }, { ...remote, limit: 50 });
    assert.deepEqual(titles(text.items), ['Concert 7 annule']);
    const soon = await listAgenda(db, venueScope(), { to: new Date(at(4, '00:00')) }, { ...remote, limit: 50 });
    assert.deepEqual(titles(soon.items), ['Local 2', 'Concert 3']);
  });

  test("the territory's agenda: the instance actor's follows, not a venue's", async () => {
    const { items } = await listAgenda(db, { kind: 'territory' }, {}, { ...remote, limit: 50 });
    assert.deepEqual(titles(items), ['Gancio 1', 'Local 2', 'Local 5', 'Local 8']);
    assert.equal(items[0]!.timezone, 'Indian/Reunion', "no zone given: the reader's");
  });

  test('paging one item at a time walks local and received events once each, in order', async () => {
    const walked: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listAgenda>> = await listAgenda(
        db,
        venueScope(),
        {},
        {
          ...remote,
          limit: 1,
          cursor,
        },
      );
      walked.push(...titles(page.items));
      cursor = page.nextCursor;
    } while (cursor && walked.length < 20);
    assert.deepEqual(walked, ['Local 2', 'Concert 3', 'Local 5', 'Concert 7 annule', 'Local 8']);
    const two = await listAgenda(db, venueScope(), {}, { ...remote, limit: 2 });
    const next = await listAgenda(db, venueScope(), {}, { ...remote, limit: 2, cursor: two.nextCursor });
    assert.deepEqual(titles(next.items), ['Local 5', 'Concert 7 annule']);
  });

  test('find: one event by local id, null when removed by an operator or unknown', async () => {
    const { items } = await listAgenda(db, venueScope(), { tags: ['concert'] }, { ...remote, limit: 1 });
    const found = await remoteAgendaSource.find(db, items[0]!.dateId);
    assert.equal(found?.title, 'Concert 3');
    const removed = await db
      .selectFrom('federation_remote_events')
      .select('local_id')
      .where('removed_by_operator', '=', true)
      .executeTakeFirstOrThrow();
    assert.equal(await remoteAgendaSource.find(db, removed.local_id), null);
    assert.equal(await remoteAgendaSource.find(db, '00000000-0000-4000-8000-000000000000'), null);
  });
});

describe('cleanRemoteEvents', () => {
  test('rows stored before 0032 (parsed null) are parsed again; a non-event or out-of-range one is deleted', async () => {
    await db
      .insertInto('federation_remote_events')
      .values([
        {
          id: 'https://gancio.test/events/old',
          origin_actor: gancio,
          raw: JSON.stringify({
            type: 'Event',
            id: 'https://gancio.test/events/old',
            name: 'Old',
            startTime: at(9, '10:00'),
            tag: [{ type: 'Hashtag', name: 'expo' }],
          }),
        },
        { id: 'https://gancio.test/notes/1', origin_actor: gancio, raw: JSON.stringify({ type: 'Note', id: 'x' }) },
        {
          id: 'https://gancio.test/events/far',
          origin_actor: gancio,
          raw: JSON.stringify({
            type: 'Event',
            id: 'https://gancio.test/events/far',
            name: 'Far',
            startTime: '2099-01-01T00:00:00Z',
          }),
        },
      ])
      .execute();
    const result = await cleanRemoteEvents(db);
    assert.deepEqual(result, { unfollowed: 0, deleted: 2, reparsed: 1 });
    const row = await db
      .selectFrom('federation_remote_events')
      .select(['parsed', 'starts_at', 'tags'])
      .where('id', '=', 'https://gancio.test/events/old')
      .executeTakeFirstOrThrow();
    assert.equal(row.parsed?.name, 'Old');
    assert.equal(row.starts_at?.toISOString(), new Date(at(9, '10:00')).toISOString());
    assert.deepEqual(row.tags, ['expo']);
    const { items } = await listAgenda(db, { kind: 'territory' }, {}, { ...remote, limit: 50 });
    assert.ok(titles(items).includes('Old'));
  });

  test('unfollowed: marked at once, hidden at once, deleted 24 h later; a follow made again within the day keeps them', async () => {
    const kabarRows = () =>
      db
        .selectFrom('federation_remote_events')
        .select(['id', 'unfollowed_since'])
        .where('origin_actor', '=', kabar)
        .execute();
    const before = (await kabarRows()).length;
    await db.deleteFrom('federation_follows').where('remote_actor', '=', kabar).execute();
    assert.deepEqual(titles((await listAgenda(db, venueScope(), {}, { ...remote, limit: 50 })).items), [
      'Local 2',
      'Local 5',
      'Local 8',
    ]);
    assert.equal((await cleanRemoteEvents(db)).unfollowed, before);
    assert.ok((await kabarRows()).every((r) => r.unfollowed_since !== null));
    // Followed again: unmarked.
    await followed(db, kabar, { include: ['concert'], exclude: ['prive'] }, place.id);
    await cleanRemoteEvents(db);
    assert.ok((await kabarRows()).every((r) => r.unfollowed_since === null));
    // Unfollowed, 23 h then 25 h ago.
    await db.deleteFrom('federation_follows').where('remote_actor', '=', kabar).execute();
    await cleanRemoteEvents(db);
    const ago = (hours: number) => new Date(Date.now() - hours * 3_600_000);
    await db
      .updateTable('federation_remote_events')
      .set({ unfollowed_since: ago(23) })
      .where('origin_actor', '=', kabar)
      .execute();
    assert.equal((await cleanRemoteEvents(db)).deleted, 0);
    await db
      .updateTable('federation_remote_events')
      .set({ unfollowed_since: ago(25) })
      .where('origin_actor', '=', kabar)
      .execute();
    assert.equal((await cleanRemoteEvents(db)).deleted, before);
    assert.equal((await kabarRows()).length, 0);
    const gancioLeft = await db
      .selectFrom('federation_remote_events')
      .select('id')
      .where('origin_actor', '=', gancio)
      .execute();
    assert.equal(gancioLeft.length, 2, "the relay's follow keeps Gancio's events");
  });
});
