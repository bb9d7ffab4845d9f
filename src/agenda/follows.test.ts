import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useTestDatabase } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { followPlace } from './followPlace.ts';
import { followTag, MAX_TAG_FOLLOWS } from './followTag.ts';
import { unfollowPlace } from './unfollowPlace.ts';
import { unfollowTag } from './unfollowTag.ts';
import { personNamed, venue } from './testFixtures.ts';

let db: Db;
let a: Awaited<ReturnType<typeof venue>>;
let b: Awaited<ReturnType<typeof venue>>;
useTestDatabase(async (opened) => {
  db = opened.db;
  a = await venue(db, 'venue-a', { 'door@example.org': 'door' });
  b = await venue(db, 'venue-b');
});

const code = (c: string) => (e: unknown) => e instanceof DomainError && e.code === c;

describe('follows', () => {
  test('follow a venue with tag lists (normalised); following again replaces them; unfollow is idempotent', async () => {
    const f = await followPlace(db, a.admin, {
      placeId: a.id,
      followedPlaceId: b.id,
      includeTags: 'Maloya, Séga',
      excludeTags: ['jeune public'],
    });
    assert.deepEqual(f, { followedPlaceId: b.id, includeTags: ['maloya', 'sega'], excludeTags: ['jeune-public'] });
    await followPlace(db, a.admin, { placeId: a.id, followedPlaceId: b.id });
    const row = await db.selectFrom('place_follows').selectAll().where('place_id', '=', a.id).executeTakeFirstOrThrow();
    assert.deepEqual([row.include_tags, row.exclude_tags], [[], []]);
    assert.deepEqual(await unfollowPlace(db, a.admin, { placeId: a.id, followedPlaceId: b.id }), { removed: true });
    assert.deepEqual(await unfollowPlace(db, a.admin, { placeId: a.id, followedPlaceId: b.id }), { removed: false });
  });

  test('refused: itself, an unknown venue, a tag in both lists, a bad tag, door staff', async () => {
    await assert.rejects(followPlace(db, a.admin, { placeId: a.id, followedPlaceId: a.id }), code('validation'));
    await assert.rejects(
      followPlace(db, a.admin, { placeId: a.id, followedPlaceId: '0190a0a0-0000-7000-8000-000000000000' }),
      code('not-found'),
    );
    await assert.rejects(followPlace(db, a.admin, { placeId: a.id, followedPlaceId: 'nope' }), code('not-found'));
    await assert.rejects(
      followPlace(db, a.admin, { placeId: a.id, followedPlaceId: b.id, includeTags: ['x'], excludeTags: ['X'] }),
      code('validation'),
    );
    await assert.rejects(
      followPlace(db, a.admin, { placeId: a.id, followedPlaceId: b.id, includeTags: ['<b>'] }),
      code('validation'),
    );
    const door = await personNamed(db, 'door@example.org');
    await assert.rejects(followPlace(db, door, { placeId: a.id, followedPlaceId: b.id }), code('forbidden'));
    assert.equal(await db.selectFrom('place_follows').select('place_id').executeTakeFirst(), undefined);
  });

  test('follow tags: normalised, idempotent, bounded', async () => {
    assert.deepEqual(await followTag(db, a.admin, { placeId: a.id, tag: 'Jeune Public' }), { tag: 'jeune-public' });
    await followTag(db, a.admin, { placeId: a.id, tag: 'jeune-public' });
    assert.equal((await db.selectFrom('tag_follows').select('tag').where('place_id', '=', a.id).execute()).length, 1);
    await assert.rejects(followTag(db, a.admin, { placeId: a.id, tag: '!!' }), code('validation'));
    await assert.rejects(followTag(db, b.admin, { placeId: a.id, tag: 'x' }), code('forbidden'));
    for (let i = 1; i < MAX_TAG_FOLLOWS; i++) await followTag(db, a.admin, { placeId: a.id, tag: `t${i}` });
    await assert.rejects(followTag(db, a.admin, { placeId: a.id, tag: 'one-more' }), code('validation'));
    assert.deepEqual(await unfollowTag(db, a.admin, { placeId: a.id, tag: 'jeune-public' }), { removed: true });
    assert.deepEqual(await unfollowTag(db, a.admin, { placeId: a.id, tag: 'jeune-public' }), { removed: false });
  });
});
