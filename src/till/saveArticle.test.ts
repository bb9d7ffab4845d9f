import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestNode, withKey, type Client, type TestNode } from '../../test/harness.ts';
import { SYSTEM, personActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createApiKey } from '../apikeys/createApiKey.ts';
import { createCurrency } from '../ledger/createCurrency.ts';
import { createFederation } from '../ledger/createFederation.ts';
import type { Currency } from '../ledger/ledger.ts';
import { createMembershipProduct } from '../memberships/createMembershipProduct.ts';
import { createPlace } from '../places/createPlace.ts';
import { tillConfig } from './posConfig.ts';
import { readArticleFields, saveArticle } from './saveArticle.ts';
import { saveCategory } from './saveCategory.ts';

let t: TestNode;
let admin: Client;
let placeId: string;
let otherId: string;
let adminId: string;
let key: string;
let rezo: Currency;
let local: Currency;
let gift: Currency;
let otherGift: Currency;
let foreignEuro: Currency;
let productId: string;
let otherProductId: string;
let categoryId: string;

const fieldsOf = (error: unknown) =>
  (error as { fields?: { field: string; message: string }[] }).fields?.map((f) => `${f.field}:${f.message}`) ?? [];
const articles = async (id = placeId) =>
  t.db.selectFrom('pos_articles').selectAll().where('place_id', '=', id).orderBy('id').execute();

before(async () => {
  t = await createTestNode();
  admin = await t.loginAs('admin@kaz.example');
  assert.equal(
    (await admin.postForm('/venues/new', { slug: 'la-kaz', name: 'La Kaz', modules: ['agenda', 'memberships'] }))
      .statusCode,
    303,
  );
  placeId = (await t.db.selectFrom('places').select('id').where('slug', '=', 'la-kaz').executeTakeFirstOrThrow()).id;
  adminId = (
    await t.db.selectFrom('people').select('id').where('email', '=', 'admin@kaz.example').executeTakeFirstOrThrow()
  ).id;
  const other = await ensurePerson(t.db, 'admin@ailleurs.example', 'fr');
  otherId = (await createPlace(t.db, SYSTEM, { slug: 'ailleurs', name: 'Ailleurs' }, other.id)).id;
  const federation = await createFederation(t.db, SYSTEM, {
    slug: 'reseau',
    name: 'Réseau',
    placeIds: [placeId, otherId],
  });
  rezo = await createCurrency(t.db, SYSTEM, {
    code: 'REZO',
    name: 'Rézo €',
    kind: 'federated_euro',
    decimals: 2,
    federationId: federation.id,
  });
  const elsewhere = await createFederation(t.db, SYSTEM, {
    slug: 'autre-reseau',
    name: 'Autre réseau',
    placeIds: [otherId],
  });
  foreignEuro = await createCurrency(t.db, SYSTEM, {
    code: 'AUTRE',
    name: 'Autre €',
    kind: 'federated_euro',
    decimals: 2,
    federationId: elsewhere.id,
  });
  local = await createCurrency(t.db, SYSTEM, {
    code: 'KAZEUR',
    name: 'Euro Kaz',
    kind: 'local_euro',
    decimals: 2,
    issuerPlaceId: placeId,
  });
  gift = await createCurrency(t.db, SYSTEM, {
    code: 'KAZBON',
    name: 'Bon Kaz',
    kind: 'gift',
    decimals: 2,
    issuerPlaceId: placeId,
  });
  otherGift = await createCurrency(t.db, SYSTEM, {
    code: 'AILBON',
    name: 'Bon Ailleurs',
    kind: 'gift',
    decimals: 2,
    issuerPlaceId: otherId,
    acceptedByPlaceIds: [placeId],
  });
  productId = (
    await createMembershipProduct(t.db, personActor(adminId), 'la-kaz', {
      name: 'Annuelle',
      validity_kind: 'calendar_year',
      price_kind: 'fixed',
      price: '10',
    })
  ).id;
  otherProductId = (
    await createMembershipProduct(t.db, SYSTEM, 'ailleurs', {
      name: 'Autre',
      validity_kind: 'calendar_year',
      price_kind: 'free',
    })
  ).id;
  categoryId = (await saveCategory(t.db, personActor(adminId), { placeId, name: 'Boissons', colour: '#1E88E5' })).id;
  key = (await createApiKey(t.db, personActor(adminId), { slug: 'la-kaz', name: 'caisse', scopes: ['place:write'] }))
    .secret;
});
after(async () => {
  await t.close();
});

