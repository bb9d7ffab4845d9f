import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Db } from '../db/database.ts';
import { useTestDatabase } from '../../test/testDatabase.ts';
import { fixture } from './fixtures/load.ts';
import { isSkip, parseRemoteEvent, type RemoteEvent } from './parseRemoteEvent.ts';
import { storeRemoteEvent } from './storeRemoteEvent.ts';
import { followed } from './testFixtures.ts';

/** A received event stored raw with its parsed fields; Updates applied in order (docs/FEDERATION.md, step 7). */
let db: Db;
const actor = 'https://mobilizon.test/@kabar_collectif';

useTestDatabase(async (opened) => {
  db = opened.db;
  await followed(db, actor);
});

const object = fixture('mobilizon-create-event').object as Record<string, unknown>;
let n = 0;
async function receive(changes: Record<string, unknown>): Promise<string> {
  const changed = { ...object, ...changes };
  const event = parseRemoteEvent(changed) as RemoteEvent;
  assert.ok(!isSkip(event));
  return storeRemoteEvent(db, { activityId: `${actor}/activities/${++n}`, actor, object: changed, event });
}
const stored = async () => {
  const row = await db
    .selectFrom('federation_remote_events')
    .select(['parsed', 'starts_at', 'ends_at', 'tags', 'sequence', 'raw'])
    .where('id', '=', object.id as string)
    .executeTakeFirstOrThrow();
  assert.ok(row.parsed);
  return { ...row, parsed: row.parsed };
};

describe('storeRemoteEvent', () => {
  test('the parsed fields are stored beside the raw JSON', async () => {
    assert.equal(await receive({}), 'stored');
    const row = await stored();
    assert.equal(row.parsed.name, "Kabar maloya au bord de l'eau");
    assert.equal(row.parsed.ticketUrl, 'https://billetterie.test/kabar-maloya');
    assert.equal(row.starts_at?.toISOString(), '2026-12-12T14:30:00.000Z');
    assert.equal(row.ends_at?.toISOString(), '2026-12-12T19:00:00.000Z');
    assert.deepEqual(row.tags, ['maloya', 'concert']);
    assert.equal(row.raw.startTime, '2026-12-12T18:30:00+04:00', 'the raw JSON keeps the offset');
  });

  test('a newer Update replaces; an older one, or the same `updated` without a greater sequence, does not', async () => {
    await receive({ name: 'Version 3', updated: '2026-11-22T10:00:00Z', status: 'CANCELLED' });
    await receive({ name: 'Version 2 (late)', updated: '2026-11-21T10:00:00Z' });
    let row = await stored();
    assert.equal(row.parsed.name, 'Version 3');
    assert.equal(row.parsed.status, 'cancelled');
    await receive({ name: 'Same time, seq 4', updated: '2026-11-22T10:00:00Z', sequence: 4 });
    await receive({ name: 'Same time, seq 3', updated: '2026-11-22T10:00:00Z', sequence: 3 });
    await receive({ name: 'Same time, no seq', updated: '2026-11-22T10:00:00Z' });
    row = await stored();
    assert.equal(row.parsed.name, 'Same time, seq 4');
    assert.equal(row.sequence, 4);
  });

  test('availability: from each newer Update, unless a poll of the origin stored a more recent one', async () => {
    const origin = new URL(object.id as string).origin;
    const availability = async () =>
      db
        .selectFrom('federation_remote_events')
        .select(['remaining', 'availability', 'availability_as_of', 'availability_url', 'parsed'])
        .where('id', '=', object.id as string)
        .executeTakeFirstOrThrow();
    await receive({
      updated: '2026-11-23T10:00:00Z',
      remainingAttendeeCapacity: 40,
      liveAvailability: `${origin}/ap/events/x/availability`,
    });
    let row = await availability();
    assert.equal(row.remaining, 40);
    assert.equal(row.availability_as_of?.toISOString(), '2026-11-23T10:00:00.000Z');
    assert.equal(row.availability_url, `${origin}/ap/events/x/availability`);
    // An endpoint on another origin is not kept (nobody is polled on someone else's word).
    await receive({
      updated: '2026-11-23T11:00:00Z',
      remainingAttendeeCapacity: 30,
      liveAvailability: 'https://elsewhere.test/ap/events/x/availability',
    });
    row = await availability();
    assert.equal(row.remaining, 30);
    assert.equal(row.availability_url, null);
    // A poll at 12:00 said sold out; an Update built at 11:30 arrives later: its fields apply, its numbers not.
    await db
      .updateTable('federation_remote_events')
      .set({ remaining: 0, availability: 'sold_out', availability_as_of: new Date('2026-11-23T12:00:00Z') })
      .execute();
    await receive({ name: 'Renamed', updated: '2026-11-23T11:30:00Z', remainingAttendeeCapacity: 25 });
    row = await availability();
    assert.equal(row.parsed?.name, 'Renamed');
    assert.deepEqual(
      [row.remaining, row.availability, row.parsed?.remainingCapacity, row.parsed?.availability],
      [0, 'sold_out', 0, 'sold_out'],
    );
    assert.equal(row.availability_as_of?.toISOString(), '2026-11-23T12:00:00.000Z');
    // A newer one brings its own.
    await receive({ updated: '2026-11-23T12:30:00Z', remainingAttendeeCapacity: 5 });
    row = await availability();
    assert.deepEqual([row.remaining, row.parsed?.remainingCapacity], [5, 5]);
  });

  test('an actor nobody follows stores nothing', async () => {
    const other = 'https://elsewhere.test/@x';
    const event = parseRemoteEvent({ ...object, id: 'https://elsewhere.test/events/1' }) as RemoteEvent;
    const result = await storeRemoteEvent(db, { activityId: `${other}/a/1`, actor: other, object, event });
    assert.equal(result, 'not-followed');
    const rows = await db.selectFrom('federation_remote_events').select('id').execute();
    assert.equal(rows.length, 1);
  });

  test('dates more than a year ago or more than three years ahead are refused, nothing written', async () => {
    const year = 365 * 86_400_000;
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();
    for (const [startTime, endTime] of [
      [at(-year - 86_400_000), undefined],
      [at(3 * year + 86_400_000), undefined],
      [at(86_400_000), at(3 * year + 86_400_000)],
    ]) {
      const changed = { ...object, id: `https://mobilizon.test/events/range-${++n}`, startTime, endTime };
      const event = parseRemoteEvent(changed) as RemoteEvent;
      assert.equal(
        await storeRemoteEvent(db, { activityId: `${actor}/activities/${++n}`, actor, object: changed, event }),
        'out-of-range',
      );
    }
    const inRange = { ...object, id: 'https://mobilizon.test/events/range-ok', startTime: at(-year + 86_400_000) };
    const event = parseRemoteEvent(inRange) as RemoteEvent;
    assert.equal(
      await storeRemoteEvent(db, { activityId: `${actor}/activities/${++n}`, actor, object: inRange, event }),
      'stored',
    );
    const rows = await db.selectFrom('federation_remote_events').select('id').where('id', 'like', '%range%').execute();
    assert.deepEqual(
      rows.map((r) => r.id),
      ['https://mobilizon.test/events/range-ok'],
    );
  });
});
