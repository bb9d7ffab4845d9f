import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestNode, withKey, type Client, type TestNode } from '../../test/harness.ts';
import { SYSTEM, personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { createPlace } from '../places/createPlace.ts';
import { tillConfig } from './posConfig.ts';
import { saveArticle } from './saveArticle.ts';
import { countRows } from '../../test/testDatabase.ts';

let t: TestNode;
let admin: Client;
let placeId: string;
let otherId: string;
let adminId: string;
let key: string;

/** Everything the setup of a venue wrote, to check that a refused request wrote nothing. */
const snapshot = async (id = placeId) => ({
  points: await t.db.selectFrom('pos_points').selectAll().where('place_id', '=', id).orderBy('id').execute(),
  categories: await t.db.selectFrom('pos_categories').selectAll().where('place_id', '=', id).orderBy('id').execute(),
  articles: await t.db.selectFrom('pos_articles').selectAll().where('place_id', '=', id).orderBy('id').execute(),
  links: await t.db
    .selectFrom('pos_point_articles')
    .selectAll()
    .where('place_id', '=', id)
    .orderBy('point_id')
    .orderBy('position')
    .execute(),
  settings: await t.db.selectFrom('till_settings').selectAll().where('place_id', '=', id).execute(),
});

before(async () => {
  t = await createTestNode();
  admin = await t.loginAs('admin@fest.example');
  assert.equal((await admin.postForm('/venues/new', { slug: 'le-fest', name: 'Le Fest' })).statusCode, 303);
  placeId = (await t.db.selectFrom('places').select('id').where('slug', '=', 'le-fest').executeTakeFirstOrThrow()).id;
  adminId = (
    await t.db.selectFrom('people').select('id').where('email', '=', 'admin@fest.example').executeTakeFirstOrThrow()
  ).id;
  const other = await ensurePerson(t.db, 'admin@voisin.example', 'fr');
  otherId = (await createPlace(t.db, SYSTEM, { slug: 'le-voisin', name: 'Le Voisin' }, other.id)).id;
  key = (await createApiKey(t.db, personActor(adminId), { slug: 'le-fest', name: 'setup', scopes: ['place:write'] }))
    .secret;
});
after(async () => {
  await t.close();
});

test('points of sale through the pages: create, errors, choose and order articles, archive', async () => {
  assert.equal((await admin.get('/places/le-fest/till/setup')).headers.location, '/venues/le-fest/admin/till/setup');
  const form = await admin.get('/venues/le-fest/admin/till/setup/points/new');
  assert.equal(form.statusCode, 200);
  assert.match(form.body, /Moyens de paiement acceptés/);

  const bad = await admin.postForm('/venues/le-fest/admin/till/setup/points', { name: '' });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /Ce champ est obligatoire/);
  assert.match(bad.body, /Choisissez au moins un moyen de paiement/);
  const badMethod = await admin.postForm('/venues/le-fest/admin/till/setup/points', {
    name: 'Bar',
    paymentMethods: ['cash', 'cheque'],
  });
  assert.equal(badMethod.statusCode, 422);
  assert.match(badMethod.body, /Ce choix n’est pas possible/);
  assert.equal((await snapshot()).points.length, 0, 'refusals wrote nothing');

  const made = await admin.postForm('/venues/le-fest/admin/till/setup/points', {
    name: 'Bar',
    paymentMethods: ['cash', 'card'],
  });
  assert.equal(made.statusCode, 303);
  const bar = (await snapshot()).points[0]!;
  assert.equal(made.headers.location, `/venues/le-fest/admin/till/setup/points/${bar.id}`);
  assert.deepEqual(bar.payment_methods, ['card', 'cash']);

  const actor = personActor(adminId);
  const dodo = await saveArticle(t.db, actor, { placeId, name: 'Dodo', kind: 'sale', priceCents: 350, vatRate: 850 });
  const jus = await saveArticle(t.db, actor, { placeId, name: 'Jus', kind: 'sale', priceCents: 250, vatRate: 850 });
  const eau = await saveArticle(t.db, actor, { placeId, name: 'Eau', kind: 'sale', priceCents: 100, vatRate: 210 });
  const old = await saveArticle(t.db, actor, {
    placeId,
    name: 'Ancien',
    kind: 'sale',
    priceCents: 100,
    archived: true,
  });

  const page = await admin.get(`/venues/le-fest/admin/till/setup/points/${bar.id}`);
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /Dodo/);
  assert.doesNotMatch(page.body, /Ancien/, 'archived articles are not offered');
  // Jus first, then Dodo; Eau ticked without a number goes last.
  const chosen = await admin.postForm(`/venues/le-fest/admin/till/setup/points/${bar.id}/articles`, {
    articleIds: [dodo.id, jus.id, eau.id],
    [`order.${dodo.id}`]: '2',
    [`order.${jus.id}`]: '1',
    [`order.${eau.id}`]: '',
  });
  assert.equal(chosen.statusCode, 303);
  assert.deepEqual(
    (await tillConfig(t.db, placeId)).points[0]!.articles.map((a) => a.name),
    ['Jus', 'Dodo', 'Eau'],
  );
  const withArchived = await admin.postForm(`/venues/le-fest/admin/till/setup/points/${bar.id}/articles`, {
    articleIds: [dodo.id, old.id],
  });
  assert.equal(withArchived.statusCode, 422);
  assert.match(withArchived.body, /archivé/);
  assert.deepEqual(
    (await tillConfig(t.db, placeId)).points[0]!.articles.map((a) => a.name),
    ['Jus', 'Dodo', 'Eau'],
    'the refused list wrote nothing',
  );

  const renamed = await admin.postForm(`/venues/le-fest/admin/till/setup/points/${bar.id}`, {
    name: 'Grand bar',
    position: '3',
  });
  assert.equal(renamed.statusCode, 422, 'no payment method ticked is an error, not "keep"');
  assert.equal(
    (
      await admin.postForm(`/venues/le-fest/admin/till/setup/points/${bar.id}`, {
        name: 'Grand bar',
        paymentMethods: 'bank_card',
        position: '3',
      })
    ).statusCode,
    303,
  );
  const after = (await snapshot()).points[0]!;
  assert.deepEqual([after.name, after.payment_methods, after.position], ['Grand bar', ['bank_card'], 3]);

  assert.equal((await admin.postForm(`/venues/le-fest/admin/till/setup/points/${bar.id}/archive`, {})).statusCode, 303);
  assert.deepEqual((await tillConfig(t.db, placeId)).points, [], 'an archived point leaves the tills');
  assert.match(
    (await admin.get(`/venues/le-fest/admin/till/setup/points/${bar.id}`)).body,
    /Ce point de vente est archivé/,
  );
  assert.equal((await admin.postForm(`/venues/le-fest/admin/till/setup/points/${bar.id}/restore`, {})).statusCode, 303);
  assert.equal((await tillConfig(t.db, placeId)).points.length, 1);
  assert.equal(
    (await admin.get(`/venues/le-fest/admin/till/setup/points/01900000-0000-7000-8000-000000000000`)).statusCode,
    404,
  );
});

