import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { fetchDocumentLoader } from '@fedify/fedify';
import type { AgendaEvent } from '../agenda/index.ts';
import { availabilityOf, buildEventObject, localIso, tombstone } from './eventObject.ts';

const base = 'https://rezo.example';
const event: AgendaEvent = {
  id: '0193f0d4-0000-7000-8000-000000000001',
  placeId: '0193f0c2-0000-7000-8000-000000000002',
  slug: 'maloya-sous-les-etoiles',
  title: 'Maloya sous les étoiles',
  descriptionMd: 'Kabar en plein air',
  descriptionHtml: '<p>Kabar en plein air</p>',
  state: 'published',
  visibility: 'public',
  atVenue: true,
  locationName: '',
  street: '3 chemin de la Raffinerie',
  postalCode: '97460',
  city: 'Saint-Paul',
  country: 'FR',
  latitude: -21.0096,
  longitude: 55.2707,
  organisers: [],
  performers: [],
  accessibility: '',
  externalUrl: '',
  capacity: 300,
  priceFromCents: 1200,
  currency: 'EUR',
  imageListMediaId: null,
  imagePageMediaId: '0193f0d5-0000-7000-8000-000000000003',
  sequence: 7,
  proposedBy: null,
  proposalState: null,
  createdAt: new Date('2026-11-01T10:00:00Z'),
  updatedAt: new Date('2026-12-04T18:02:55.481Z'),
  publishedAt: new Date('2026-11-02T09:14:03.120Z'),
  tags: ['maloya', 'concert'],
  recurrence: null,
  dates: [
    {
      id: '0193f0d4-1b2a-7c3d-8e4f-5a6b7c8d9e0f',
      startsAt: new Date('2026-12-05T16:00:00Z'),
      endsAt: new Date('2026-12-05T19:30:00Z'),
      timezone: 'Indian/Reunion',
      previousStartsAt: null,
    },
  ],
};
const input = {
  base,
  event,
  dateId: event.dates[0]!.id,
  venue: { id: event.placeId, slug: 'la-raffinerie', name: 'La Raffinerie', language: 'fr' },
  offers: [
    {
      id: 'p1',
      name: 'Plein tarif',
      kind: 'fixed' as const,
      priceCents: 1200,
      minPriceCents: 1200,
      perOrderLimit: 10,
      remaining: 42,
      onSale: true,
      salesOpenAt: null,
    },
  ],
  figures: { capacity: 300, sold: 258 },
  summary: 'samedi 5 décembre 2026, 20:00 · La Raffinerie, Saint-Paul · dès 12,00 €',
};

/** The `jsonld` package (no type declarations) as an independent JSON-LD processor. */
const jsonld = createRequire(import.meta.url)('jsonld') as {
  expand(doc: unknown, options: { documentLoader: unknown }): Promise<unknown[]>;
};

/** jsonld with Fedify's preloaded contexts (activitystreams, data-integrity): no network. */
const documentLoader = async (url: string) => {
  const r = await fetchDocumentLoader(url);
  return { contextUrl: null, document: r.document, documentUrl: url };
};
const AS = 'https://www.w3.org/ns/activitystreams#';
const SC = 'http://schema.org#';
const MZ = 'https://joinmobilizon.org/ns#';
type Node = Record<string, { '@value'?: unknown; '@id'?: string; '@type'?: string | string[] }[] | string | string[]>;
const value = (node: Node, iri: string) => (node[iri] as { '@value'?: unknown; '@id'?: string }[] | undefined)?.[0];