test('prices typed in euros with a comma or a dot, VAT as a percent, colours', () => {
  const a = readArticleFields({ name: ' Dodo ', kind: 'sale', price: '3,50', vatRate: '8,5', colour: '#FFB300' });
  assert.deepEqual(
    { name: a.name, priceCents: a.priceCents, vatRate: a.vatRate, colour: a.colour },
    { name: 'Dodo', priceCents: 350, vatRate: 850, colour: '#ffb300' },
  );
  assert.equal(readArticleFields({ name: 'Jus', kind: 'sale', price: '2.5', vatRate: '2.1' }).vatRate, 210);
  assert.equal(readArticleFields({ name: 'Jus', kind: 'sale', price: '2.5', vatRate: '20 %' }).vatRate, 2000);
  assert.equal(readArticleFields({ name: 'Jus', kind: 'sale', price: '2.5' }).colour, '#37474f', 'default colour');
  assert.equal(readArticleFields({ name: 'Prix libre', kind: 'sale', openPrice: 'on', price: '' }).priceCents, null);
  assert.equal(readArticleFields({ name: 'Cadeau', kind: 'free', price: '' }).priceCents, 0);
  assert.equal(
    readArticleFields({ name: 'API', kind: 'sale', priceCents: 450, vatRate: 850 }).vatRate,
    850,
    'the API sends basis points',
  );

  const bad = (raw: Record<string, unknown>) => {
    try {
      readArticleFields(raw);
    } catch (error) {
      return fieldsOf(error);
    }
    return [];
  };
  assert.deepEqual(bad({ name: '', kind: 'bière', price: '3,505', vatRate: '8,555', colour: 'rouge' }), [
    'name:required',
    'kind:choice',
    'price:pos.price',
    'vatRate:pos.vat',
    'colour:pos.colour',
  ]);
  assert.deepEqual(bad({ name: 'x'.repeat(81), kind: 'sale', price: '-1' }), ['name:too-long', 'price:pos.price']);
  assert.deepEqual(bad({ name: 'Dodo', kind: 'sale', price: '' }), ['price:pos.price-required']);
  assert.deepEqual(bad({ name: 'Dodo', kind: 'sale', price: '3', vatRate: '101' }), ['vatRate:pos.vat']);
  assert.deepEqual(
    bad({ name: 'Gobelet', kind: 'deposit', openPrice: 'on' }),
    ['price:pos.price-required'],
    'a deposit has a fixed amount',
  );
  assert.deepEqual(bad({ name: 'Offert', kind: 'free', price: '1' }), ['price:pos.free-price']);
  assert.deepEqual(bad({ name: 'Recharge', kind: 'top_up', openPrice: 'on', vatRate: '8,5' }), [
    'vatRate:pos.vat-not-applicable',
    'currencyId:required',
  ]);
  assert.deepEqual(bad({ name: 'Adhésion', kind: 'membership', price: '10' }), ['membershipProductId:required']);
  assert.deepEqual(bad({ name: 'API', kind: 'sale', priceCents: 1.5 }), ['priceCents:pos.price']);
  assert.deepEqual(bad({ name: 'API', kind: 'sale', priceCents: 100, vatRate: 10_001 }), ['vatRate:pos.vat']);
  assert.deepEqual(bad({ name: 'Cat', kind: 'sale', price: '1', categoryId: 'pas-un-id' }), [
    'categoryId:pos.category',
  ]);
});

