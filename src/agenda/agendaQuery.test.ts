import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useTestDatabase } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import {
  countAgenda,
  decodeCursor,
  encodeCursor,
  listAgenda,
  listVenueEventsForAdmin,
  resolveRange,
  type AgendaScope,
} from './agendaQuery.ts';
import { cancelEvent } from './cancelEvent.ts';
import { createEvent } from './createEvent.ts';
import { followPlace } from './followPlace.ts';
import { followTag } from './followTag.ts';
import { publishEvent } from './publishEvent.ts';
import { venue } from './testFixtures.ts';

let db: Db;
type Venue = Awaited<ReturnType<typeof venue>>;
const v: Record<'V' | 'A' | 'B' | 'C', Venue> = {} as never;

interface Case {
  title: string;
  venue: keyof typeof v;
  tags?: string[];
  state?: 'draft' | 'published' | 'cancelled';
  visibility?: 'public' | 'unlisted' | 'private';
  /** Days from now of the start (negative: in the past). */
  day: number;
  /** Expected on V's agenda (with followed venues and tags), and with which origin; null: absent. */
  onV: 'own' | 'followed' | 'tag' | null;
}

// V follows A (no tag rule), B (include jazz, exclude jeune-public) and the tag maloya. C is not followed.
const CASES: Case[] = [
  { title: 'V public', venue: 'V', day: 1, onV: 'own' },
  { title: 'V private', venue: 'V', visibility: 'private', day: 1, onV: null },
  { title: 'V draft', venue: 'V', state: 'draft', day: 1, onV: null },
  { title: 'V unlisted', venue: 'V', visibility: 'unlisted', day: 1, onV: null },
  { title: 'V past', venue: 'V', day: -3, onV: null },
  { title: 'A plain', venue: 'A', day: 2, onV: 'followed' },
  { title: 'A private (veto)', venue: 'A', visibility: 'private', day: 2, onV: null },
  { title: 'A draft', venue: 'A', state: 'draft', day: 2, onV: null },
  { title: 'A unlisted', venue: 'A', visibility: 'unlisted', day: 2, onV: null },
  { title: 'A cancelled (shown, marked)', venue: 'A', state: 'cancelled', day: 2, onV: 'followed' },
  { title: 'A maloya (venue follow wins the origin)', venue: 'A', tags: ['maloya'], day: 2, onV: 'followed' },
  { title: 'B jazz (included)', venue: 'B', tags: ['jazz'], day: 3, onV: 'followed' },
  { title: 'B rock (not included)', venue: 'B', tags: ['rock'], day: 3, onV: null },
  { title: 'B untagged (not included)', venue: 'B', day: 3, onV: null },
  { title: 'B jazz jeune-public (excluded)', venue: 'B', tags: ['jazz', 'jeune-public'], day: 3, onV: null },
  { title: 'B maloya (tag follow)', venue: 'B', tags: ['maloya'], day: 3, onV: 'tag' },
  {
    title: 'B maloya jeune-public (exclusion beats tag follow)',
    venue: 'B',
    tags: ['maloya', 'jeune-public'],
    day: 3,
    onV: null,
  },
  { title: 'C maloya (tag follow)', venue: 'C', tags: ['maloya', 'sega'], day: 4, onV: 'tag' },
  { title: 'C rock (not followed)', venue: 'C', tags: ['rock'], day: 4, onV: null },
  { title: 'C maloya private (veto)', venue: 'C', tags: ['maloya'], visibility: 'private', day: 4, onV: null },
  { title: 'C maloya draft', venue: 'C', tags: ['maloya'], state: 'draft', day: 4, onV: null },
  { title: 'C maloya unlisted', venue: 'C', tags: ['maloya'], visibility: 'unlisted', day: 4, onV: null },
];
const listedEverywhere = (c: Case) =>
  c.day > 0 && (c.state ?? 'published') !== 'draft' && (c.visibility ?? 'public') === 'public';

const now = new Date();
const at = (day: number, hour = 16) =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + day, hour)).toISOString();

