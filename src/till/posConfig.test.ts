import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYSTEM } from '../access/actor.ts';
import type { Db } from '../db/database.ts';
import { createCurrency } from '../ledger/createCurrency.ts';
import { useLedgerWorld, type LedgerWorld } from '../ledger/testFixtures.ts';
import { uuidv7 } from '../shared/ids.ts';
import { tillConfig } from './posConfig.ts';

let db: Db;
let w: LedgerWorld;

useLedgerWorld((opened) => ({ db, w } = opened));

test('tillConfig: venue, default day start, points and articles in order, only what is not archived', async () => {
  const placeId = w.venueA.id;
  const drinks = uuidv7();
  await db
    .insertInto('pos_categories')
    .values({ place_id: placeId, id: drinks, name: 'Boissons', colour: '#1565c0' })
    .execute();
  const bar = uuidv7();
  const desk = uuidv7();
  const old = uuidv7();
  await db
    .insertInto('pos_points')
    .values([
      { place_id: placeId, id: desk, name: 'Accueil', payment_methods: ['cash', 'bank_card'], position: 2 },
      { place_id: placeId, id: bar, name: 'Bar', payment_methods: ['card', 'cash'], position: 1 },
      { place_id: placeId, id: old, name: 'Ancien bar', position: 0, archived: true },
    ])
    .execute();
  const dodo = uuidv7();
  const jus = uuidv7();
  const gone = uuidv7();
  const topUp = uuidv7();
  await db
    .insertInto('pos_articles')
    .values([
      {
        place_id: placeId,
        id: dodo,
        name: 'Dodo',
        kind: 'sale',
        price_cents: 350,
        vat_rate: 850,
        colour: '#ffb300',
        category_id: drinks,
      },
      { place_id: placeId, id: jus, name: 'Jus', kind: 'sale', price_cents: 250, vat_rate: 210, category_id: null },
      { place_id: placeId, id: gone, name: 'Vieux', kind: 'sale', price_cents: 100, archived: true },
      { place_id: placeId, id: topUp, name: 'Recharge', kind: 'top_up', price_cents: null, currency_id: w.euro.id },
    ])
    .execute();
  await db
    .insertInto('pos_point_articles')
    .values([
      { place_id: placeId, point_id: bar, article_id: jus, position: 2 },
      { place_id: placeId, point_id: bar, article_id: dodo, position: 1 },
      { place_id: placeId, point_id: bar, article_id: gone, position: 0 },
      { place_id: placeId, point_id: desk, article_id: topUp, position: 0 },
      { place_id: placeId, point_id: old, article_id: dodo, position: 0 },
    ])
    .execute();

  const config = await tillConfig(db, placeId);
  assert.deepEqual(config.place, {
    id: placeId,
    name: (await db.selectFrom('places').select('name').where('id', '=', placeId).executeTakeFirstOrThrow()).name,
    slug: w.venueA.slug,
    timezone: 'Indian/Reunion',
  });
  assert.equal(config.dayStartsAt, '04:00');
  assert.deepEqual(
    config.points.map((p) => p.name),
    ['Bar', 'Accueil'],
    'points in order, the archived one left out',
  );
  const [barPoint, deskPoint] = config.points;
  assert.deepEqual(barPoint!.paymentMethods, ['card', 'cash']);
  assert.deepEqual(barPoint!.articles, [
    {
      id: dodo,
      name: 'Dodo',
      kind: 'sale',
      priceCents: 350,
      vatRate: 850,
      colour: '#ffb300',
      category: { id: drinks, name: 'Boissons', colour: '#1565c0' },
      currency: null,
      membershipProductId: null,
    },
    {
      id: jus,
      name: 'Jus',
      kind: 'sale',
      priceCents: 250,
      vatRate: 210,
      colour: '#37474f',
      category: null,
      currency: null,
      membershipProductId: null,
    },
  ]);
  assert.deepEqual(
    deskPoint!.articles.map((a) => ({ kind: a.kind, priceCents: a.priceCents, currency: a.currency })),
    [{ kind: 'top_up', priceCents: null, currency: { id: w.euro.id, code: w.euro.code, decimals: 2 } }],
  );

  await db.insertInto('till_settings').values({ place_id: placeId, day_starts_at: '05:30' }).execute();
  assert.equal((await tillConfig(db, placeId)).dayStartsAt, '05:30');
});

test('tillConfig: accepted currencies in payment order gift → local → federated → others; archived and foreign ones left out', async () => {
  const placeId = w.venueA.id;
  const suffix = w.euro.code.slice(1, 8);
  const local = await createCurrency(db, SYSTEM, {
    code: `L${suffix}`,
    name: 'Local',
    kind: 'local_euro',
    decimals: 2,
    issuerPlaceId: placeId,
  });
  const loyalty = await createCurrency(db, SYSTEM, {
    code: `P${suffix}`,
    name: 'Points',
    kind: 'loyalty',
    decimals: 0,
    issuerPlaceId: placeId,
  });
  // A gift currency of venue B accepted at A, and one of B that A does not accept.
  const giftB = await createCurrency(db, SYSTEM, {
    code: `H${suffix}`,
    name: 'Gift B',
    kind: 'gift',
    decimals: 2,
    issuerPlaceId: w.venueB.id,
    acceptedByPlaceIds: [placeId],
  });
  await createCurrency(db, SYSTEM, {
    code: `X${suffix}`,
    name: 'Only B',
    kind: 'gift',
    decimals: 2,
    issuerPlaceId: w.venueB.id,
  });
  const archived = await createCurrency(db, SYSTEM, {
    code: `Z${suffix}`,
    name: 'Old',
    kind: 'gift',
    decimals: 2,
    issuerPlaceId: placeId,
  });
  await db.updateTable('ledger_currencies').set({ status: 'archived' }).where('id', '=', archived.id).execute();

  const { currencies } = await tillConfig(db, placeId);
  const gifts = [w.gift, giftB].sort((a, b) => (a.code < b.code ? -1 : 1));
  assert.deepEqual(
    currencies.map((c) => c.code),
    [...gifts.map((g) => g.code), local.code, w.euro.code, loyalty.code],
  );
  assert.deepEqual(currencies[currencies.length - 1], {
    id: loyalty.id,
    code: loyalty.code,
    name: 'Points',
    kind: 'loyalty',
    decimals: 0,
  });

  const atB = await tillConfig(db, w.venueB.id);
  assert.ok(
    !atB.currencies.some((c) => c.id === w.gift.id || c.id === local.id),
    "venue B does not take A's gift or local euro",
  );
  assert.deepEqual(atB.points, []);
});

test('tillConfig of an unknown venue is a 404', async () => {
  await assert.rejects(tillConfig(db, uuidv7()), (e: { status?: number }) => e.status === 404);
});