test('top-ups credit only a currency the venue may mint; gift top-ups only its own gift currency; memberships only its products', async () => {
  const actor = personActor(adminId);
  const topUp = await saveArticle(t.db, actor, {
    placeId,
    name: 'Recharge',
    kind: 'top_up',
    priceCents: null,
    currencyId: rezo.id,
  });
  assert.equal(topUp.currencyId, rezo.id);
  assert.equal(topUp.priceCents, null);
  assert.equal(
    (
      await saveArticle(t.db, actor, {
        placeId,
        name: 'Recharge locale 10 €',
        kind: 'top_up',
        priceCents: 1000,
        currencyId: local.id,
      })
    ).priceCents,
    1000,
  );
  assert.equal(
    (
      await saveArticle(t.db, actor, {
        placeId,
        name: 'Bon cadeau',
        kind: 'gift_top_up',
        priceCents: null,
        currencyId: gift.id,
      })
    ).currencyId,
    gift.id,
  );
  const count = (await articles()).length;

  const refused = async (input: Record<string, unknown>, expected: string[]) => {
    await assert.rejects(saveArticle(t.db, actor, { placeId, name: 'Refusé', priceCents: null, ...input }), (e) => {
      assert.deepEqual(fieldsOf(e), expected);
      return true;
    });
  };
  await refused({ kind: 'top_up', currencyId: foreignEuro.id }, ['currencyId:pos.currency']);
  await refused({ kind: 'top_up', currencyId: gift.id }, ['currencyId:pos.currency']);
  await refused({ kind: 'gift_top_up', currencyId: otherGift.id }, ['currencyId:pos.gift-currency']);
  await refused({ kind: 'gift_top_up', currencyId: rezo.id }, ['currencyId:pos.gift-currency']);
  await refused({ kind: 'membership', membershipProductId: otherProductId }, [
    'membershipProductId:pos.membership-product',
  ]);
  await refused(
    { kind: 'sale', categoryId: (await saveCategory(t.db, SYSTEM, { placeId: otherId, name: 'Ailleurs' })).id },
    ['categoryId:pos.category'],
  );
  assert.equal((await articles()).length, count, 'nothing written');

  const membership = await saveArticle(t.db, actor, {
    placeId,
    name: 'Adhésion annuelle',
    kind: 'membership',
    priceCents: 1000,
    membershipProductId: productId,
    currencyId: rezo.id,
  });
  assert.equal(membership.membershipProductId, productId);
  assert.equal(membership.currencyId, null, 'a currency sent with another kind is ignored');
});

test('articles through the pages: create, field errors in French and English, edit, archive; nothing deleted', async () => {
  const overview = await admin.get('/venues/la-kaz/admin/till/setup');
  assert.equal(overview.statusCode, 200);
  assert.match(overview.body, /Recharge locale 10 €/);
  const page = await admin.get('/venues/la-kaz/admin/till/setup/articles/new');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /REZO — Rézo €/);
  assert.match(page.body, /KAZBON — Bon Kaz/);
  assert.doesNotMatch(page.body, /AUTRE — /, "another federation's euro is not offered");

  const bad = await admin.postForm('/venues/la-kaz/admin/till/setup/articles', {
    name: '',
    kind: 'sale',
    price: '3,5x',
    vatRate: 'huit',
    colour: '#37474f',
    categoryId: '',
    currencyId: '',
    membershipProductId: '',
  });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.body, /Ce champ est obligatoire/);
  assert.match(bad.body, /Prix incorrect \(exemple : 3,50\)/);
  assert.match(bad.body, /Taux de TVA incorrect/);
  assert.match(bad.body, /aria-invalid="true"/);
  const badEn = await admin.postForm('/venues/la-kaz/admin/till/setup/articles?lang=en', {
    name: 'Rhum',
    kind: 'sale',
    price: '',
    vatRate: '8.5',
  });
  assert.equal(badEn.statusCode, 422);
  assert.match(badEn.body, /Give a price/);
  await admin.get('/venues/la-kaz/admin/till/setup?lang=fr');

  const before = (await articles()).length;
  const made = await admin.postForm('/venues/la-kaz/admin/till/setup/articles', {
    name: 'Rhum arrangé',
    kind: 'sale',
    price: '4',
    vatRate: '8,5',
    colour: '#8d6e63',
    categoryId,
    currencyId: '',
    membershipProductId: '',
  });
  assert.equal(made.statusCode, 303);
  assert.match(String(made.headers.location), /\/venues\/la-kaz\/admin\/till\/setup\/articles\/new\?created=/);
  assert.match((await admin.get(String(made.headers.location))).body, /L’article « Rhum arrangé » est créé/);
  const rhum = (await articles()).find((a) => a.name === 'Rhum arrangé')!;
  assert.deepEqual(
    [rhum.price_cents, rhum.vat_rate, rhum.colour, rhum.category_id, rhum.kind],
    [400, 850, '#8d6e63', categoryId, 'sale'],
  );
  assert.equal((await articles()).length, before + 1);

  const edit = await admin.get(`/venues/la-kaz/admin/till/setup/articles/${rhum.id}`);
  assert.equal(edit.statusCode, 200);
  assert.match(edit.body, /value="4,00"/);
  assert.match(edit.body, /value="8,5"/);
  const changed = await admin.postForm(`/venues/la-kaz/admin/till/setup/articles/${rhum.id}`, {
    name: 'Rhum arrangé',
    kind: 'sale',
    price: '4.50',
    vatRate: '2,1',
    colour: '#8d6e63',
    categoryId: '',
    currencyId: '',
    membershipProductId: '',
  });
  assert.equal(changed.statusCode, 303);
  const after = (await articles()).find((a) => a.id === rhum.id)!;
  assert.deepEqual([after.price_cents, after.vat_rate, after.category_id], [450, 210, null]);
  const badEdit = await admin.postForm(`/venues/la-kaz/admin/till/setup/articles/${rhum.id}`, {
    name: 'Rhum arrangé',
    kind: 'free',
    price: '4.50',
    vatRate: '0',
  });
  assert.equal(badEdit.statusCode, 422);
  assert.match(badEdit.body, /Un article offert coûte 0/);
  assert.equal((await articles()).find((a) => a.id === rhum.id)!.kind, 'sale', 'the refused edit wrote nothing');

  assert.equal(
    (await admin.postForm(`/venues/la-kaz/admin/till/setup/articles/${rhum.id}/archive`, {})).statusCode,
    303,
  );
  assert.equal((await articles()).find((a) => a.id === rhum.id)!.archived, true);
  assert.match(
    (await admin.get(`/venues/la-kaz/admin/till/setup/articles/${rhum.id}`)).body,
    /Cet article est archivé/,
  );
  assert.equal(
    (await admin.postForm(`/venues/la-kaz/admin/till/setup/articles/${rhum.id}/restore`, {})).statusCode,
    303,
  );
  assert.equal((await articles()).find((a) => a.id === rhum.id)!.archived, false);
  assert.equal(
    (await admin.postForm(`/venues/la-kaz/admin/till/setup/articles/${rhum.id}/delete`, {})).statusCode,
    404,
    'there is no delete',
  );
});

