import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixture } from './fixtures/load.ts';
import type { RemoteEvent } from './parseRemoteEvent.ts';
import { useNodeWithRemotes } from './testFixtures.ts';

/**
 * Gancio's events through the real inbox over HTTP: a Create shaped as Gancio sends it (its instance
 * actor, `to`/`cc` as strings, the object's `endTime: null`, a text address, coordinates as numeric
 * strings), signed with node:crypto the way Gancio signs (draft-cavage, rsa-sha256,
 * `(request-target) host date digest`, no content-length), its actor on a loopback server and
 * followed; and Gancio's parsing traps: an attachment without `mediaType`, no `attachment` at all,
 * `content` that is not a string.
 */
const GANCIO_HEADERS = ['(request-target)', 'host', 'date', 'digest'];
const world = useNodeWithRemotes({
  gancio: { path: '/federation/u/relay', type: 'Application', name: 'Gancio Bologna', followed: true },
});

let n = 0;
/** A Create as Gancio wraps its events, of the fixture `name` with `changes`, delivered signed; the stored parsed fields. */
async function receive(name: string, changes: Record<string, unknown> = {}): Promise<RemoteEvent> {
  const { node, remotes } = world;
  const gancio = remotes.gancio;
  const object = {
    ...(JSON.parse(JSON.stringify(fixture(name)).replaceAll('https://gancio.test', gancio.origin)) as Record<
      string,
      unknown
    >),
    ...changes,
  };
  const id = `${gancio.origin}/federation/m/${++n}`;
  object.id = id;
  const create = {
    '@context': ['https://www.w3.org/ns/activitystreams'],
    id: `${id}#create`,
    type: 'Create',
    to: ['https://www.w3.org/ns/activitystreams#Public'],
    cc: [`${gancio.actor}/followers`],
    actor: gancio.actor,
    object,
  };
  assert.equal(await gancio.deliver(`${node.url}/ap/inbox`, JSON.stringify(create), GANCIO_HEADERS), 202);
  const row = await node.db
    .selectFrom('federation_remote_events')
    .select(['parsed', 'origin_actor'])
    .where('id', '=', id)
    .executeTakeFirst();
  assert.ok(row?.parsed, `${name} stored`);
  assert.equal(row.origin_actor, gancio.actor);
  return row.parsed;
}

describe("Gancio's Create through the inbox", () => {
  test('verified with Gancio’s signature, parsed: text address, string coordinates, no end, its image', async () => {
    const event = await receive('gancio-event');
    assert.equal(event.name, 'Cineforum: Le Havre');
    assert.equal(event.startsAt, '2026-12-18T20:00:00.000Z');
    assert.equal(event.endsAt, null);
    assert.equal(event.place?.address, 'Via del Pratello 53, Bologna');
    assert.equal(event.place?.latitude, 44.4955);
    assert.deepEqual(
      event.images.map((i) => [i.url, i.mediaType]),
      [[`${world.remotes.gancio.origin}/media/6f3a2b1c.jpg`, 'image/jpeg']],
    );
    assert.deepEqual(event.tags, ['cinema', 'kaurismäki']);
  });

  test('an attachment without mediaType is still an image (by its extension)', async () => {
    const event = await receive('gancio-event', {
      attachment: [{ type: 'Document', url: `${world.remotes.gancio.origin}/media/poster.png`, name: null }],
    });
    assert.deepEqual(
      event.images.map((i) => i.url),
      [`${world.remotes.gancio.origin}/media/poster.png`],
    );
  });

  test('no attachment array at all: stored without images', async () => {
    const event = await receive('gancio-online-event');
    assert.deepEqual(event.images, []);
  });

  test('content that is not a string (an array, a language map, null) is read as its first string or empty', async () => {
    assert.equal((await receive('gancio-event', { content: ['<p>Uno</p>', '<p>Due</p>'] })).content, '<p>Uno</p>');
    assert.equal((await receive('gancio-event', { content: { it: '<p>Ciao</p>' } })).content, '<p>Ciao</p>');
    assert.equal((await receive('gancio-event', { content: null })).content, '');
  });
});