test('categories and the business day through the pages', async () => {
  const bad = await admin.postForm('/venues/le-fest/admin/till/setup/categories', { name: 'Boissons', colour: 'bleu' });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /Couleur au format #rrvvbb/);
  assert.equal(
    (await admin.postForm('/venues/le-fest/admin/till/setup/categories', { name: 'Boissons', colour: '#1E88E5' }))
      .statusCode,
    303,
  );
  const category = (await snapshot()).categories[0]!;
  assert.equal(category.colour, '#1e88e5');
  assert.equal(
    (
      await admin.postForm(`/venues/le-fest/admin/till/setup/categories/${category.id}`, {
        name: 'Boissons fraîches',
        colour: '#29b6f6',
      })
    ).statusCode,
    303,
  );
  const dodo = (await snapshot()).articles.find((a) => a.name === 'Dodo')!;
  await saveArticle(t.db, personActor(adminId), { placeId, articleId: dodo.id, categoryId: category.id });
  const inUse = await admin.postForm(`/venues/le-fest/admin/till/setup/categories/${category.id}/delete`, {});
  assert.equal(inUse.statusCode, 409);
  assert.match(inUse.body, /Catégorie utilisée/);
  assert.equal((await snapshot()).categories.length, 1);
  assert.equal(
    (await tillConfig(t.db, placeId)).points[0]!.articles.find((a) => a.name === 'Dodo')!.category?.name,
    'Boissons fraîches',
  );
  await saveArticle(t.db, personActor(adminId), { placeId, articleId: dodo.id, archived: true });
  assert.equal(
    (await admin.postForm(`/venues/le-fest/admin/till/setup/categories/${category.id}/delete`, {})).statusCode,
    303,
    'only archived articles use it',
  );
  assert.equal((await snapshot()).categories.length, 0);
  assert.equal((await snapshot()).articles.find((a) => a.id === dodo.id)!.category_id, null);
  await saveArticle(t.db, personActor(adminId), { placeId, articleId: dodo.id, archived: false });

  const badDay = await admin.postForm('/venues/le-fest/admin/till/setup/settings', { dayStartsAt: '25:00' });
  assert.equal(badDay.statusCode, 422);
  assert.match(badDay.body, /Heure au format HH:MM/);
  assert.equal((await tillConfig(t.db, placeId)).dayStartsAt, '04:00');
  const day = await admin.postForm('/venues/le-fest/admin/till/setup/settings', { dayStartsAt: '5:30' });
  assert.equal(day.statusCode, 200);
  assert.match(day.body, /commence désormais à 05:30/);
  assert.equal((await tillConfig(t.db, placeId)).dayStartsAt, '05:30');
});

