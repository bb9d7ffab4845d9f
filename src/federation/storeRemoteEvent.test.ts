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
