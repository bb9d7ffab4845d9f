import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ICAL from 'ical.js';
import { XMLParser } from 'fast-xml-parser';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { createEvent } from './createEvent.ts';
import { cancelEvent } from './cancelEvent.ts';
import { followPlace } from './followPlace.ts';
import { postponeEvent } from './postponeEvent.ts';
import { publishEvent } from './publishEvent.ts';
import { venue } from './testFixtures.ts';

let t: TestNode;
let scene: Awaited<ReturnType<typeof venue>>;
let relay: Awaited<ReturnType<typeof venue>>;
const ids: Record<string, { id: string; slug: string; dateId: string }> = {};

// Each event carries a word found nowhere else, to look for it in every channel.
const EVENTS = [
  { key: 'public', word: 'zzpublicword', state: 'published', visibility: 'public', start: '2027-06-15T20:00' },
  { key: 'draft', word: 'zzdraftword', state: 'draft', visibility: 'public', start: '2027-06-16T20:00' },
  { key: 'private', word: 'zzprivateword', state: 'published', visibility: 'private', start: '2027-06-17T20:00' },
  { key: 'unlisted', word: 'zzunlistedword', state: 'published', visibility: 'unlisted', start: '2027-06-18T20:00' },
  { key: 'cancelled', word: 'zzcancelledword', state: 'cancelled', visibility: 'public', start: '2027-06-19T20:00' },
] as const;

before(async () => {
  t = await createTestNode();
  scene = await venue(
    t.db,
    'scene',
    {},
    { latitude: -21.34, longitude: 55.48, street: '1 rue du Port', postal_code: '97410' },
  );
  relay = await venue(t.db, 'relay');
  await followPlace(t.db, relay.admin, { placeId: relay.id, followedPlaceId: scene.id });
  for (const e of EVENTS) {
    const created = await createEvent(t.db, scene.admin, {
      placeId: scene.id,
      title: `Concert ${e.word}`,
      description: `Soirée **${e.word}**`,
      tags: ['maloya'],
      visibility: e.visibility,
      performers: ['Groupe Kaf'],
      priceFromCents: 1500,
      dates: [{ startsAt: e.start, endsAt: e.start.replace('20:00', '23:00') }],
    });
    if (e.state !== 'draft') await publishEvent(t.db, scene.admin, { eventId: created.id });
    if (e.state === 'cancelled') await cancelEvent(t.db, scene.admin, { eventId: created.id });
    ids[e.key] = { id: created.id, slug: created.slug, dateId: created.dates[0]!.id };
  }
});
after(() => t.close());

const get = (url: string) => t.app.inject({ method: 'GET', url });
const CHANNELS = [
  '/agenda',
  '/agenda?range=custom&from=2027-06-01&to=2027-06-30',
  '/agenda?view=month&month=2027-06',
  '/agenda?tag=maloya',
  '/venues/scene',
  '/venues/relay',
  '/agenda.ics',
  '/venues/scene/agenda.ics',
  '/venues/relay/agenda.ics',
  '/tags/maloya/agenda.ics',
  '/agenda.rss',
  '/venues/scene/agenda.rss',
  '/venues/relay/agenda.rss',
  '/api/v1/events',
  '/api/v1/events?tag=maloya&limit=200',
  '/sitemap.xml',
  '/venues/scene/embed',
  '/venues/relay/embed?tags=maloya&count=50',
  '/venues/scene/embed?theme=dark',
];