describe('Event objects (FEP-8a8e, Mobilizon)', () => {
  test('local times keep the offset of the zone at that instant', () => {
    assert.equal(localIso(new Date('2026-12-05T16:00:00Z'), 'Indian/Reunion'), '2026-12-05T20:00:00+04:00');
    assert.equal(localIso(new Date('2026-07-01T10:00:00Z'), 'Europe/Paris'), '2026-07-01T12:00:00+02:00');
    assert.equal(localIso(new Date('2026-01-01T10:00:00Z'), 'Europe/Paris'), '2026-01-01T11:00:00+01:00');
    assert.equal(localIso(new Date('2026-01-01T10:00:00Z'), 'America/St_Johns'), '2026-01-01T06:30:00-03:30');
  });

  test('availability: InStock, Limited at 20 % or 10 places, SoldOut at 0', () => {
    assert.equal(availabilityOf(null, null), 'https://schema.org/InStock');
    assert.equal(availabilityOf(61, 300), 'https://schema.org/InStock');
    assert.equal(availabilityOf(60, 300), 'https://schema.org/LimitedAvailability');
    assert.equal(availabilityOf(10, 1000), 'https://schema.org/LimitedAvailability');
    assert.equal(availabilityOf(0, 300), 'https://schema.org/SoldOut');
  });

  test('the JSON has the shape receivers read: arrays, full Public IRI, offset times, decimal prices', () => {
    const o = buildEventObject(input);
    assert.equal(o.type, 'Event');
    assert.equal(o.id, `${base}/ap/events/${event.dates[0]!.id}`);
    assert.deepEqual(o.to, ['https://www.w3.org/ns/activitystreams#Public']);
    assert.ok(Array.isArray(o.cc));
    assert.equal(o.startTime, '2026-12-05T20:00:00+04:00');
    assert.equal(o.endTime, '2026-12-05T23:30:00+04:00');
    assert.equal(o.timezone, 'Indian/Reunion');
    assert.equal(o.joinMode, 'external');
    assert.equal(o.externalParticipationUrl, `${base}/events/maloya-sous-les-etoiles#tickets`);
    assert.equal(o.remainingAttendeeCapacity, 42);
    assert.equal(o.participantCount, 258);
    assert.equal(o.category, 'MUSIC');
    assert.equal(o.status, 'CONFIRMED');
    const attachment = o.attachment as { mediaType: string }[];
    assert.ok(Array.isArray(attachment) && attachment[0]!.mediaType === 'image/webp');
    const offers = o.offers as { price: string; availability: string }[];
    assert.equal(offers[0]!.price, '12.00');
    assert.equal(offers[0]!.availability, 'https://schema.org/LimitedAvailability');
  });

  test('expanded with jsonld, every field lands on its IRI', async () => {
    const [node] = (await jsonld.expand(buildEventObject(input), { documentLoader })) as Node[];
    assert.ok(node);
    assert.deepEqual(node['@type'], [`${AS}Event`]);
    assert.equal(value(node, `${AS}name`)?.['@value'], 'Maloya sous les étoiles');
    assert.equal(value(node, `${AS}startTime`)?.['@value'], '2026-12-05T20:00:00+04:00');
    assert.equal(value(node, `${AS}to`)?.['@id'], 'https://www.w3.org/ns/activitystreams#Public');
    assert.equal(value(node, `${MZ}timezone`)?.['@value'], 'Indian/Reunion');
    assert.equal(value(node, `${MZ}joinMode`)?.['@value'], 'external');
    assert.equal(
      value(node, `${MZ}externalParticipationUrl`)?.['@value'],
      `${base}/events/maloya-sous-les-etoiles#tickets`,
    );
    assert.equal(value(node, `${SC}remainingAttendeeCapacity`)?.['@value'], 42);
    assert.equal(value(node, `${SC}maximumAttendeeCapacity`)?.['@value'], 300);
    assert.equal(value(node, `${MZ}participantCount`)?.['@value'], 258);
    assert.equal(value(node, 'http://www.w3.org/2002/12/cal/ical#status')?.['@value'], 'CONFIRMED');
    assert.equal(
      value(node, 'https://w3id.org/fep/8a8e/eventStatus')?.['@id'],
      'https://w3id.org/fep/8a8e/EventScheduled',
    );
    const location = value(node, `${AS}location`) as unknown as Node;
    assert.deepEqual(location['@type'], [`${AS}Place`]);
    const address = value(location, `${SC}address`) as unknown as Node;
    assert.deepEqual(address['@type'], [`${SC}PostalAddress`]);
    assert.equal(value(address, `${SC}postalCode`)?.['@value'], '97460');
    assert.equal(value(location, `${SC}latitude`)?.['@value'], -21.0096);
    const offer = value(node, `${SC}offers`) as unknown as Node;
    assert.equal(value(offer, `${SC}price`)?.['@value'], '12.00');
    assert.equal(value(offer, `${SC}availability`)?.['@id'], 'https://schema.org/LimitedAvailability');
    const attachment = value(node, `${AS}attachment`) as unknown as Node;
    assert.equal(value(attachment, `${AS}mediaType`)?.['@value'], 'image/webp');
    const tag = value(node, `${AS}tag`) as unknown as Node;
    assert.deepEqual(tag['@type'], [`${AS}Hashtag`]);
  });

  test('a cancelled event says CANCELLED in status, ical:status and eventStatus', () => {
    const o = buildEventObject({ ...input, event: { ...event, state: 'cancelled' } });
    assert.equal(o.status, 'CANCELLED');
    assert.equal(o['ical:status'], 'CANCELLED');
    assert.equal(o.eventStatus, 'https://w3id.org/fep/8a8e/EventCancelled');
  });

  test('no end: three hours and displayEndTime false; no tickets: no offers nor remaining places', () => {
    const d = { ...event.dates[0]!, endsAt: null };
    const o = buildEventObject({ ...input, event: { ...event, dates: [d] }, offers: null, figures: null });
    assert.equal(o.endTime, '2026-12-05T23:00:00+04:00');
    assert.equal(o.displayEndTime, false);
    assert.equal(o.offers, undefined);
    assert.equal(o.remainingAttendeeCapacity, undefined);
  });

  test('a removed date is a Tombstone with formerType Event', () => {
    const t = tombstone(base, 'x', new Date('2026-12-06T00:00:00Z'));
    assert.deepEqual(t, {
      type: 'Tombstone',
      id: `${base}/ap/events/x`,
      formerType: 'Event',
      deleted: '2026-12-06T00:00:00.000Z',
    });
  });
});
