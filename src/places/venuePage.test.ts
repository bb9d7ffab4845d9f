import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { loadDemo } from '../demo/loadDemo.ts';

/** Issue 16 §4: a venue's public page as a visitor reads it. */
let t: TestNode;

before(async () => {
  t = await createTestNode({ demoPayments: true });
  assert.equal(await loadDemo(t.db, t.config), true);
});
after(() => t.close());

test('logo and cover, "Adhérer" before the agenda, the next events, then memberships and the map with the address', async () => {
  const page = await t.client().get('/venues/la-fabrik');
  assert.equal(page.statusCode, 200);
  const body = page.body;
  const at = (needle: string | RegExp) => {
    const index = typeof needle === 'string' ? body.indexOf(needle) : body.search(needle);
    assert.ok(index >= 0, `the page shows ${String(needle)}`);
    return index;
  };
  const cover = at(/<img class="cover" src="\/media\/[^"]+"/);
  const logo = at(/<img class="logo" src="\/media\/[^"]+" alt="Logo de La Fabrik"/);
  const join = at('<a class="button" href="#memberships">Adhérer à La Fabrik</a>');
  const agenda = at('id="agenda-heading"');
  const firstEvent = at('<ul class="cards">');
  const memberships = at('id="memberships"');
  const map = at(/<div class="map" id="event-map" data-lat="-21\.\d+" data-lon="55\.\d+"/);
  at('12 rue des Bons Enfants, 97410 Saint-Pierre');
  assert.ok(cover < logo && logo < join && join < agenda && agenda < firstEvent && firstEvent < memberships);
  assert.ok(memberships < map);
  // The venue page's filters stay closed, even on a wide screen: its events come first.
  assert.match(body, /<details class="filters-box">/);
  // No raw coordinates nor zone names in the words of the page (only in the map box's data).
  const words = body.replace(/<[^>]+>/g, ' ');
  assert.doesNotMatch(words, /-21[.,]\d{3}|55[.,]\d{3}/);
  assert.doesNotMatch(words, /Indian\/Reunion|Fuseau horaire/);
  // The map's tiles are the only images from elsewhere, allowed on this page.
  assert.match(String(page.headers['content-security-policy']), /img-src 'self' https:\/\/tile\.openstreetmap\.org/);
  for (const src of body.match(/\/media\/[0-9a-f-]+/g)!.slice(0, 2)) {
    const image = await t.client().get(src);
    assert.equal(image.statusCode, 200);
    assert.match(String(image.headers['content-type']), /^image\/png/);
  }
});

test('a venue without membership offers has no "Adhérer"', async () => {
  const page = await t.client().get('/venues/jardin-partage');
  assert.equal(page.statusCode, 200);
  const offers = page.body.includes('id="memberships"');
  assert.equal(page.body.includes('href="#memberships"'), offers);
});
