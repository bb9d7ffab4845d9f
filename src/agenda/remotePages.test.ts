import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { parseRemoteEvent, type RemoteEvent } from '../federation/parseRemoteEvent.ts';
import { storeRemoteEvent } from '../federation/storeRemoteEvent.ts';
import { followed } from '../federation/testFixtures.ts';
import { inDays, venue } from './testFixtures.ts';

/** The page of a received event (remotePages.ts) and its card on the agenda, through the node's HTTP. */
let t: TestNode;
const actor = 'https://mobilizon.test/@kabar';
let n = 0;
async function receive(changes: Record<string, unknown>): Promise<string> {
  const object = {
    type: 'Event',
    id: 'https://mobilizon.test/events/kabar',
    name: 'Kabar <maloya>',
    url: 'https://mobilizon.test/events/kabar/page',
    startTime: `${inDays(12).slice(0, 10)}T18:30:00+04:00`,
    endTime: `${inDays(12).slice(0, 10)}T23:00:00+04:00`,
    timezone: 'Indian/Reunion',
    content: '<p onclick="x()">Un <b>bal</b><script>alert(1)</script> <a href="javascript:alert(2)">piège</a></p>',
    location: {
      type: 'Place',
      name: 'Case à lire',
      address: { streetAddress: '3 rue des Bois', addressLocality: 'Saint-Leu' },
    },
    attachment: [{ type: 'Document', mediaType: 'image/jpeg', url: 'https://media.mobilizon.test/affiche.jpg' }],
    externalParticipationUrl: 'https://billets.test/kabar',
    remainingAttendeeCapacity: 3,
    offers: [{ availability: 'https://schema.org/LimitedAvailability' }],
    tag: [{ type: 'Hashtag', name: '#maloya' }],
    updated: new Date(Date.now() - 60_000 + n * 1000).toISOString(),
    ...changes,
  };
  const event = parseRemoteEvent(object) as RemoteEvent;
  assert.equal(await storeRemoteEvent(t.db, { activityId: `${actor}/a/${++n}`, actor, object, event }), 'stored');
  const row = await t.db.selectFrom('federation_remote_events').select('local_id').executeTakeFirstOrThrow();
  return `/agenda/remote/${row.local_id}`;
}
const get = async (url: string, lang = 'fr') => {
  const r = await t.app.inject({ url, headers: { 'accept-language': lang } });
  return { status: r.statusCode, body: r.body, csp: String(r.headers['content-security-policy'] ?? '') };
};

before(async () => {
  t = await createTestNode();
  const place = await venue(t.db, 'kabaret');
  await followed(t.db, actor, { include: ['maloya'] }, place.id);
});
after(() => t?.close());

describe('the page of a received event', () => {
  let path: string;
  test('title, dates in its zone, place, origin, booking button to the origin, availability as of its receipt', async () => {
    path = await receive({});
    const { status, body } = await get(path, 'en');
    assert.equal(status, 200);
    assert.match(body, /<h1>Kabar &lt;maloya&gt;/);
    assert.match(body, /6:30\s?PM – 11:00\s?PM|18:30 – 23:00/, 'the times in Indian/Reunion');
    assert.match(body, /Case à lire, 3 rue des Bois, Saint-Leu/);
    assert.match(body, /From mobilizon\.test on mobilizon\.test/);
    assert.match(
      body,
      /<a class="button" href="https:\/\/billets\.test\/kabar" rel="noopener nofollow noreferrer">Book or take part on billets\.test<\/a>/,
    );
    assert.match(body, /<strong>Last places<\/strong> · 3 places left <span class="hint">\(as of /);
    assert.match(body, /href="https:\/\/mobilizon\.test\/events\/kabar\/page"/);
    assert.match(body, /<meta name="robots" content="noindex">/);
  });

  test('the description sanitised; the image a link, never an <img> from elsewhere', async () => {
    const { body, csp } = await get(path);
    assert.match(body, /Un <b>bal<\/b>/);
    assert.doesNotMatch(body, /alert\(|onclick|javascript:/);
    assert.match(
      body,
      /<a href="https:\/\/media\.mobilizon\.test\/affiche\.jpg" rel="noopener nofollow noreferrer">Voir l&#39;affiche \(sur media\.mobilizon\.test\)<\/a>/,
    );
    assert.doesNotMatch(body, /<img[^>]+mobilizon/);
    assert.doesNotMatch(csp, /mobilizon/);
  });

  test('sold out: "Complet" in French, "Sold out" in English, no places count', async () => {
    await receive({ offers: [{ availability: 'SoldOut' }], remainingAttendeeCapacity: 0 });
    assert.match((await get(path)).body, /<strong>Complet<\/strong> <span class="hint">\(au /);
    assert.match((await get(path, 'en')).body, /<strong>Sold out<\/strong> <span class="hint">/);
  });

  test('cancelled: marked, no booking button', async () => {
    await receive({ status: 'CANCELLED' });
    const { body } = await get(path);
    assert.match(body, /badge-cancelled/);
    assert.match(body, /Cet évènement est annulé/);
    assert.doesNotMatch(body, /billets\.test/);
  });

  test("the venue's agenda card links to the page and names the origin", async () => {
    const { body } = await get('/venues/kabaret');
    assert.ok(body.includes(`href="${path}"`));
    assert.match(body, /De mobilizon\.test sur mobilizon\.test/);
  });

  test('removed by an operator, unfollowed, unknown or not a UUID: 404', async () => {
    await t.db.updateTable('federation_remote_events').set({ removed_by_operator: true }).execute();
    assert.equal((await get(path)).status, 404);
    await t.db.updateTable('federation_remote_events').set({ removed_by_operator: false }).execute();
    assert.equal((await get(path)).status, 200);
    await t.db.deleteFrom('federation_follows').execute();
    assert.equal((await get(path)).status, 404);
    assert.equal((await get('/agenda/remote/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await get('/agenda/remote/not-a-uuid')).status, 404);
  });
});