test('the setup API: read, points, order of articles, categories, settings', async () => {
  const base = `/api/v1/places/${placeId}/pos`;
  const read = await withKey(t.app, key, 'GET', base);
  assert.equal(read.statusCode, 200);
  const setup = read.json();
  assert.equal(setup.dayStartsAt, '05:30');
  assert.deepEqual(
    setup.points.map((p: { name: string }) => p.name),
    ['Grand bar'],
  );
  assert.ok(
    setup.articles.some((a: { name: string; archived: boolean }) => a.name === 'Ancien' && a.archived),
    'archived articles are listed for the admin',
  );

  const desk = await withKey(t.app, key, 'POST', `${base}/points`, { name: 'Accueil', paymentMethods: ['cash'] });
  assert.equal(desk.statusCode, 201);
  assert.equal(desk.json().position, 4, 'a new point goes last');
  const noMethods = await withKey(t.app, key, 'POST', `${base}/points`, { name: 'Vide', paymentMethods: [] });
  assert.equal(noMethods.statusCode, 422);
  assert.deepEqual(
    noMethods.json().errors.map((e: { field: string }) => e.field),
    ['paymentMethods'],
  );
  const patched = await withKey(t.app, key, 'PATCH', `${base}/points/${desk.json().id}`, { position: 0 });
  assert.deepEqual(
    [patched.json().name, patched.json().position, patched.json().paymentMethods],
    ['Accueil', 0, ['cash']],
  );
  const ids = setup.articles
    .filter((a: { archived: boolean }) => !a.archived)
    .map((a: { id: string }) => a.id)
    .reverse();
  const twice = await withKey(t.app, key, 'PUT', `${base}/points/${desk.json().id}/articles`, {
    articleIds: [ids[0], ids[0]],
  });
  assert.equal(twice.statusCode, 422);
  const set = await withKey(t.app, key, 'PUT', `${base}/points/${desk.json().id}/articles`, { articleIds: ids });
  assert.equal(set.statusCode, 200);
  const config = await tillConfig(t.db, placeId);
  assert.deepEqual(
    config.points.map((p) => p.name),
    ['Accueil', 'Grand bar'],
    'points in their order',
  );
  assert.deepEqual(
    config.points[0]!.articles.map((a) => a.id),
    ids,
  );
  assert.equal(
    (await withKey(t.app, key, 'PUT', `${base}/points/${desk.json().id}/articles`, { articleIds: [] })).json()
      .articleIds.length,
    0,
  );

  const cat = await withKey(t.app, key, 'POST', `${base}/categories`, { name: 'Cuisine', colour: '#43a047' });
  assert.equal(cat.statusCode, 201);
  assert.equal(
    (await withKey(t.app, key, 'PATCH', `${base}/categories/${cat.json().id}`, { colour: '#2E7D32' })).json().colour,
    '#2e7d32',
  );
  assert.equal((await withKey(t.app, key, 'DELETE', `${base}/categories/${cat.json().id}`)).statusCode, 204);
  assert.equal((await withKey(t.app, key, 'DELETE', `${base}/categories/${cat.json().id}`)).statusCode, 404);
  assert.equal(
    (await withKey(t.app, key, 'PUT', `${base}/settings`, { dayStartsAt: '04:00' })).json().dayStartsAt,
    '04:00',
  );
  assert.equal((await withKey(t.app, key, 'PUT', `${base}/settings`, { dayStartsAt: 'minuit' })).statusCode, 422);
});