describe('visibility in every channel', () => {
  for (const url of CHANNELS) {
    test(`${url}: public and cancelled shown; draft, private and unlisted never`, async () => {
      const r = await get(url);
      assert.equal(r.statusCode, 200, r.body.slice(0, 300));
      assert.ok(r.body.includes('zzpublicword') || r.body.includes(ids.public!.slug), 'the public event is there');
      if (!url.includes('sitemap')) assert.ok(r.body.includes('zzcancelledword'), `the cancelled event is in ${url}`);
      for (const word of ['zzdraftword', 'zzprivateword', 'zzunlistedword'])
        assert.ok(!r.body.includes(word), `${word} leaks`);
      for (const key of ['draft', 'private', 'unlisted'] as const)
        assert.ok(!r.body.includes(ids[key]!.slug), `${key} slug leaks`);
    });
  }

  test('free-text search finds public events only', async () => {
    for (const word of ['zzdraftword', 'zzprivateword', 'zzunlistedword']) {
      assert.equal((await get(`/api/v1/events?q=${word}`)).json().items.length, 0, word);
      assert.ok(!(await get(`/agenda?q=${word}`)).body.includes(`Concert ${word}`));
    }
    assert.equal((await get('/api/v1/events?q=zzpublicword')).json().items.length, 1);
  });

  test('counts on the venue pages count listed dates only', async () => {
    assert.match((await get('/venues/scene')).body, /2 dates à venir/);
    // The relay shows the scene's events but counts only its own (none).
    assert.match((await get('/venues/relay')).body, /0 date à venir/);
  });

  test('direct links: unlisted 200 (noindex), draft and private 404 for outsiders, 200 for the team', async () => {
    const unlisted = await get(`/events/${ids.unlisted!.slug}`);
    assert.equal(unlisted.statusCode, 200);
    assert.match(unlisted.body, /<meta name="robots" content="noindex">/);
    assert.equal((await get(`/api/v1/events/${ids.unlisted!.id}`)).statusCode, 200);
    for (const key of ['draft', 'private'] as const) {
      assert.equal((await get(`/events/${ids[key]!.slug}`)).statusCode, 404, key);
      assert.equal((await get(`/events/${ids[key]!.id}`)).statusCode, 404, key);
      assert.equal((await get(`/api/v1/events/${ids[key]!.id}`)).statusCode, 404, key);
    }
    const stranger = await t.loginAs('stranger@example.org');
    assert.equal((await stranger.get(`/events/${ids.private!.slug}`)).statusCode, 404);
    const team = await t.loginAs('admin-scene@example.org');
    assert.equal((await team.get(`/events/${ids.private!.slug}`)).statusCode, 200);
    assert.equal((await team.get(`/events/${ids.draft!.slug}`)).statusCode, 200);
    assert.equal((await team.api('GET', `/api/v1/events/${ids.draft!.id}`)).statusCode, 200);
  });
});

describe('feeds parsed back', () => {
  test('iCalendar: stable UID, SEQUENCE, STATUS:CANCELLED, calendar name; 20:00 Indian/Reunion is 16:00Z', async () => {
    const r = await get('/venues/scene/agenda.ics');
    assert.match(r.headers['content-type'] as string, /^text\/calendar/);
    const cal = new ICAL.Component(ICAL.parse(r.body));
    assert.equal(cal.getFirstPropertyValue('x-wr-calname'), 'Venue scene');
    const events = cal.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
    const host = new URL(t.config.baseUrl).host;
    const pub = events.find((e) => e.uid === `${ids.public!.dateId}@${host}`);
    assert.ok(pub, 'UID = date id @ host');
    assert.equal(pub.summary, 'Concert zzpublicword');
    assert.equal(pub.startDate.toJSDate().toISOString(), '2027-06-15T16:00:00.000Z');
    assert.equal(pub.endDate.toJSDate().toISOString(), '2027-06-15T19:00:00.000Z');
    assert.equal(pub.sequence, 1);
    assert.equal(pub.component.getFirstPropertyValue('status'), 'CONFIRMED');
    const cancelled = events.find((e) => e.uid === `${ids.cancelled!.dateId}@${host}`)!;
    assert.equal(cancelled.component.getFirstPropertyValue('status'), 'CANCELLED');
    assert.equal(cancelled.sequence, 2);
    assert.equal(events.length, 2);
  });

  test('iCalendar: a postponed date keeps its UID with a higher SEQUENCE; a date across the Paris DST change is exact', async () => {
    const e = await createEvent(t.db, scene.admin, {
      placeId: scene.id,
      title: 'Nuit du changement d’heure',
      tags: ['dst'],
      dates: [{ startsAt: '2027-03-27T22:00', endsAt: '2027-03-28T04:00', timezone: 'Europe/Paris' }],
    });
    await publishEvent(t.db, scene.admin, { eventId: e.id });
    const read = async () => {
      const cal = new ICAL.Component(ICAL.parse((await get('/tags/dst/agenda.ics')).body));
      return cal.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
    };
    const [first] = await read();
    // 22:00 CET (UTC+1) → 21:00Z; 04:00 CEST (UTC+2, after the change) → 02:00Z: five hours, not six.
    assert.equal(first!.startDate.toJSDate().toISOString(), '2027-03-27T21:00:00.000Z');
    assert.equal(first!.endDate.toJSDate().toISOString(), '2027-03-28T02:00:00.000Z');
    await postponeEvent(t.db, scene.admin, { eventId: e.id, startsAt: '2027-04-03T22:00' });
    const [moved] = await read();
    assert.equal(moved!.uid, first!.uid);
    assert.ok(moved!.sequence > first!.sequence);
    assert.equal(moved!.startDate.toJSDate().toISOString(), '2027-04-03T20:00:00.000Z');
  });

  test('RSS 2.0: channel and items field by field', async () => {
    const r = await get('/venues/scene/agenda.rss');
    assert.match(r.headers['content-type'] as string, /^application\/rss\+xml/);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(r.body);
    assert.equal(doc.rss['@_version'], '2.0');
    const channel = doc.rss.channel;
    assert.equal(channel.title, 'Venue scene');
    assert.equal(channel.link, `${t.config.baseUrl}/venues/scene`);
    const items = Array.isArray(channel.item) ? channel.item : [channel.item];
    const pub = items.find((i: { title: string }) => i.title === 'Concert zzpublicword');
    assert.equal(pub.link, `${t.config.baseUrl}/events/${ids.public!.slug}`);
    assert.equal(pub.guid['#text'], `${ids.public!.dateId}@${new URL(t.config.baseUrl).host}`);
    assert.equal(pub.guid['@_isPermaLink'], 'false');
    assert.equal(pub.category, 'maloya');
    assert.ok(!Number.isNaN(Date.parse(pub.pubDate)));
    assert.match(pub.description, /Venue scene/);
  });
});

