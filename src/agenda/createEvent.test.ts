import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useTestDatabase } from '../../test/testDatabase.ts';
import type { Db } from '../db/database.ts';
import { DomainError } from '../shared/errors.ts';
import { createEvent } from './createEvent.ts';
import { MAX_DATES, normaliseTag } from './eventInput.ts';
import { updateEvent } from './updateEvent.ts';
import { inDays, personNamed, venue } from './testFixtures.ts';

let db: Db;
let place: Awaited<ReturnType<typeof venue>>;
useTestDatabase(async (opened) => {
  db = opened.db;
  place = await venue(db, 'la-fabrik', { 'editor@example.org': 'editor', 'door@example.org': 'door' });
});

const fieldsOf = (e: unknown) => (e instanceof DomainError ? e.fields.map((f) => `${f.field}:${f.message}`) : []);
async function rejectsWith(p: Promise<unknown>, expected: string[]) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DomainError && e.code === 'validation', String(e));
    for (const x of expected) assert.ok(fieldsOf(e).includes(x), `${x} in ${fieldsOf(e).join(', ')}`);
    return true;
  });
}
const eventCount = async () =>
  Number(
    (
      await db
        .selectFrom('events')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('createEvent', () => {
  test('an editor creates a draft: local time in the venue zone, tags normalised, Markdown rendered safely', async () => {
    const editor = await personNamed(db, 'editor@example.org');
    const e = await createEvent(db, editor, {
      placeId: place.id,
      title: 'Maloya de minuit',
      description: '**Concert** <script>alert(1)</script> [site](javascript:alert(1)) <img src=x onerror=alert(2)>',
      tags: 'Maloya, Musique Électro,  maloya',
      performers: 'Danyèl Waro\nZanmari Baré',
      priceFromCents: '1200',
      dates: [{ startsAt: '2026-12-05T20:00', endsAt: '2026-12-05T23:30' }],
    });
    assert.equal(e.state, 'draft');
    assert.equal(e.slug, 'maloya-de-minuit');
    assert.deepEqual(e.tags, ['maloya', 'musique-electro']);
    assert.deepEqual(e.performers, ['Danyèl Waro', 'Zanmari Baré']);
    assert.equal(e.priceFromCents, 1200);
    assert.equal(e.dates.length, 1);
    assert.equal(e.dates[0]!.timezone, 'Indian/Reunion');
    // 20:00 at UTC+4 is 16:00Z.
    assert.equal(e.dates[0]!.startsAt.toISOString(), '2026-12-05T16:00:00.000Z');
    assert.match(e.descriptionHtml, /<strong>Concert<\/strong>/);
    assert.doesNotMatch(e.descriptionHtml, /script|onerror|javascript:|<img/i);
    const audit = await db.selectFrom('audit_log').select('action').where('subject_id', '=', e.id).execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['event.created'],
    );
  });

  test('a second event with the same title gets a distinct slug; an explicit taken slug is a field error', async () => {
    const a = await createEvent(db, place.admin, {
      placeId: place.id,
      title: 'Atelier graines',
      dates: [{ startsAt: inDays(3) }],
    });
    const b = await createEvent(db, place.admin, {
      placeId: place.id,
      title: 'Atelier graines',
      dates: [{ startsAt: inDays(4) }],
    });
    assert.equal(a.slug, 'atelier-graines');
    assert.match(b.slug, /^atelier-graines-[0-9a-f]{6}$/);
    await rejectsWith(
      createEvent(db, place.admin, {
        placeId: place.id,
        title: 'X',
        slug: 'atelier-graines',
        dates: [{ startsAt: inDays(5) }],
      }),
      ['slug:agenda.slug-taken'],
    );
  });

  test('an ISO instant with an offset is taken as such, whatever the zone', async () => {
    const e = await createEvent(db, place.admin, {
      placeId: place.id,
      title: 'Offset',
      dates: [{ startsAt: '2026-07-01T18:00:00+02:00', timezone: 'Europe/Paris' }],
    });
    assert.equal(e.dates[0]!.startsAt.toISOString(), '2026-07-01T16:00:00.000Z');
    assert.equal(e.dates[0]!.timezone, 'Europe/Paris');
  });

  test('bad input is refused field by field and writes nothing', async () => {
    const before = await eventCount();
    await rejectsWith(
      createEvent(db, place.admin, {
        placeId: place.id,
        title: '',
        description: 'x'.repeat(20_001),
        visibility: 'secret',
        tags: ['ok', 'pas bien!'],
        externalUrl: 'javascript:alert(1)',
        capacity: '-3',
        priceFromCents: '12.5',
        dates: [
          { startsAt: '2026-12-05T20:00', endsAt: '2026-12-05T19:00' },
          { startsAt: '2026-12-06T20:00', timezone: 'Mars/Olympus' },
          { startsAt: '2026-02-30T20:00' },
        ],
      }),
      [
        'title:required',
        'description:too-long',
        'visibility:choice',
        'tags:agenda.tag',
        'externalUrl:url',
        'capacity:range',
        'priceFromCents:range',
        'dates.0.endsAt:agenda.ends-before-start',
        'dates.1.timezone:timezone',
        'dates.2.startsAt:agenda.datetime',
      ],
    );
    await rejectsWith(createEvent(db, place.admin, { placeId: place.id, title: 'No date', dates: [] }), [
      'dates:agenda.dates-required',
    ]);
    const many = Array.from({ length: MAX_DATES + 1 }, (_, i) => ({ startsAt: inDays(i + 1) }));
    await rejectsWith(createEvent(db, place.admin, { placeId: place.id, title: 'Many', dates: many }), [
      'dates:agenda.too-many-dates',
    ]);
    const tags = Array.from({ length: 21 }, (_, i) => `tag-${i}`);
    await rejectsWith(
      createEvent(db, place.admin, { placeId: place.id, title: 'Tags', tags, dates: [{ startsAt: inDays(1) }] }),
      ['tags:agenda.too-many-tags'],
    );
    await rejectsWith(
      createEvent(db, place.admin, {
        placeId: place.id,
        title: 'Long tag',
        tags: ['a'.repeat(41)],
        dates: [{ startsAt: inDays(1) }],
      }),
      ['tags:agenda.tag'],
    );
    await rejectsWith(
      createEvent(db, place.admin, {
        placeId: place.id,
        title: 'Elsewhere',
        atVenue: false,
        dates: [{ startsAt: inDays(1) }],
      }),
      ['locationName:agenda.location-required'],
    );
    assert.equal(await eventCount(), before);
  });

  test('tag normalisation: lowercase, accents dropped, spaces to hyphens, nothing else', () => {
    assert.equal(normaliseTag('  Jeune Public '), 'jeune-public');
    assert.equal(normaliseTag('Séga'), 'sega');
    assert.equal(normaliseTag('rock_n_roll'), 'rock-n-roll');
    assert.equal(normaliseTag('<script>'), null);
    assert.equal(normaliseTag('🎸'), null);
    assert.equal(normaliseTag('a'.repeat(40)), 'a'.repeat(40));
    assert.equal(normaliseTag('a'.repeat(41)), null);
  });

  test('door staff, outsiders and a key of another scope cannot create events', async () => {
    const door = await personNamed(db, 'door@example.org');
    const stranger = await personNamed(db, 'stranger@example.org');
    const input = { placeId: place.id, title: 'Nope', dates: [{ startsAt: inDays(2) }] };
    await assert.rejects(
      createEvent(db, door, input),
      (e: unknown) => e instanceof DomainError && e.code === 'forbidden',
    );
    await assert.rejects(
      createEvent(db, stranger, input),
      (e: unknown) => e instanceof DomainError && e.code === 'forbidden',
    );
    await assert.rejects(
      createEvent(db, { kind: 'apiKey', keyId: place.id, placeId: place.id, scopes: ['place:read'] }, input),
      (e: unknown) => e instanceof DomainError && e.code === 'api-key-scope',
    );
    const ok = await createEvent(
      db,
      { kind: 'apiKey', keyId: place.id, placeId: place.id, scopes: ['events:write'] },
      { ...input, title: 'By key' },
    );
    assert.equal(ok.title, 'By key');
  });
});

describe('updateEvent', () => {
  test('a partial update keeps the other fields, keeps date ids given back, and increases the sequence', async () => {
    const e = await createEvent(db, place.admin, {
      placeId: place.id,
      title: 'Bal poussière',
      tags: ['bal'],
      dates: [{ startsAt: '2026-12-10T19:00' }, { startsAt: '2026-12-11T19:00' }],
    });
    const keptId = e.dates[0]!.id;
    const u = await updateEvent(db, place.admin, {
      eventId: e.id,
      title: 'Bal poussière géant',
      dates: [{ id: keptId, startsAt: '2026-12-10T20:00' }, { startsAt: '2026-12-12T19:00' }],
    });
    assert.equal(u.title, 'Bal poussière géant');
    assert.equal(u.slug, e.slug, 'the slug is a stable URL: a new title does not change it');
    assert.deepEqual(u.tags, ['bal']);
    assert.equal(u.dates.length, 2);
    assert.equal(u.dates[0]!.id, keptId);
    assert.equal(u.dates[0]!.startsAt.toISOString(), '2026-12-10T16:00:00.000Z');
    assert.ok(!u.dates.some((d) => d.id === e.dates[1]!.id), 'the date left out is gone');
    assert.equal(u.sequence, e.sequence + 1);
  });

  test('an invalid update changes nothing', async () => {
    const e = await createEvent(db, place.admin, {
      placeId: place.id,
      title: 'Stable',
      dates: [{ startsAt: inDays(9) }],
    });
    await rejectsWith(
      updateEvent(db, place.admin, {
        eventId: e.id,
        title: 'New',
        dates: [{ startsAt: inDays(9), endsAt: inDays(8) }],
      }),
      ['dates.0.endsAt:agenda.ends-before-start'],
    );
    const row = await db
      .selectFrom('events')
      .select(['title', 'sequence'])
      .where('id', '=', e.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(row, { title: 'Stable', sequence: 0 });
  });

  test('an unknown or malformed event id is not-found; another venue’s editor is forbidden', async () => {
    const other = await venue(db, 'autre-lieu');
    const e = await createEvent(db, place.admin, {
      placeId: place.id,
      title: 'Mine',
      dates: [{ startsAt: inDays(9) }],
    });
    await assert.rejects(
      updateEvent(db, other.admin, { eventId: e.id, title: 'Theirs' }),
      (x: unknown) => x instanceof DomainError && x.code === 'forbidden',
    );
    for (const id of ['0190a0a0-0000-7000-8000-000000000000', 'not-a-uuid']) {
      await assert.rejects(
        updateEvent(db, place.admin, { eventId: id, title: 'x' }),
        (x: unknown) => x instanceof DomainError && x.code === 'not-found',
      );
    }
  });
});
