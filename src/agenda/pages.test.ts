import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { createTestNode, withKey, type Client, type TestNode } from '../../test/harness.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { venue } from './testFixtures.ts';

let t: TestNode;
let place: Awaited<ReturnType<typeof venue>>;
let other: Awaited<ReturnType<typeof venue>>;
let editor: Client;
let atelierId = '';
before(async () => {
  t = await createTestNode();
  place = await venue(t.db, 'la-fabrik', { 'editor@example.org': 'editor', 'door@example.org': 'door' });
  other = await venue(t.db, 'kabaret');
  editor = await t.loginAs('editor@example.org');
});
after(() => t.close());

const eventRow = (title: string) => t.db.selectFrom('events').selectAll().where('title', '=', title).executeTakeFirst();
const byId = (id: string) => t.db.selectFrom('events').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const admin = '/venues/la-fabrik/admin/events';

describe('venue admin pages', () => {
  test('an editor creates an event through the form, publishes it and sees it on the venue page', async () => {
    const list = await editor.get(admin);
    assert.equal(list.statusCode, 200);
    assert.match(
      list.body,
      /&lt;iframe src=&quot;[^&]*\/venues\/la-fabrik\/embed/,
      'the embed snippet is offered (escaped)',
    );
    const form = await editor.get(`${admin}/new`);
    assert.equal(form.statusCode, 200);
    const r = await editor.postForm(`${admin}/new`, {
      title: 'Atelier sérigraphie',
      description: 'Avec **Léa**',
      tags: 'atelier, Jeune Public',
      price: '5,50',
      atVenue: 'on',
      visibility: 'public',
      dateId: ['', ''],
      startsAt: ['', '2027-02-10T14:00'],
      endsAt: ['', '2027-02-10T17:00'],
      timezone: ['Indian/Reunion', 'Indian/Reunion'],
    });
    assert.equal(r.statusCode, 303, r.body.slice(0, 500));
    const row = await eventRow('Atelier sérigraphie');
    assert.ok(row);
    atelierId = row.id;
    assert.equal(row.price_from_cents, 550);
    assert.equal(row.state, 'draft');
    const edit = await editor.get(r.headers.location as string);
    assert.equal(edit.statusCode, 200);
    assert.match(edit.body, /value="2027-02-10T14:00"/, 'dates shown in local time');
    const pub = await editor.postForm(`${admin}/${row.id}/publish`, {});
    assert.equal(pub.statusCode, 303);
    const venuePage = await t.client().get('/venues/la-fabrik');
    assert.match(venuePage.body, /Atelier sérigraphie/);
    assert.match(venuePage.body, /#jeune-public/);
  });

  test('a form with errors comes back 422 with the messages and the values, writing nothing', async () => {
    const r = await editor.postForm(`${admin}/new`, {
      title: '',
      tags: 'ok, pas bien!',
      price: 'cher',
      dateId: [''],
      startsAt: ['2027-02-10T14:00'],
      endsAt: ['2027-02-10T12:00'],
      timezone: ['Mars/Base'],
    });
    assert.equal(r.statusCode, 422);
    assert.match(r.body, /role="alert"/);
    assert.match(r.body, /Ce champ est obligatoire/);
    assert.match(r.body, /Fuseau horaire inconnu/);
    assert.match(r.body, /aria-invalid="true"/);
    assert.match(r.body, /value="ok, pas bien!"/);
  });

  test('duplicate +1 week, postpone, cancel and delete draft through the pages', async () => {
    const row = await byId(atelierId);
    const dup = await editor.postForm(`${admin}/${row.id}/duplicate`, { shift: 'week', date: '' });
    assert.equal(dup.statusCode, 303);
    const copyId = /events\/([0-9a-f-]{36})/.exec(dup.headers.location as string)![1]!;
    const copyDate = await t.db
      .selectFrom('event_dates')
      .select('starts_at')
      .where('event_id', '=', copyId)
      .executeTakeFirstOrThrow();
    assert.equal(copyDate.starts_at.toISOString(), '2027-02-17T10:00:00.000Z');
    const badDate = await editor.postForm(`${admin}/${row.id}/duplicate`, { shift: 'date', date: 'bientôt' });
    assert.equal(badDate.statusCode, 422);
    assert.equal(
      (await editor.postForm(`${admin}/${row.id}/postpone`, { startsAt: '2027-02-24T14:00' })).statusCode,
      303,
    );
    assert.equal((await byId(atelierId)).state, 'postponed');
    assert.equal((await editor.postForm(`${admin}/${row.id}/cancel`, {})).statusCode, 303);
    assert.equal((await byId(atelierId)).state, 'cancelled');
    // Deleting a published event is refused with a problem page, never done.
    assert.equal((await editor.postForm(`${admin}/${row.id}/delete`, {})).statusCode, 409);
    assert.equal((await editor.postForm(`${admin}/${copyId}/delete`, {})).statusCode, 303);
    assert.equal(await t.db.selectFrom('events').select('id').where('id', '=', copyId).executeTakeFirst(), undefined);
  });

  test('image upload makes WebP variants; a non-image is refused beside the field', async () => {
    const row = await byId(atelierId);
    const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#08f' } })
      .png()
      .toBuffer();
    const ok = await editor.postMultipart(
      `${admin}/${row.id}/image`,
      {},
      { image: { filename: 'a.png', type: 'image/png', bytes: png } },
    );
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 300));
    const after = await byId(atelierId);
    assert.ok(after.image_list_media_id && after.image_page_media_id);
    const media = await t.client().get(`/media/${after.image_page_media_id}`);
    assert.equal(media.headers['content-type'], 'image/webp');
    const bad = await editor.postMultipart(
      `${admin}/${row.id}/image`,
      {},
      { image: { filename: 'x.svg', type: 'image/svg+xml', bytes: Buffer.from('<svg onload="alert(1)"/>') } },
    );
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /id="image-error"/);
  });

  test('follows page: follow a venue with tags, follow a tag; errors shown; the followed venue lists its relays', async () => {
    const page = await editor.get(`${admin}/follows`);
    assert.equal(page.statusCode, 200);
    assert.equal(
      (await editor.postForm(`${admin}/follows`, { followedPlaceId: other.id, includeTags: 'maloya', excludeTags: '' }))
        .statusCode,
      303,
    );
    assert.equal((await editor.postForm(`${admin}/follows/tag`, { tag: 'Jazz' })).statusCode, 303);
    const bad = await editor.postForm(`${admin}/follows/tag`, { tag: '!!!' });
    assert.equal(bad.statusCode, 422);
    assert.match(bad.body, /Étiquette « !!! » incorrecte/);
    const after = await editor.get(`${admin}/follows`);
    assert.match(after.body, /Venue kabaret/);
    assert.match(after.body, /#jazz/);
    assert.match((await t.client().get('/venues/kabaret')).body, /relaient cet agenda[\s\S]*Venue la-fabrik/);
  });

  test('proposals: a visitor proposes once the venue accepts them; the editor approves from the queue', async () => {
    const visitor = await t.loginAs('visitor@example.org');
    assert.equal((await visitor.get('/venues/la-fabrik/propose')).statusCode, 403);
    assert.equal((await editor.postForm(`${admin}/settings`, { acceptsProposals: 'on' })).statusCode, 303);
    assert.match((await t.client().get('/venues/la-fabrik')).body, /Proposer un événement/);
    assert.equal((await visitor.get('/venues/la-fabrik/propose')).statusCode, 200);
    const sent = await visitor.postForm('/venues/la-fabrik/propose', {
      title: 'Troc de plantes',
      visibility: 'private',
      atVenue: 'on',
      startsAt: ['2027-03-01T09:00'],
      timezone: ['Indian/Reunion'],
    });
    assert.equal(sent.statusCode, 200, sent.body.slice(0, 400));
    const row = (await eventRow('Troc de plantes'))!;
    assert.equal(row.proposal_state, 'pending');
    assert.equal(row.visibility, 'public');
    const queue = await editor.get(`${admin}/proposals`);
    assert.match(queue.body, /Troc de plantes/);
    assert.equal((await editor.postForm(`${admin}/${row.id}/review`, { decision: 'approve' })).statusCode, 303);
    assert.equal((await eventRow('Troc de plantes'))!.state, 'published');
    assert.equal(
      (await t.client().get('/venues/la-fabrik/propose')).statusCode,
      303,
      'anonymous visitors are sent to log in',
    );
  });

  test('door staff, strangers and other venues’ admins cannot open or post the admin pages', async () => {
    const door = await t.loginAs('door@example.org');
    const stranger = await t.loginAs('nobody@example.org');
    const otherAdmin = await t.loginAs('admin-kabaret@example.org');
    const row = await byId(atelierId);
    for (const c of [door, stranger, otherAdmin]) {
      assert.equal((await c.get(admin)).statusCode, 403);
      assert.equal((await c.postForm(`${admin}/${row.id}/cancel`, {})).statusCode, 403);
    }
    // An event of another venue under this venue's URL is not found.
    const theirs = await t.db.selectFrom('events').select('id').where('place_id', '=', other.id).executeTakeFirst();
    if (theirs) assert.equal((await editor.get(`${admin}/${theirs.id}`)).statusCode, 404);
    assert.equal((await editor.get(`${admin}/not-an-id`)).statusCode, 404);
  });
});