describe('event page', () => {
  test('schema.org JSON-LD and Open Graph; a title with </script> cannot break out', async () => {
    const e = await createEvent(t.db, scene.admin, {
      placeId: scene.id,
      title: 'Évasion </script><script>alert(1)</script>',
      performers: ['Kaf Malbar'],
      organisers: ['Asso Kaf'],
      priceFromCents: 0,
      dates: [{ startsAt: '2027-07-01T20:00', endsAt: '2027-07-01T22:00' }],
    });
    await publishEvent(t.db, scene.admin, { eventId: e.id });
    await postponeEvent(t.db, scene.admin, { eventId: e.id, startsAt: '2027-07-08T20:00' });
    const r = await get(`/events/${e.slug}`);
    assert.equal(r.statusCode, 200);
    assert.ok(!r.body.includes('<script>alert(1)</script>'), 'no script injected');
    const blocks = [...r.body.matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)];
    assert.equal(blocks.length, 1);
    const [ld] = JSON.parse(blocks[0]![1]!);
    assert.equal(ld['@type'], 'Event');
    assert.equal(ld.name, 'Évasion </script><script>alert(1)</script>');
    assert.equal(ld.startDate, '2027-07-08T16:00:00.000Z');
    assert.equal(ld.endDate, '2027-07-08T18:00:00.000Z');
    assert.equal(ld.previousStartDate, '2027-07-01T16:00:00.000Z');
    assert.equal(ld.eventStatus, 'https://schema.org/EventRescheduled');
    assert.equal(ld.eventAttendanceMode, 'https://schema.org/OfflineEventAttendanceMode');
    assert.equal(ld.location.address['@type'], 'PostalAddress');
    assert.equal(ld.location.address.streetAddress, '1 rue du Port');
    assert.deepEqual(ld.location.geo, { '@type': 'GeoCoordinates', latitude: -21.34, longitude: 55.48 });
    assert.deepEqual(ld.performer, [{ '@type': 'PerformingGroup', name: 'Kaf Malbar' }]);
    assert.deepEqual(ld.organizer, [{ '@type': 'Organization', name: 'Asso Kaf' }]);
    assert.equal(ld.isAccessibleForFree, true);
    assert.match(r.body, /<meta property="og:title" content="Évasion &lt;\/script&gt;/);
    assert.match(r.body, new RegExp(`<meta property="og:url" content="${t.config.baseUrl}/events/${e.slug}">`));
    const cancelledPage = await get(`/events/${ids.cancelled!.slug}`);
    const [cld] = JSON.parse(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(cancelledPage.body)![1]!);
    assert.equal(cld.eventStatus, 'https://schema.org/EventCancelled');
  });

  test('the embed may be framed by any site; other pages may not', async () => {
    const r = await get('/venues/scene/embed?count=1');
    assert.equal(r.headers['x-frame-options'], undefined);
    assert.match(r.headers['content-security-policy'] as string, /frame-ancestors \*/);
    assert.equal((r.body.match(/class="card event-card/g) ?? []).length, 1);
    assert.equal((await get('/agenda')).headers['x-frame-options'], 'SAMEORIGIN');
  });

  test('robots.txt points to the sitemap and keeps admin pages out', async () => {
    const r = await get('/robots.txt');
    assert.match(r.body, /Sitemap: .*\/sitemap\.xml/);
    assert.match(r.body, /Disallow: \/venues\/\*\/admin/);
  });

  test('bad filters are a clear 422, not a 500', async () => {
    assert.equal((await get('/api/v1/events?cursor=%21%21')).statusCode, 422);
    assert.equal((await get('/api/v1/events?tag=%3Cb%3E')).statusCode, 422);
    assert.equal((await get('/api/v1/events?venue=nowhere')).statusCode, 422);
    assert.equal((await get('/agenda?from=demain')).statusCode, 422);
    assert.equal((await get('/tags/%21%21/agenda.ics')).statusCode, 404);
  });
});
