import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cancelEvent } from '../agenda/cancelEvent.ts';
import { eventAsInput, findEvent } from '../agenda/events.ts';
import { publishEvent } from '../agenda/publishEvent.ts';
import { updateEvent } from '../agenda/updateEvent.ts';
import { createRezoFederation } from './fedify.ts';
import { followRemoteActor } from './followRemoteActor.ts';
import { deliverOutbox } from './outbox.ts';
import { publishChanges } from './publishChanges.ts';
import { publishedEvent, until, useTwoNodes } from './testFixtures.ts';

/**
 * Received events in the local agenda, end to end over real HTTP (docs/FEDERATION.md, "Built in
 * session 7: remote events in the local agenda"): a venue of node A follows a venue of node B for one
 * tag; B publishes a matching and a non-matching event, then edits, cancels and withdraws the first.
 * A's venue page, its ICS and its RSS show exactly the matching one at each step.
 */
const two = useTwoNodes();
let maloya: string;

/** B's 30 s job, run now: its changes become activities, delivered to A. */
const bPublishes = async () => {
  assert.ok((await publishChanges(two.b.db, two.b.config)) > 0, 'B queued activities');
  await deliverOutbox(two.b.db, two.b.config);
};
const get = async (path: string) => {
  const response = await fetch(`${two.a.url}${path}`, { headers: { 'accept-language': 'en' } });
  return { status: response.status, text: await response.text() };
};
/** What A shows of B on the venue page, the ICS and the RSS, read over HTTP. */
const shown = async () => {
  const [page, ics, rss] = await Promise.all([
    get('/venues/kabaret-a'),
    get('/venues/kabaret-a/agenda.ics'),
    get('/venues/kabaret-a/agenda.rss'),
  ]);
  assert.deepEqual([page.status, ics.status, rss.status], [200, 200, 200]);
  return { page: page.text, ics: ics.text.replace(/\r\n[ \t]/g, ''), rss: rss.text };
};
/** B edits its #maloya event, publishes: what A shows then. */
const bEdits = async (changes: Record<string, unknown>) => {
  const current = (await findEvent(two.b.db, maloya))!;
  await updateEvent(two.b.db, two.venueB.admin, { ...eventAsInput(current), ...changes, eventId: maloya } as never);
  await bPublishes();
  return shown();
};
const remoteLink = (page: string) => /href="(\/agenda\/remote\/[0-9a-f-]{36})"/.exec(page)?.[1] ?? null;

describe("a venue's agenda with a followed venue of another node", () => {
  test("A's venue follows B's venue for #maloya: B's Accept arrives", async () => {
    const fed = createRezoFederation(two.a.db, two.a.config);
    await followRemoteActor(fed, two.a.data, two.venueA.admin, {
      localActor: two.venueA.id,
      remoteActorUrl: `${two.b.url}/ap/actors/${two.venueB.id}`,
      includeTags: ['maloya'],
    });
    assert.equal(await deliverOutbox(two.a.db, two.a.config), 1);
    await until('the Accept', async () => {
      const row = await two.a.db.selectFrom('federation_follows').select('state').executeTakeFirst();
      return row?.state === 'accepted';
    });
  });

  test('B publishes a #maloya and a #jazz event: A shows the first only, on its page, ICS and RSS', async () => {
    const on = (title: string, tag: string, days: number, description?: string) =>
      publishedEvent(two.b.db, two.venueB, { title, tags: [tag], days, ...(description ? { description } : {}) });
    maloya = await on('Maloya sous les étoiles', 'maloya', 10, 'Un **bal** maloya.');
    await on('Jazz au port', 'jazz', 11);
    await bPublishes();
    assert.equal((await two.a.db.selectFrom('federation_remote_events').select('id').execute()).length, 2);

    const { page, ics, rss } = await shown();
    assert.match(page, /Maloya sous les étoiles/);
    assert.doesNotMatch(page, /Jazz au port/);
    assert.match(page, new RegExp(`From Venue la-raffinerie on 127\\.0\\.0\\.1:${two.b.port}`));
    const link = remoteLink(page);
    assert.ok(link, 'the card links to the remote page');
    const localId = link.split('/').pop()!;
    const uid = `UID:${localId.replace(/-/g, '')}@127.0.0.1:${two.b.port}`;
    assert.equal(ics.split('BEGIN:VEVENT').length - 1, 1);
    assert.ok(ics.includes(uid), `the ICS has ${uid}`);
    assert.match(ics, /SUMMARY:Maloya sous les étoiles/);
    assert.ok(
      ics.includes(`URL;VALUE=URI:${two.a.url}${link}`) || ics.includes(`URL:${two.a.url}${link}`),
      'the URL is the page here',
    );
    assert.match(ics, /STATUS:CONFIRMED/);
    assert.doesNotMatch(ics, /Jazz/);
    assert.equal(rss.split('<item>').length - 1, 1);
    assert.ok(rss.includes(`<link>${two.a.url}${link}</link>`));
    assert.ok(rss.includes(`${localId.replace(/-/g, '')}@127.0.0.1:${two.b.port}</guid>`));

    const remote = await get(link);
    assert.equal(remote.status, 200);
    assert.match(remote.text, /<h1>Maloya sous les étoiles/);
    assert.match(remote.text, /<strong>bal<\/strong> maloya/);
    assert.match(remote.text, /noindex/);
  });

  test('B edits the event: A shows the new title', async () => {
    const { page, ics, rss } = await bEdits({ title: 'Maloya au clair de lune' });
    for (const text of [page, ics, rss]) {
      assert.match(text, /Maloya au clair de lune/);
      assert.doesNotMatch(text, /sous les étoiles|Jazz/);
    }
  });

  test('B cancels it: A marks it cancelled (badge, CANCELLED), the page has no booking button', async () => {
    await cancelEvent(two.b.db, two.venueB.admin, { eventId: maloya });
    await bPublishes();
    const { page, ics } = await shown();
    assert.match(page, /badge-cancelled/);
    assert.match(ics, /STATUS:CANCELLED/);
    assert.equal(ics.split('BEGIN:VEVENT').length - 1, 1);
    const remote = await get(remoteLink(page)!);
    assert.match(remote.text, /This event is cancelled/);
    assert.doesNotMatch(remote.text, /Book or take part/);
  });

  test('B withdraws it (private: a Delete): gone from A, its page 404', async () => {
    const link = remoteLink((await shown()).page)!;
    await publishEvent(two.b.db, two.venueB.admin, { eventId: maloya });
    const { page, ics, rss } = await bEdits({ visibility: 'private' });
    for (const text of [page, ics, rss]) assert.doesNotMatch(text, /Maloya|Jazz/);
    assert.equal(remoteLink(page), null);
    assert.equal((await get(link)).status, 404);
  });
});
