import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ICAL from 'ical.js';
import sharp from 'sharp';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { personActor } from '../access/actor.ts';
import { createTicketPrice } from '../ticketing/createTicketPrice.ts';
import { createEvent } from './createEvent.ts';
import { resolveRange } from './agendaQuery.ts';
import { publishEvent } from './publishEvent.ts';
import { setEventImage } from './setEventImage.ts';
import { venue } from './testFixtures.ts';
import { localParts } from './zonedTime.ts';
import type { AgendaEvent } from './events.ts';

/** Issue 16 §4: posters, the home page's strips, "add to my calendar", share links, prices, the map. */
let t: TestNode;
let mapped: AgendaEvent;
let plain: AgendaEvent;
let weekendTitle = '';

before(async () => {
  t = await createTestNode({ demoPayments: true }); // paid prices are offered only where they can be paid
  const lagon = await venue(
    t.db,
    'lagon',
    {},
    { modules: ['agenda', 'ticketing'], latitude: -21.0456, longitude: 55.2231 },
  );
  const hall = await venue(t.db, 'hall');
  const png = await sharp({ create: { width: 1600, height: 1000, channels: 3, background: '#c0392b' } })
    .png()
    .toBuffer();
  mapped = await createEvent(t.db, lagon.admin, {
    placeId: lagon.id,
    title: 'Nuit du maloya',
    description: 'Trois groupes.',
    tags: ['maloya'],
    organisers: ['Asso Kabar'],
    dates: [{ startsAt: '2027-02-10T20:00', endsAt: '2027-02-10T23:30' }],
  });
  await setEventImage(t.db, lagon.admin, { eventId: mapped.id, bytes: png, maxBytes: 5_000_000 });
  mapped = await publishEvent(t.db, lagon.admin, { eventId: mapped.id });
  await createTicketPrice(t.db, lagon.admin, {
    slug: 'lagon',
    eventId: mapped.id,
    name: 'Plein',
    kind: 'fixed',
    price: '15',
  });
  await createTicketPrice(t.db, lagon.admin, {
    slug: 'lagon',
    eventId: mapped.id,
    name: 'Réduit',
    kind: 'fixed',
    price: '8',
  });
  await createTicketPrice(t.db, lagon.admin, {
    slug: 'lagon',
    eventId: mapped.id,
    name: 'Soutien',
    kind: 'pay_what_you_want',
    price: '20',
    minPrice: '5',
  });
  // The coming weekend (Saturday in Réunion) and an event outside it.
  // A few minutes after the weekend starts (or after now, on a Saturday or Sunday), in Réunion's time.
  const at = localParts(
    new Date(resolveRange('weekend', 'Indian/Reunion', new Date()).from.getTime() + 5 * 60_000),
    'Indian/Reunion',
  );
  const two = (n: number) => String(n).padStart(2, '0');
  weekendTitle = 'Bal du week-end';
  plain = await createEvent(t.db, hall.admin, {
    placeId: hall.id,
    title: weekendTitle,
    dates: [{ startsAt: `${at.year}-${two(at.month)}-${two(at.day)}T${two(at.hour)}:${two(at.minute)}` }],
  });
  plain = await publishEvent(t.db, hall.admin, { eventId: plain.id });
});
after(() => t.close());

describe('posters', () => {
  test('the event page and the agenda cards show the poster as a responsive image of both WebP variants', async () => {
    const page = await t.client().get(`/events/${mapped.slug}`);
    assert.equal(page.statusCode, 200);
    const list = mapped.imageListMediaId!;
    const big = mapped.imagePageMediaId!;
    const img = new RegExp(
      `<img class="poster" src="/media/${list}" srcset="/media/${list} 480w, /media/${big} 1200w" sizes="[^"]+" width="480" height="320" alt="" loading="lazy"`,
    );
    assert.match(page.body, img);
    const agenda = await t.client().get('/agenda');
    assert.match(agenda.body, new RegExp(`srcset="/media/${list} 480w, /media/${big} 1200w"`));
    assert.match(agenda.body, /loading="lazy"/);
  });

  test('the home page shows the next events and this weekend in a strip of its own', async () => {
    const home = await t.client().get('/');
    assert.equal(home.statusCode, 200);
    const strip = /<section class="weekend-strip"[\s\S]*?<\/section>/.exec(home.body)?.[0] ?? '';
    assert.match(strip, new RegExp(weekendTitle), 'the weekend strip has the Saturday event');
    assert.doesNotMatch(strip, /Nuit du maloya/, 'and not the one in February');
    const next = /<section class="next-events"[\s\S]*?<\/section>/.exec(home.body)?.[0] ?? '';
    assert.match(next, /Nuit du maloya/);
    assert.match(next, /srcset=/);
  });
});