useTestDatabase(async (opened) => {
  db = opened.db;
  for (const k of ['V', 'A', 'B', 'C'] as const) v[k] = await venue(db, `venue-${k.toLowerCase()}`);
  await followPlace(db, v.V.admin, { placeId: v.V.id, followedPlaceId: v.A.id });
  await followPlace(db, v.V.admin, {
    placeId: v.V.id,
    followedPlaceId: v.B.id,
    includeTags: ['jazz'],
    excludeTags: ['jeune-public'],
  });
  await followTag(db, v.V.admin, { placeId: v.V.id, tag: 'maloya' });
  for (const [i, c] of CASES.entries()) {
    const place = v[c.venue];
    const e = await createEvent(db, place.admin, {
      placeId: place.id,
      title: c.title,
      tags: c.tags ?? [],
      visibility: c.visibility ?? 'public',
      dates: [{ startsAt: at(c.day, 10 + (i % 10)), endsAt: at(c.day, 11 + (i % 10)) }],
    });
    if ((c.state ?? 'published') !== 'draft') await publishEvent(db, place.admin, { eventId: e.id });
    if (c.state === 'cancelled') await cancelEvent(db, place.admin, { eventId: e.id });
  }
});

async function all(scope: AgendaScope, filters = {}) {
  const items = [];
  let cursor: string | null = null;
  do {
    const page = await listAgenda(db, scope, filters, { limit: 4, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

describe('federation rules (table of cases)', () => {
  for (const c of CASES) {
    test(`${c.title}: on V's agenda → ${c.onV ?? 'absent'}; on the territory agenda → ${listedEverywhere(c) ? 'listed' : 'absent'}`, async () => {
      const onV = (await all({ kind: 'venue', placeId: v.V.id, withFollowed: true })).filter(
        (i) => i.title === c.title,
      );
      if (c.onV) {
        assert.equal(onV.length, 1);
        assert.equal(onV[0]!.origin, c.onV);
        assert.equal(onV[0]!.place.slug, v[c.venue].slug, 'marked with its origin venue');
      } else assert.equal(onV.length, 0);
      const territory = (await all({ kind: 'territory' })).filter((i) => i.title === c.title);
      assert.equal(territory.length, listedEverywhere(c) ? 1 : 0);
      for (const tag of c.tags ?? []) {
        const byTag = (await all({ kind: 'tag', tag })).filter((i) => i.title === c.title);
        assert.equal(byTag.length, listedEverywhere(c) ? 1 : 0, `tag ${tag}`);
      }
    });
  }

  test('a venue agenda without followed venues is only its own listed events', async () => {
    const own = await all({ kind: 'venue', placeId: v.V.id, withFollowed: false });
    assert.deepEqual(
      own.map((i) => i.title),
      ['V public'],
    );
  });

  test('counts follow the same rules as the lists', async () => {
    for (const scope of [
      { kind: 'territory' },
      { kind: 'venue', placeId: v.V.id, withFollowed: true },
      { kind: 'tag', tag: 'maloya' },
    ] as AgendaScope[]) {
      assert.equal(await countAgenda(db, scope, {}), (await all(scope)).length, scope.kind);
    }
    assert.equal(await countAgenda(db, { kind: 'territory' }, {}), CASES.filter(listedEverywhere).length);
  });

  test('the venue admin list shows everything of the venue, drafts and private included', async () => {
    const rows = await listVenueEventsForAdmin(db, v.V.id);
    assert.deepEqual(
      rows.map((r) => r.title).sort(),
      CASES.filter((c) => c.venue === 'V')
        .map((c) => c.title)
        .sort(),
    );
  });
});

describe('filters and pagination', () => {
  test('keyset pages: every listed date once, in (start, id) order, whatever the page size', async () => {
    const one = await listAgenda(db, { kind: 'territory' }, {}, { limit: 200 });
    assert.equal(one.nextCursor, null);
    for (const size of [1, 2, 5]) {
      const seen = [];
      let cursor: string | null = null;
      do {
        const page = await listAgenda(db, { kind: 'territory' }, {}, { limit: size, cursor });
        assert.ok(page.items.length <= size);
        seen.push(...page.items.map((i) => i.dateId));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(
        seen,
        one.items.map((i) => i.dateId),
      );
    }
    const sorted = [...one.items].sort(
      (a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.dateId.localeCompare(b.dateId),
    );
    assert.deepEqual(
      one.items.map((i) => i.dateId),
      sorted.map((i) => i.dateId),
    );
  });

  test('a cursor is opaque base64url and a forged one is a 422 validation error', async () => {
    const c = encodeCursor({
      startsAt: new Date('2026-01-01T00:00:00Z'),
      dateId: '0190a0a0-0000-7000-8000-000000000000',
    });
    assert.match(c, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeCursor(c).dateId, '0190a0a0-0000-7000-8000-000000000000');
    for (const bad of [
      '!!',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('["x","y"]').toString('base64url'),
      'a'.repeat(300),
    ]) {
      await assert.rejects(
        listAgenda(db, { kind: 'territory' }, {}, { cursor: bad }),
        (e: unknown) => e instanceof DomainError && e.fields[0]?.field === 'cursor',
      );
    }
  });

  test('tag, venue, free text (French and English stems), free only, date range', async () => {
    const titles = async (filters: object) => (await all({ kind: 'territory' }, filters)).map((i) => i.title).sort();
    assert.deepEqual(await titles({ tag: 'Séga' }), ['C maloya (tag follow)']);
    assert.deepEqual(await titles({ placeIds: [v.C.id] }), ['C maloya (tag follow)', 'C rock (not followed)']);
    assert.deepEqual(await titles({ text: 'exclusions' }), ['B maloya jeune-public (exclusion beats tag follow)']);
    assert.deepEqual(await titles({ text: 'cancel' }), ['A cancelled (shown, marked)']);
    assert.deepEqual(await titles({ freeOnly: true }), []);
    const within = await titles({ from: new Date(at(2, 0)), to: new Date(at(3, 0)) });
    assert.deepEqual(
      within,
      CASES.filter((c) => c.day === 2 && listedEverywhere(c))
        .map((c) => c.title)
        .sort(),
    );
    await assert.rejects(
      listAgenda(db, { kind: 'territory' }, { tag: '<script>' }),
      (e: unknown) => e instanceof DomainError && e.code === 'validation',
    );
    await assert.rejects(
      listAgenda(db, { kind: 'territory' }, { text: 'x'.repeat(201) }),
      (e: unknown) => e instanceof DomainError && e.code === 'validation',
    );
  });

  test('named ranges are computed in the reader’s zone', () => {
    // Wednesday 2026-12-02 22:30 in Réunion (UTC+4) is 18:30Z.
    const wed = new Date('2026-12-02T18:30:00Z');
    assert.deepEqual(resolveRange('today', 'Indian/Reunion', wed), { from: wed, to: new Date('2026-12-02T20:00:00Z') });
    assert.deepEqual(resolveRange('weekend', 'Indian/Reunion', wed), {
      from: new Date('2026-12-04T20:00:00Z'),
      to: new Date('2026-12-06T20:00:00Z'),
    });
    assert.deepEqual(resolveRange('month', 'Indian/Reunion', wed), { from: wed, to: new Date('2026-12-31T20:00:00Z') });
    // In Paris it is still 19:30 on Wednesday; the month ends at Paris midnight.
    assert.deepEqual(resolveRange('month', 'Europe/Paris', wed).to, new Date('2026-12-31T23:00:00Z'));
    const sunday = new Date('2026-12-06T08:00:00Z');
    assert.deepEqual(resolveRange('weekend', 'Indian/Reunion', sunday), {
      from: sunday,
      to: new Date('2026-12-06T20:00:00Z'),
    });
    assert.deepEqual(resolveRange('custom', 'Indian/Reunion', wed, { fromDay: '2026-12-10', toDay: '2026-12-10' }), {
      from: new Date('2026-12-09T20:00:00Z'),
      to: new Date('2026-12-10T20:00:00Z'),
    });
    assert.throws(
      () => resolveRange('custom', 'Indian/Reunion', wed, { fromDay: '2026-12-10', toDay: '2026-12-01' }),
      DomainError,
    );
    assert.throws(() => resolveRange('custom', 'Indian/Reunion', wed, { fromDay: 'demain' }), DomainError);
  });
});
