import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture } from './fixtures/load.ts';
import { isSkip, parseRemoteEvent, type RemoteEvent } from './parseRemoteEvent.ts';

function parsed(raw: unknown): RemoteEvent {
  const result = parseRemoteEvent(raw);
  if (isSkip(result)) assert.fail(`skipped: ${result.skip}`);
  return result;
}

const base = { type: 'Event', id: 'https://x.test/e/1', startTime: '2026-12-12T18:30:00+04:00' };

describe('parseRemoteEvent: fixtures', () => {
  test("Mobilizon's Event: place, offsets as instants, zone, tags, banner, capacities, buy link", () => {
    const event = parsed(fixture('mobilizon-create-event').object);
    assert.deepEqual(event, {
      id: 'https://mobilizon.test/events/4b5c6d7e-8f90-4a1b-9c2d-3e4f5a6b7c8d',
      url: 'https://mobilizon.test/events/4b5c6d7e-8f90-4a1b-9c2d-3e4f5a6b7c8d',
      name: "Kabar maloya au bord de l'eau",
      summary: '',
      content: '<p>Une soirée <strong>maloya</strong> avec trois groupes.</p>',
      startsAt: '2026-12-12T14:30:00.000Z',
      endsAt: '2026-12-12T19:00:00.000Z',
      timezone: 'Indian/Reunion',
      status: 'confirmed',
      place: {
        name: "Plage de l'Ermitage",
        address: 'Boulevard Leconte de Lisle, 97434 Saint-Gilles-les-Bains, La Réunion, France',
        latitude: -21.0806,
        longitude: 55.2247,
      },
      onlineUrl: null,
      tags: ['maloya', 'concert'],
      images: [
        {
          url: 'https://mobilizon.test/media/0f1e2d3c4b5a69788796a5b4c3d2e1f0.jpg',
          mediaType: 'image/jpeg',
          name: 'Banner',
        },
      ],
      ticketUrl: 'https://billetterie.test/kabar-maloya',
      maximumCapacity: 200,
      remainingCapacity: 37,
      availability: null,
      updated: '2026-11-20T08:15:42.000Z',
      sequence: null,
    });
  });

  test("Mobilizon's online event, cancelled: no place, the Website link, status from `status`", () => {
    const event = parsed(fixture('mobilizon-online-event'));
    assert.equal(event.place, null);
    assert.equal(event.onlineUrl, 'https://visio.test/b/creole');
    assert.equal(event.status, 'cancelled');
    assert.deepEqual(event.images, [], 'the Link is not an image');
    assert.equal(event.ticketUrl, null);
    assert.equal(event.remainingCapacity, null);
  });

  test("Mobilizon's draft is skipped", () => {
    assert.deepEqual(parseRemoteEvent(fixture('mobilizon-draft-event')), { skip: 'draft' });
  });

  test("Gancio's Event: text address, numeric strings, endTime null, hashtags lower-cased", () => {
    const event = parsed(fixture('gancio-event'));
    assert.deepEqual(event.place, {
      name: 'Circolo Arci',
      address: 'Via del Pratello 53, Bologna',
      latitude: 44.4955,
      longitude: 11.3317,
    });
    assert.equal(event.startsAt, '2026-12-18T20:00:00.000Z');
    assert.equal(event.endsAt, null);
    assert.equal(event.timezone, null);
    assert.deepEqual(event.tags, ['cinema', 'kaurismäki']);
    assert.equal(event.images[0]?.url, 'https://gancio.test/media/6f3a2b1c.jpg');
    assert.equal(event.images[0]?.name, '');
    assert.equal(event.summary, 'Cineforum: Le Havre @ Circolo Arci - Via del Pratello 53, Bologna');
  });

  test("Gancio's online event: location array with a VirtualLocation, no attachment array", () => {
    const event = parsed(fixture('gancio-online-event'));
    assert.equal(event.place, null);
    assert.equal(event.onlineUrl, 'https://meet.test/assemblea');
    assert.deepEqual(event.images, []);
    assert.deepEqual(event.tags, ['assemblea']);
  });
});