test('articles through the API: create, partial change, validation, archive; tenancy', async () => {
  const url = `/api/v1/places/${placeId}/pos/articles`;
  const created = await withKey(t.app, key, 'POST', url, {
    name: 'Eau',
    kind: 'sale',
    priceCents: 100,
    vatRate: 210,
    categoryId,
    colour: '#29B6F6',
  });
  assert.equal(created.statusCode, 201, created.body);
  const eau = created.json();
  assert.deepEqual(
    { ...eau, id: undefined, position: undefined },
    {
      id: undefined,
      name: 'Eau',
      kind: 'sale',
      categoryId,
      priceCents: 100,
      vatRate: 210,
      colour: '#29b6f6',
      currencyId: null,
      membershipProductId: null,
      position: undefined,
      archived: false,
    },
  );
  const patched = await withKey(t.app, key, 'PATCH', `${url}/${eau.id}`, { priceCents: 150 });
  assert.equal(patched.statusCode, 200);
  assert.deepEqual(
    [patched.json().priceCents, patched.json().vatRate, patched.json().name, patched.json().categoryId],
    [150, 210, 'Eau', categoryId],
    'what is not sent is kept',
  );
  const invalid = await withKey(t.app, key, 'PATCH', `${url}/${eau.id}`, { kind: 'top_up' });
  assert.equal(invalid.statusCode, 422);
  assert.deepEqual(
    invalid
      .json()
      .errors.map((e: { field: string }) => e.field)
      .sort(),
    ['currencyId', 'vatRate'],
  );
  const wrongType = await withKey(t.app, key, 'POST', url, { name: 'Eau', kind: 'sale', priceCents: '1,00' });
  assert.equal(wrongType.statusCode, 422, 'the API takes cents as an integer');
  assert.equal((await withKey(t.app, key, 'PATCH', `${url}/${eau.id}`, { archived: true })).json().archived, true);
  assert.equal(
    (await withKey(t.app, key, 'PATCH', `${url}/01900000-0000-7000-8000-000000000000`, { name: 'x' })).statusCode,
    404,
  );

  // Another venue's admin, a cashier, a key of another venue: 403 and nothing written.
  const before = await articles();
  const cashier = await t.loginAs('cashier@kaz.example');
  const cashierId = (
    await t.db.selectFrom('people').select('id').where('email', '=', 'cashier@kaz.example').executeTakeFirstOrThrow()
  ).id;
  await t.db.insertInto('place_members').values({ place_id: placeId, person_id: cashierId, role: 'cashier' }).execute();
  const otherAdmin = await t.loginAs('admin@ailleurs.example');
  const otherKey = (await createApiKey(t.db, SYSTEM, { slug: 'ailleurs', name: 'k', scopes: ['place:write'] })).secret;
  for (const client of [cashier, otherAdmin]) {
    assert.equal((await client.api('POST', url, { name: 'Pirate', kind: 'sale', priceCents: 1 })).statusCode, 403);
    assert.equal((await client.api('PATCH', `${url}/${eau.id}`, { priceCents: 1 })).statusCode, 403);
    assert.equal(
      (await client.postForm('/venues/la-kaz/admin/till/setup/articles', { name: 'Pirate', kind: 'sale', price: '1' }))
        .statusCode,
      403,
    );
    assert.equal(
      (await client.postForm(`/venues/la-kaz/admin/till/setup/articles/${eau.id}/restore`, {})).statusCode,
      403,
    );
    assert.equal((await client.get(`/venues/la-kaz/admin/till/setup/articles/${eau.id}`)).statusCode, 403);
  }
  assert.equal(
    (await withKey(t.app, otherKey, 'POST', url, { name: 'Pirate', kind: 'sale', priceCents: 1 })).statusCode,
    403,
  );
  assert.equal(
    (await withKey(t.app, otherKey, 'PATCH', `/api/v1/places/${otherId}/pos/articles/${eau.id}`, { priceCents: 1 }))
      .statusCode,
    404,
    "another venue's id does not reach this article",
  );
  assert.deepEqual(await articles(), before, 'nothing written');
});