test("another venue's admin, a cashier, a key of another venue or without place:write: 403 and nothing written", async () => {
  const cashier = await t.loginAs('cashier@fest.example');
  const cashierId = (
    await t.db.selectFrom('people').select('id').where('email', '=', 'cashier@fest.example').executeTakeFirstOrThrow()
  ).id;
  await t.db.insertInto('place_members').values({ place_id: placeId, person_id: cashierId, role: 'cashier' }).execute();
  const otherAdmin = await t.loginAs('admin@voisin.example');
  const before = await snapshot();
  const point = before.points[0]!;
  const category = (
    await withKey(t.app, key, 'POST', `/api/v1/places/${placeId}/pos/categories`, { name: 'Bar' })
  ).json();
  const withCategory = await snapshot();
  const base = `/api/v1/places/${placeId}/pos`;
  for (const client of [cashier, otherAdmin]) {
    assert.equal((await client.get('/venues/le-fest/admin/till/setup')).statusCode, 403);
    assert.equal((await client.get(`/venues/le-fest/admin/till/setup/points/${point.id}`)).statusCode, 403);
    assert.equal(
      (await client.postForm('/venues/le-fest/admin/till/setup/points', { name: 'Pirate', paymentMethods: 'cash' }))
        .statusCode,
      403,
    );
    assert.equal(
      (await client.postForm(`/venues/le-fest/admin/till/setup/points/${point.id}/archive`, {})).statusCode,
      403,
    );
    assert.equal(
      (await client.postForm(`/venues/le-fest/admin/till/setup/points/${point.id}/articles`, { articleIds: [] }))
        .statusCode,
      403,
    );
    assert.equal(
      (await client.postForm('/venues/le-fest/admin/till/setup/categories', { name: 'Pirate' })).statusCode,
      403,
    );
    assert.equal(
      (await client.postForm(`/venues/le-fest/admin/till/setup/categories/${category.id}/delete`, {})).statusCode,
      403,
    );
    assert.equal(
      (await client.postForm('/venues/le-fest/admin/till/setup/settings', { dayStartsAt: '06:00' })).statusCode,
      403,
    );
    assert.equal((await client.api('GET', base)).statusCode, 403);
    assert.equal(
      (await client.api('POST', `${base}/points`, { name: 'Pirate', paymentMethods: ['cash'] })).statusCode,
      403,
    );
    assert.equal((await client.api('PATCH', `${base}/points/${point.id}`, { archived: true })).statusCode, 403);
    assert.equal((await client.api('PUT', `${base}/points/${point.id}/articles`, { articleIds: [] })).statusCode, 403);
    assert.equal((await client.api('DELETE', `${base}/categories/${category.id}`)).statusCode, 403);
    assert.equal((await client.api('PUT', `${base}/settings`, { dayStartsAt: '06:00' })).statusCode, 403);
  }
  const otherKey = (await createApiKey(t.db, SYSTEM, { slug: 'le-voisin', name: 'k', scopes: ['place:write'] })).secret;
  const readKey = (
    await createApiKey(t.db, personActor(adminId), { slug: 'le-fest', name: 'r', scopes: ['place:read'] })
  ).secret;
  for (const k of [otherKey, readKey]) {
    assert.equal(
      (await withKey(t.app, k, 'POST', `${base}/points`, { name: 'Pirate', paymentMethods: ['cash'] })).statusCode,
      403,
    );
    assert.equal((await withKey(t.app, k, 'PATCH', `${base}/points/${point.id}`, { archived: true })).statusCode, 403);
    assert.equal((await withKey(t.app, k, 'GET', base)).statusCode, 403);
  }
  // The other venue's own key on its own path cannot reach this venue's rows.
  assert.equal(
    (await withKey(t.app, otherKey, 'PATCH', `/api/v1/places/${otherId}/pos/points/${point.id}`, { archived: true }))
      .statusCode,
    404,
  );
  assert.equal(
    (
      await withKey(t.app, otherKey, 'PUT', `/api/v1/places/${otherId}/pos/points/${point.id}/articles`, {
        articleIds: [],
      })
    ).statusCode,
    404,
  );
  const foreignArticle = await withKey(t.app, otherKey, 'POST', `/api/v1/places/${otherId}/pos/points`, {
    name: 'Chez le voisin',
    paymentMethods: ['cash'],
  });
  assert.equal(foreignArticle.statusCode, 201);
  const mixed = await withKey(
    t.app,
    otherKey,
    'PUT',
    `/api/v1/places/${otherId}/pos/points/${foreignArticle.json().id}/articles`,
    { articleIds: before.articles.slice(0, 1).map((a) => a.id) },
  );
  assert.equal(mixed.statusCode, 422, "a point cannot show another venue's article");
  assert.deepEqual(await snapshot(), withCategory, 'nothing written');
  assert.equal(
    (await withKey(t.app, key, 'GET', `/api/v1/places/01900000-0000-7000-8000-000000000000/pos`)).statusCode,
    404,
  );
});

