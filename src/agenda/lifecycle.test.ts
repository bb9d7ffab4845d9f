import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import { useTestDatabase } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { cancelEvent } from './cancelEvent.ts';
import { createEvent } from './createEvent.ts';
import { deleteDraftEvent } from './deleteDraftEvent.ts';
import { duplicateEvent } from './duplicateEvent.ts';
import { postponeEvent } from './postponeEvent.ts';
import { publishEvent } from './publishEvent.ts';
import { setEventImage } from './setEventImage.ts';
import { inDays, personNamed, venue } from './testFixtures.ts';

let db: Db;
let place: Awaited<ReturnType<typeof venue>>;
useTestDatabase(async (opened) => {
  db = opened.db;
  place = await venue(db, 'salle-kabaret');
});

const code = (c: string) => (e: unknown) => e instanceof DomainError && e.code === c;
const draft = (
  title: string,
  dates: { startsAt: string; endsAt?: string; timezone?: string }[] = [{ startsAt: inDays(10) }],
) => createEvent(db, place.admin, { placeId: place.id, title, dates });

describe('publish, cancel, postpone, delete', () => {
  test('draft → published → cancelled → published again; each step bumps the sequence and is audited', async () => {
    const e = await draft('Séga live');
    const p = await publishEvent(db, place.admin, { eventId: e.id });
    assert.equal(p.state, 'published');
    assert.ok(p.publishedAt);
    assert.equal(p.sequence, 1);
    const c = await cancelEvent(db, place.admin, { eventId: e.id });
    assert.equal(c.state, 'cancelled');
    assert.equal(c.sequence, 2);
    await assert.rejects(cancelEvent(db, place.admin, { eventId: e.id }), code('agenda-transition'));
    const again = await publishEvent(db, place.admin, { eventId: e.id });
    assert.equal(again.state, 'published');
    assert.equal(again.publishedAt!.getTime(), p.publishedAt!.getTime(), 'first publication time is kept');
    const actions = await db
      .selectFrom('audit_log')
      .select('action')
      .where('subject_id', '=', e.id)
      .orderBy('at')
      .orderBy('id')
      .execute();
    assert.deepEqual(
      actions.map((a) => a.action),
      ['event.created', 'event.published', 'event.cancelled', 'event.published'],
    );
  });

  test('a draft cannot be cancelled or postponed; a published event cannot be published twice', async () => {
    const e = await draft('Pas encore');
    await assert.rejects(cancelEvent(db, place.admin, { eventId: e.id }), code('agenda-transition'));
    await assert.rejects(
      postponeEvent(db, place.admin, { eventId: e.id, startsAt: inDays(20) }),
      code('agenda-transition'),
    );
    await publishEvent(db, place.admin, { eventId: e.id });
    await assert.rejects(publishEvent(db, place.admin, { eventId: e.id }), code('agenda-transition'));
  });

  test('postpone moves one date, keeps its duration and remembers the first start across two postponements', async () => {
    const e = await draft('Report', [{ startsAt: '2026-12-05T20:00', endsAt: '2026-12-05T22:00' }]);
    await publishEvent(db, place.admin, { eventId: e.id });
    const p1 = await postponeEvent(db, place.admin, { eventId: e.id, startsAt: '2026-12-12T21:00' });
    assert.equal(p1.state, 'postponed');
    assert.equal(p1.dates[0]!.id, e.dates[0]!.id, 'same date id: calendars update the same entry');
    assert.equal(p1.dates[0]!.startsAt.toISOString(), '2026-12-12T17:00:00.000Z');
    assert.equal(p1.dates[0]!.endsAt!.toISOString(), '2026-12-12T19:00:00.000Z');
    assert.equal(p1.dates[0]!.previousStartsAt!.toISOString(), '2026-12-05T16:00:00.000Z');
    const p2 = await postponeEvent(db, place.admin, {
      eventId: e.id,
      dateId: e.dates[0]!.id,
      startsAt: '2026-12-19T21:00',
    });
    assert.equal(p2.dates[0]!.previousStartsAt!.toISOString(), '2026-12-05T16:00:00.000Z');
    assert.equal(p2.sequence, p1.sequence + 1);
    await assert.rejects(
      postponeEvent(db, place.admin, { eventId: e.id, startsAt: '2026-12-19T21:00' }),
      code('validation'),
    );
    await assert.rejects(postponeEvent(db, place.admin, { eventId: e.id, startsAt: 'soon' }), code('validation'));
    await assert.rejects(
      postponeEvent(db, place.admin, { eventId: e.id, dateId: 'nope', startsAt: inDays(40) }),
      code('validation'),
    );
  });

  test('only a never-published draft can be deleted; its dates and tags go with it', async () => {
    const e = await createEvent(db, place.admin, {
      placeId: place.id,
      title: 'Brouillon',
      tags: ['x'],
      dates: [{ startsAt: inDays(3) }],
    });
    await deleteDraftEvent(db, place.admin, { eventId: e.id });
    assert.equal(
      await db.selectFrom('event_dates').select('id').where('event_id', '=', e.id).executeTakeFirst(),
      undefined,
    );
    assert.equal(
      await db.selectFrom('event_tags').select('tag').where('event_id', '=', e.id).executeTakeFirst(),
      undefined,
    );
    const p = await draft('Publié');
    await publishEvent(db, place.admin, { eventId: p.id });
    await assert.rejects(deleteDraftEvent(db, place.admin, { eventId: p.id }), code('agenda-transition'));
    const stranger = await personNamed(db, 'stranger@example.org');
    const d = await draft('Autre brouillon');
    await assert.rejects(deleteDraftEvent(db, stranger, { eventId: d.id }), code('forbidden'));
  });
});