test('the till sees the articles it should: with their currency and product, archived ones left out', async () => {
  const bar = await withKey(t.app, key, 'POST', `/api/v1/places/${placeId}/pos/points`, {
    name: 'Accueil',
    paymentMethods: ['cash', 'card'],
  });
  assert.equal(bar.statusCode, 201);
  const all = await articles();
  const pick = (name: string) => all.find((a) => a.name === name)!.id;
  const ids = [pick('Recharge'), pick('Bon cadeau'), pick('Adhésion annuelle'), pick('Eau')];
  const set = await withKey(t.app, key, 'PUT', `/api/v1/places/${placeId}/pos/points/${bar.json().id}/articles`, {
    articleIds: ids,
  });
  assert.equal(set.statusCode, 422, 'Eau is archived');
  assert.deepEqual(
    set.json().errors.map((e: { field: string }) => e.field),
    ['articleIds'],
  );
  assert.equal(
    (
      await withKey(t.app, key, 'PUT', `/api/v1/places/${placeId}/pos/points/${bar.json().id}/articles`, {
        articleIds: ids.slice(0, 3),
      })
    ).statusCode,
    200,
  );
  const config = await tillConfig(t.db, placeId);
  const point = config.points.find((p) => p.name === 'Accueil')!;
  assert.deepEqual(point.paymentMethods, ['card', 'cash'], 'canonical order');
  assert.deepEqual(
    point.articles.map((a) => [a.name, a.kind, a.priceCents, a.currency?.code ?? null, a.membershipProductId]),
    [
      ['Recharge', 'top_up', null, 'REZO', null],
      ['Bon cadeau', 'gift_top_up', null, 'KAZBON', null],
      ['Adhésion annuelle', 'membership', 1000, null, productId],
    ],
  );
  assert.deepEqual(
    config.currencies.map((c) => c.code),
    ['AILBON', 'KAZBON', 'KAZEUR', 'REZO'],
  );
  await withKey(t.app, key, 'PATCH', `/api/v1/places/${placeId}/pos/articles/${pick('Bon cadeau')}`, {
    archived: true,
  });
  assert.deepEqual(
    (await tillConfig(t.db, placeId)).points.find((p) => p.name === 'Accueil')!.articles.map((a) => a.name),
    ['Recharge', 'Adhésion annuelle'],
  );
});