describe('events API', () => {
  test('a venue key with events:write creates, patches, publishes, cancels and deletes drafts; schema errors are 422', async () => {
    const { secret } = await createApiKey(t.db, place.admin, {
      slug: 'la-fabrik',
      name: 'site',
      scopes: ['events:write'],
    });
    const created = await withKey(t.app, secret, 'POST', '/api/v1/events', {
      title: 'Par API',
      tags: ['api'],
      dates: [{ startsAt: '2027-05-01T20:00' }],
      description: '<script>x()</script>ok',
    });
    assert.equal(created.statusCode, 201, created.body);
    const body = created.json();
    assert.equal(body['@type'], 'Event');
    assert.equal(body.state, 'draft');
    assert.equal(body.dates[0].startDate, '2027-05-01T16:00:00.000Z');
    assert.doesNotMatch(body.description, /script/);
    const patched = await withKey(t.app, secret, 'PATCH', `/api/v1/events/${body.id}`, { title: 'Par API (modifié)' });
    assert.equal(patched.json().name, 'Par API (modifié)');
    assert.deepEqual(patched.json().keywords, ['api']);
    assert.equal(patched.json().dates[0].id, body.dates[0].id);
    assert.equal((await withKey(t.app, secret, 'POST', `/api/v1/events/${body.id}/publish`)).statusCode, 200);
    assert.equal((await t.app.inject(`/api/v1/events/${body.slug}`)).statusCode, 200);
    assert.equal((await withKey(t.app, secret, 'DELETE', `/api/v1/events/${body.id}`)).statusCode, 409);
    const draft = (
      await withKey(t.app, secret, 'POST', '/api/v1/events', {
        title: 'Brouillon API',
        dates: [{ startsAt: '2027-05-02T20:00' }],
      })
    ).json();
    assert.equal((await withKey(t.app, secret, 'DELETE', `/api/v1/events/${draft.id}`)).statusCode, 204);
    const invalid = await withKey(t.app, secret, 'POST', '/api/v1/events', {
      title: 'X',
      dates: [{ startsAt: '2027-05-02T20:00', endsAt: '2027-05-02T19:00' }],
      extra: 1,
    });
    assert.equal(invalid.statusCode, 422);
    const bad = await withKey(t.app, secret, 'POST', '/api/v1/events', {
      title: 'X',
      dates: [{ startsAt: '2027-05-02T20:00', endsAt: '2027-05-02T19:00' }],
    });
    assert.equal(bad.statusCode, 422);
    assert.equal(bad.json().errors[0].field, 'dates.0.endsAt');
  });

  test('a key without events:write, or of another venue, is refused; anonymous writes are 401', async () => {
    const { secret: readOnly } = await createApiKey(t.db, place.admin, {
      slug: 'la-fabrik',
      name: 'lecture',
      scopes: ['place:read'],
    });
    assert.equal(
      (
        await withKey(t.app, readOnly, 'POST', '/api/v1/events', {
          title: 'Non',
          dates: [{ startsAt: '2027-05-01T20:00' }],
        })
      ).statusCode,
      403,
    );
    const { secret: theirs } = await createApiKey(t.db, other.admin, {
      slug: 'kabaret',
      name: 'eux',
      scopes: ['events:write'],
    });
    const mine = (
      await t.db.selectFrom('events').select('id').where('title', '=', 'Par API (modifié)').executeTakeFirstOrThrow()
    ).id;
    assert.equal((await withKey(t.app, theirs, 'PATCH', `/api/v1/events/${mine}`, { title: 'Volé' })).statusCode, 403);
    assert.equal(
      (
        await withKey(t.app, theirs, 'POST', '/api/v1/events', {
          venue: 'la-fabrik',
          title: 'Chez eux',
          dates: [{ startsAt: '2027-05-01T20:00' }],
        })
      ).statusCode,
      403,
    );
    const anon = await t.app.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'Anon', dates: [] } });
    assert.ok([401, 403].includes(anon.statusCode));
  });

  test('list: filters and cursor pagination with an opaque cursor; the OpenAPI document has the events paths', async () => {
    const first = (await t.app.inject('/api/v1/events?limit=1')).json();
    assert.equal(first.items.length, 1);
    assert.ok(first.nextCursor);
    const second = (await t.app.inject(`/api/v1/events?limit=1&cursor=${first.nextCursor}`)).json();
    assert.notEqual(second.items[0].dateId, first.items[0].dateId);
    assert.ok(
      (await t.app.inject('/api/v1/events?tag=api'))
        .json()
        .items.every((i: { keywords: string[] }) => i.keywords.includes('api')),
    );
    const openapi = (await t.app.inject('/api/openapi.json')).json();
    for (const path of ['/api/v1/events', '/api/v1/events/{id}']) assert.ok(openapi.paths[path], path);
  });
});