test('a PATCH with nothing to change answers 200 with the unchanged point or category, and writes nothing', async () => {
  const point = await withKey(t.app, key, 'POST', `/api/v1/places/${placeId}/pos/points`, {
    name: 'Buvette',
    paymentMethods: ['card'],
  });
  assert.equal(point.statusCode, 201, point.body);
  const category = await withKey(t.app, key, 'POST', `/api/v1/places/${placeId}/pos/categories`, {
    name: 'Snacks',
    colour: '#123456',
  });
  assert.equal(category.statusCode, 201, category.body);
  const before = await snapshot();
  const audits = async () => countRows(t.db, 'audit_log');
  const auditsBefore = await audits();
  const samePoint = await withKey(t.app, key, 'PATCH', `/api/v1/places/${placeId}/pos/points/${point.json().id}`, {});
  assert.equal(samePoint.statusCode, 200, samePoint.body);
  assert.deepEqual(samePoint.json(), point.json());
  const sameCategory = await withKey(
    t.app,
    key,
    'PATCH',
    `/api/v1/places/${placeId}/pos/categories/${category.json().id}`,
    {},
  );
  assert.equal(sameCategory.statusCode, 200, sameCategory.body);
  assert.deepEqual(sameCategory.json(), category.json());
  assert.deepEqual(await snapshot(), before);
  assert.equal(await audits(), auditsBefore);
  // An unknown point is still a 404, with or without changes.
  const missing = await withKey(
    t.app,
    key,
    'PATCH',
    `/api/v1/places/${placeId}/pos/points/0190f3a0-0000-7000-8000-0000000000ff`,
    {},
  );
  assert.equal(missing.statusCode, 404);
});