describe('add to my calendar', () => {
  test('the .ics is one valid VEVENT per date, with the UID of the feeds and the time in the event’s zone', async () => {
    const r = await t.client().get(`/events/${mapped.slug}/calendar.ics`);
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^text\/calendar/);
    assert.match(String(r.headers['content-disposition']), /attachment; filename="nuit-du-maloya[^"]*\.ics"/);
    const host = new URL(t.config.baseUrl).host;
    const vcal = new ICAL.Component(ICAL.parse(r.body));
    const events = vcal.getAllSubcomponents('vevent');
    assert.equal(events.length, 1);
    const vevent = events[0]!;
    assert.equal(vevent.getFirstPropertyValue('uid'), `${mapped.dates[0]!.id}@${host}`);
    const start = vevent.getFirstProperty('dtstart')!;
    assert.equal(start.getParameter('tzid'), 'Indian/Reunion');
    assert.equal(String(start.getFirstValue()), '2027-02-10T20:00:00');
    assert.match(r.body, /DTSTART;TZID=Indian\/Reunion:20270210T200000/);
    assert.match(r.body, /BEGIN:VTIMEZONE\r\nTZID:Indian\/Reunion[\s\S]*TZOFFSETTO:\+0400/);
    // The zone definition gives the right instant: 20:00 in Réunion is 16:00 UTC.
    const timezone = new ICAL.Timezone(vcal.getFirstSubcomponent('vtimezone')!);
    const time = ICAL.Time.fromDateTimeString('2027-02-10T20:00:00');
    time.zone = timezone;
    assert.equal(time.toJSDate().toISOString(), mapped.dates[0]!.startsAt.toISOString());
    assert.equal(mapped.dates[0]!.startsAt.toISOString(), '2027-02-10T16:00:00.000Z');
  });

  test('a draft event’s .ics is not found for outsiders', async () => {
    const hall = await t.db.selectFrom('places').select('id').where('slug', '=', 'hall').executeTakeFirstOrThrow();
    const admin = await t.db
      .selectFrom('place_members')
      .select('person_id')
      .where('place_id', '=', hall.id)
      .executeTakeFirstOrThrow();
    const draft = await createEvent(t.db, personActor(admin.person_id), {
      placeId: hall.id,
      title: 'Brouillon',
      dates: [{ startsAt: '2027-03-01T20:00' }],
    });
    assert.equal((await t.client().get(`/events/${draft.slug}/calendar.ics`)).statusCode, 404);
    assert.equal((await t.client().get('/events/no-such-event/calendar.ics')).statusCode, 404);
  });

  test('Google and Outlook links carry the dates; share links are plain links', async () => {
    const page = await t.client().get(`/events/${mapped.slug}`);
    const google = /href="(https:\/\/calendar\.google\.com\/calendar\/render\?[^"]+)"/.exec(page.body)?.[1];
    assert.ok(google, 'a Google Calendar link');
    const g = new URL(google.replaceAll('&amp;', '&'));
    assert.equal(g.searchParams.get('action'), 'TEMPLATE');
    assert.equal(g.searchParams.get('text'), 'Nuit du maloya');
    assert.equal(g.searchParams.get('dates'), '20270210T160000Z/20270210T193000Z');
    assert.equal(g.searchParams.get('ctz'), 'Indian/Reunion');
    const outlook = /href="(https:\/\/outlook\.live\.com\/[^"]+)"/.exec(page.body)?.[1];
    assert.ok(outlook);
    assert.equal(new URL(outlook.replaceAll('&amp;', '&')).searchParams.get('startdt'), '2027-02-10T16:00:00.000Z');
    assert.match(page.body, /href="\/events\/nuit-du-maloya[^"]*\/calendar\.ics"/);
    assert.match(page.body, /href="mailto:\?subject=Nuit%20du%20maloya&amp;body=/);
    assert.match(page.body, /href="https:\/\/wa\.me\/\?text=/);
    assert.match(page.body, /href="https:\/\/www\.facebook\.com\/sharer\/sharer\.php\?u=/);
    assert.match(page.body, /href="https:\/\/toot\.kytta\.dev\/\?text=/);
    assert.doesNotMatch(page.body, /<script src="https?:/, 'no third-party script');
  });

  test('the organiser and the price list come before the ticket form', async () => {
    const page = await t.client().get(`/events/${mapped.slug}`);
    assert.match(page.body, /Organisé par Asso Kabar/);
    const prices = /<ul class="price-list"[\s\S]*?<\/ul>/.exec(page.body)?.[0] ?? '';
    assert.match(prices, /Plein<\/span> <strong>15,00\s€<\/strong>/);
    assert.match(prices, /Réduit<\/span> <strong>8,00\s€<\/strong>/);
    // Pay what you want: the list says the minimum the ticket form asks for, not the suggested amount.
    assert.match(prices, /Soutien<\/span> <strong>à partir de 5,00\s€<\/strong>/);
    assert.ok(page.body.indexOf('price-list') < page.body.indexOf('id="tickets"'));
    assert.ok(page.body.indexOf('id="tickets"') < page.body.indexOf('class="description"'));
    const other = await t.client().get(`/events/${plain.slug}`);
    assert.match(other.body, /Organisé par <a href="\/venues\/hall">Venue hall<\/a>/, 'no organiser named: the venue');
  });
});

describe('map', () => {
  test('a place with coordinates: the address, a map box, the OpenStreetMap fallback link and the tiles allowed', async () => {
    const page = await t.client().get(`/events/${mapped.slug}`);
    assert.match(page.body, /<p class="address">Venue lagon, Saint-Pierre<\/p>/);
    assert.match(page.body, /id="event-map" data-lat="-21.0456" data-lon="55.2231"/);
    assert.match(
      page.body,
      /<a class="map-link" href="https:\/\/www\.openstreetmap\.org\/\?mlat=-21\.0456&amp;mlon=55\.2231#map=17\/-21\.0456\/55\.2231"/,
    );
    assert.match(page.body, /<script src="\/static\/leaflet\/leaflet\.js" defer><\/script>/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /img-src 'self' https:\/\/tile\.openstreetmap\.org;/);
    assert.match(csp, /script-src 'self';/, 'scripts still only from the node');
  });

  test('without coordinates: the address only, and the default policy', async () => {
    const page = await t.client().get(`/events/${plain.slug}`);
    assert.match(page.body, /<p class="address">Venue hall, Saint-Pierre<\/p>/);
    assert.doesNotMatch(page.body, /event-map|leaflet/);
    assert.match(String(page.headers['content-security-policy']), /img-src 'self';/);
  });

  test('Leaflet’s files are served by the node', async () => {
    const js = await t.client().get('/static/leaflet/leaflet.js');
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.match(js.body, /Leaflet 1\.9/);
    assert.equal((await t.client().get('/static/leaflet/leaflet.css')).statusCode, 200);
    assert.equal((await t.client().get('/static/leaflet/images/marker-icon.png')).statusCode, 200);
    assert.equal((await t.client().get('/static/leaflet/../package.json')).statusCode, 404);
    assert.equal((await t.client().get('/static/agenda/eventMap.js')).statusCode, 200);
  });
});

describe('month view', () => {
  test('a calendar grid of the month: today marked, each event with its start time, months linked', async () => {
    const page = await t.client().get('/agenda?view=month&month=2027-02');
    assert.equal(page.statusCode, 200);
    const table = /<table class="month">[\s\S]*?<\/table>/.exec(page.body)?.[0] ?? '';
    assert.equal(
      (table.match(/<tr>/g) ?? []).length,
      1 + 4,
      'a header row and four weeks (February 2027 starts on a Monday)',
    );
    assert.match(
      table,
      /<td class="day"><span class="day-number"><span class="wd">mer\. <\/span>10<\/span><ul><li><time datetime="2027-02-10T16:00:00\.000Z">20:00<\/time> <a href="\/events\/nuit-du-maloya[^"]*">Nuit du maloya<\/a>/,
    );
    assert.doesNotMatch(table, /aria-current="date"/, 'today is not in February 2027');
    assert.match(page.body, /href="\?view=month&amp;month=2027-01" rel="prev"/);
    assert.match(page.body, /href="\?view=month&amp;month=2027-03" rel="next"/);
    const current = await t.client().get('/agenda?view=month');
    assert.match(current.body, /<td class="day[^"]* today[^"]*" aria-current="date">/);
  });
});