describe('parseRemoteEvent: tolerance', () => {
  test('status from ical:status, eventStatus IRIs, any case', () => {
    const status = (extra: object) => parsed({ ...base, ...extra }).status;
    assert.equal(status({ 'ical:status': 'TENTATIVE' }), 'tentative');
    assert.equal(status({ eventStatus: 'https://schema.org/EventCancelled' }), 'cancelled');
    assert.equal(status({ eventStatus: 'https://w3id.org/fep/8a8e/EventPostponed' }), 'tentative');
    assert.equal(status({ status: 'cancelled' }), 'cancelled');
    assert.equal(status({}), 'confirmed');
  });

  test('name and content as language maps, arrays or objects; non-strings tolerated', () => {
    const event = parsed({ ...base, nameMap: { fr: 'Bal', en: 'Ball' }, content: { weird: true }, summary: 42 });
    assert.equal(event.name, 'Bal');
    assert.equal(event.content, '');
    assert.equal(event.summary, '42');
    assert.equal(parsed({ ...base, contentMap: { en: '<p>Hi</p>' } }).content, '<p>Hi</p>');
    assert.equal(parsed({ ...base, name: ['', 'Second'] }).name, 'Second');
  });

  test('attachments without mediaType: images by type or extension; a single object; url as Link', () => {
    const event = parsed({
      ...base,
      attachment: { type: 'Document', url: 'https://x.test/a.PNG?v=2' },
      image: [
        { type: 'Image', url: { type: 'Link', href: 'https://x.test/cover' } },
        { url: 'https://x.test/doc.pdf' },
      ],
    });
    assert.deepEqual(
      event.images.map((i) => i.url),
      ['https://x.test/a.PNG?v=2', 'https://x.test/cover'],
    );
  });

  test('location: first Place of an array, string address, bad coordinates dropped', () => {
    const event = parsed({
      ...base,
      location: [{ type: 'Place', name: 'Salle', address: 'Rue 1', latitude: 'north', longitude: 3 }, { name: 'B' }],
    });
    assert.deepEqual(event.place, { name: 'Salle', address: 'Rue 1', latitude: null, longitude: null });
  });

  test('offers: availability from schema.org IRIs; sold out when nothing remains', () => {
    const offer = (availability: string) => ({ ...base, offers: [{ type: 'Offer', availability }] });
    assert.equal(parsed(offer('https://schema.org/LimitedAvailability')).availability, 'limited');
    assert.equal(parsed(offer('http://schema.org/SoldOut')).availability, 'sold_out');
    assert.equal(parsed(offer('sc:InStock')).availability, 'in_stock');
    assert.equal(parsed({ ...base, offers: { availability: 'InStock' } }).availability, 'in_stock');
    assert.equal(parsed({ ...base, remainingAttendeeCapacity: 0 }).availability, 'sold_out');
  });

  test('skips: not an Event, no id, no parsable start; an end before the start is dropped; bad zone ignored', () => {
    assert.deepEqual(parseRemoteEvent({ ...base, type: 'Note' }), { skip: 'not-an-event' });
    assert.deepEqual(parseRemoteEvent('Event'), { skip: 'not-an-event' });
    assert.deepEqual(parseRemoteEvent({ ...base, id: undefined }), { skip: 'no-id' });
    assert.deepEqual(parseRemoteEvent({ ...base, startTime: 'tomorrow' }), { skip: 'no-start' });
    const event = parsed({ ...base, endTime: '2026-12-12T10:00:00+04:00', timezone: 'Mars/Olympus' });
    assert.equal(event.endsAt, null);
    assert.equal(event.timezone, null);
  });

  test('size limits: name cut to 500, content over 50 000 emptied, 50 tags, 10 images', () => {
    const event = parsed({
      ...base,
      name: 'n'.repeat(600),
      content: 'c'.repeat(50_001),
      tag: Array.from({ length: 60 }, (_, i) => ({ type: 'Hashtag', name: `#t${i}` })),
      attachment: Array.from({ length: 12 }, (_, i) => ({ mediaType: 'image/png', url: `https://x.test/${i}.png` })),
    });
    assert.equal(event.name.length, 500);
    assert.equal(event.content, '');
    assert.equal(event.tags.length, 50);
    assert.equal(event.images.length, 10);
    assert.equal(parsed({ ...base, content: 'c'.repeat(50_000) }).content.length, 50_000);
  });
});
