import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { loadDemo } from '../demo/loadDemo.ts';
import { countAgenda, listAgenda } from './agendaQuery.ts';

let t: TestNode;
useTestNode((node) => (t = node));

test('the demo territory has 60+ public events over 90 days, follows, and one cancelled, unlisted and private event', async () => {
  assert.equal(await loadDemo(t.db, t.config), true);
  const now = new Date();
  const in90 = new Date(now.getTime() + 90 * 86_400_000);
  const listed = await countAgenda(t.db, { kind: 'territory' }, { from: now, to: in90 });
  assert.ok(listed >= 60, `${listed} listed dates`);
  const byVenue = await t.db
    .selectFrom('events')
    .select(['place_id', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('place_id')
    .execute();
  assert.equal(byVenue.length, 4);
  const states = await t.db.selectFrom('events').select(['state', 'visibility']).execute();
  assert.equal(states.filter((s) => s.state === 'cancelled').length, 1);
  assert.equal(states.filter((s) => s.visibility === 'unlisted').length, 1);
  assert.equal(states.filter((s) => s.visibility === 'private').length, 1);
  // Every recurring demo event has a generated poster, stored as the two WebP variants of an upload.
  const posters = await t.db
    .selectFrom('events')
    .innerJoin('media as l', 'l.id', 'events.image_list_media_id')
    .innerJoin('media as p', 'p.id', 'events.image_page_media_id')
    .select(['l.content_type', 'l.width as lw', 'p.width as pw'])
    .execute();
  assert.equal(posters.length, states.length - 2, 'all but the unlisted and private events');
  assert.ok(posters.every((m) => m.content_type === 'image/webp' && m.lw === 480 && m.pw === 1200));
  assert.ok((await t.db.selectFrom('place_follows').select('place_id').execute()).length >= 3);
  assert.ok((await t.db.selectFrom('tag_follows').select('place_id').execute()).length >= 1);
  const fabrik = await t.db.selectFrom('places').select('id').where('slug', '=', 'la-fabrik').executeTakeFirstOrThrow();
  const agenda = await listAgenda(t.db, { kind: 'venue', placeId: fabrik.id, withFollowed: true }, {}, { limit: 200 });
  assert.ok(
    agenda.items.some((i) => i.origin === 'followed'),
    'La Fabrik relays other venues',
  );
  assert.ok(
    agenda.items.every(
      (i) => i.origin === 'own' || i.tags.some((tag) => ['maloya', 'sega'].includes(tag)) || i.place.id !== fabrik.id,
    ),
  );
  assert.equal((await t.client().get('/agenda')).statusCode, 200);
});