describe('duplicateEvent', () => {
  test('+1 day, +1 week, +1 month keep the wall-clock time, the tags and the duration; the copy is a draft', async () => {
    const e = await createEvent(db, place.admin, {
      placeId: place.id,
      title: 'Jam',
      tags: ['jam', 'jazz'],
      dates: [{ startsAt: '2027-01-31T20:00', endsAt: '2027-02-01T01:00' }],
    });
    await publishEvent(db, place.admin, { eventId: e.id });
    const day = await duplicateEvent(db, place.admin, { eventId: e.id, shift: 'day' });
    assert.equal(day.state, 'draft');
    assert.notEqual(day.slug, e.slug);
    assert.deepEqual(day.tags, ['jam', 'jazz']);
    assert.equal(day.dates[0]!.startsAt.toISOString(), '2027-02-01T16:00:00.000Z');
    assert.equal(day.dates[0]!.endsAt!.toISOString(), '2027-02-01T21:00:00.000Z');
    const week = await duplicateEvent(db, place.admin, { eventId: e.id, shift: 'week' });
    assert.equal(week.dates[0]!.startsAt.toISOString(), '2027-02-07T16:00:00.000Z');
    // 31 January + 1 month = 28 February (not 3 March).
    const month = await duplicateEvent(db, place.admin, { eventId: e.id, shift: 'month' });
    assert.equal(month.dates[0]!.startsAt.toISOString(), '2027-02-28T16:00:00.000Z');
    const chosen = await duplicateEvent(db, place.admin, { eventId: e.id, shift: { date: '2027-03-15' } });
    assert.equal(chosen.dates[0]!.startsAt.toISOString(), '2027-03-15T16:00:00.000Z');
  });

  test('across a Europe/Paris DST change, 20:00 stays 20:00 local (the UTC hour moves)', async () => {
    const e = await draft('Paris', [{ startsAt: '2027-03-25T20:00', timezone: 'Europe/Paris' }]);
    assert.equal(e.dates[0]!.startsAt.toISOString(), '2027-03-25T19:00:00.000Z');
    const week = await duplicateEvent(db, place.admin, { eventId: e.id, shift: 'week' });
    assert.equal(week.dates[0]!.startsAt.toISOString(), '2027-04-01T18:00:00.000Z');
  });

  test('a bad shift is refused and creates nothing', async () => {
    const e = await draft('Shift');
    const count = async () => (await db.selectFrom('events').select('id').execute()).length;
    const before = await count();
    await assert.rejects(
      duplicateEvent(db, place.admin, { eventId: e.id, shift: { date: 'tomorrow' } }),
      code('validation'),
    );
    await assert.rejects(
      duplicateEvent(db, place.admin, { eventId: e.id, shift: 'year' as 'day' }),
      code('validation'),
    );
    assert.equal(await count(), before);
  });
});

describe('setEventImage', () => {
  const png = (w: number, h: number) =>
    sharp({ create: { width: w, height: h, channels: 3, background: '#c33' } })
      .png()
      .toBuffer();

  test('stores a list and a page WebP variant, never enlarged; replacing frees the old rows unless a copy uses them', async () => {
    const e = await draft('Affiche');
    const withImage = await setEventImage(db, place.admin, {
      eventId: e.id,
      bytes: await png(2400, 1600),
      maxBytes: 2_000_000,
    });
    const media = await db
      .selectFrom('media')
      .select(['id', 'content_type', 'width', 'height'])
      .where('id', 'in', [withImage.imageListMediaId!, withImage.imagePageMediaId!])
      .execute();
    const byId = new Map(media.map((m) => [m.id, m]));
    assert.deepEqual(byId.get(withImage.imageListMediaId!), {
      id: withImage.imageListMediaId,
      content_type: 'image/webp',
      width: 480,
      height: 320,
    });
    assert.deepEqual(byId.get(withImage.imagePageMediaId!), {
      id: withImage.imagePageMediaId,
      content_type: 'image/webp',
      width: 1200,
      height: 800,
    });
    const copy = await duplicateEvent(db, place.admin, { eventId: e.id, shift: 'week' });
    const small = await setEventImage(db, place.admin, {
      eventId: e.id,
      bytes: await png(300, 200),
      maxBytes: 2_000_000,
    });
    const smallPage = await db
      .selectFrom('media')
      .select(['width', 'height'])
      .where('id', '=', small.imagePageMediaId!)
      .executeTakeFirstOrThrow();
    assert.deepEqual(smallPage, { width: 300, height: 200 });
    // The copy still shows the first image: its rows survive.
    assert.ok(await db.selectFrom('media').select('id').where('id', '=', copy.imagePageMediaId!).executeTakeFirst());
    await deleteDraftEvent(db, place.admin, { eventId: copy.id });
    assert.equal(
      await db.selectFrom('media').select('id').where('id', '=', copy.imagePageMediaId!).executeTakeFirst(),
      undefined,
    );
  });

  test('an oversized file, an SVG, HTML or a truncated image is refused and stores nothing', async () => {
    const e = await draft('Refus');
    const before = (await db.selectFrom('media').select('id').execute()).length;
    const big = await png(100, 100);
    await assert.rejects(
      setEventImage(db, place.admin, { eventId: e.id, bytes: big, maxBytes: big.length - 1 }),
      (x: unknown) => x instanceof DomainError && x.fields[0]!.message === 'file-too-large',
    );
    for (const bytes of [
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
      Buffer.from('<html></html>'),
      big.subarray(0, 40),
    ]) {
      await assert.rejects(
        setEventImage(db, place.admin, { eventId: e.id, bytes, maxBytes: 2_000_000 }),
        (x: unknown) => x instanceof DomainError && x.fields[0]!.message === 'image-type',
      );
    }
    assert.equal((await db.selectFrom('media').select('id').execute()).length, before);
  });
});
