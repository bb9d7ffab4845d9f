import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useTestDatabase } from '../../test/testDatabase.ts';
import { SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { testConfig } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { loadDemo } from '../demo/loadDemo.ts';
import { createCurrency } from '../ledger/createCurrency.ts';
import { createMembershipProduct } from '../memberships/createMembershipProduct.ts';
import { createPlace } from '../places/createPlace.ts';
import { loadDemoTill } from './demoTill.ts';
import { tillConfig } from './posConfig.ts';

let db: Db;
useTestDatabase((opened) => ({ db } = opened));

test('the demo till: a bar and a front desk per venue, REZO top-ups, deposits, VAT of La Réunion; loading twice adds nothing', async () => {
  assert.equal(await loadDemo(db, testConfig()), true);
  // A venue of its own, with a gift currency and a membership, to see those articles appear.
  const person = await ensurePerson(db, 'demo-till@example.org', 'fr');
  const kaz = await createPlace(db, SYSTEM, { slug: 'kaz-demo', name: 'Kaz démo' }, person.id);
  await db
    .insertInto('ledger_federation_places')
    .values({
      federation_id: (await db.selectFrom('ledger_federations').select('id').executeTakeFirstOrThrow()).id,
      place_id: kaz.id,
    })
    .execute();
  const rezo = await db
    .selectFrom('ledger_currencies')
    .select('id')
    .where('code', '=', 'REZO')
    .executeTakeFirstOrThrow();
  await db.insertInto('ledger_currency_places').values({ currency_id: rezo.id, place_id: kaz.id }).execute();
  await createCurrency(db, SYSTEM, {
    code: 'KAZDEMO',
    name: 'Bon Kaz',
    kind: 'gift',
    decimals: 2,
    issuerPlaceId: kaz.id,
  });
  await createMembershipProduct(db, SYSTEM, 'kaz-demo', {
    name: 'Annuelle',
    validity_kind: 'calendar_year',
    price_kind: 'fixed',
    price: '15',
  });

  await inTransaction(db, (trx) => loadDemoTill(trx));
  const slugs = await db.selectFrom('places').select(['id', 'slug']).execute();
  for (const place of slugs) {
    const config = await tillConfig(db, place.id);
    assert.deepEqual(
      config.points.map((p) => p.name),
      ['Bar', 'Accueil'],
      place.slug,
    );
    const bar = config.points[0]!;
    const dodo = bar.articles.find((a) => a.name === 'Dodo')!;
    assert.deepEqual([dodo.priceCents, dodo.vatRate, dodo.category?.name], [350, 850, 'Boissons']);
    assert.deepEqual(
      bar.articles
        .filter((a) => a.name !== 'Dodo')
        .slice(0, 3)
        .map((a) => [a.name, a.priceCents, a.vatRate]),
      [
        ['Jus de goyavier', 250, 210],
        ['Rhum arrangé', 400, 850],
        ['Eau', 100, 210],
      ],
    );
    assert.ok(bar.articles.some((a) => a.category?.name === 'À manger'));
    const desk = config.points[1]!;
    const topUp = desk.articles.find((a) => a.kind === 'top_up' && a.priceCents === null)!;
    assert.equal(topUp.currency?.code, 'REZO');
    assert.ok(desk.articles.some((a) => a.kind === 'cash_out' && a.priceCents === null));
    assert.deepEqual(
      desk.articles
        .filter((a) => a.kind === 'deposit' || a.kind === 'deposit_return')
        .map((a) => [a.kind, a.priceCents]),
      [
        ['deposit', 100],
        ['deposit_return', 100],
      ],
    );
    assert.ok(
      config.currencies.some((c) => c.code === 'REZO'),
      `${place.slug} accepts REZO`,
    );
  }
  const kazDesk = (await tillConfig(db, kaz.id)).points[1]!;
  assert.deepEqual(
    kazDesk.articles.filter((a) => a.kind === 'gift_top_up').map((a) => a.currency?.code),
    ['KAZDEMO'],
  );
  assert.deepEqual(
    kazDesk.articles.filter((a) => a.kind === 'membership').map((a) => [a.name, a.priceCents]),
    [['Adhésion Annuelle', 1500]],
  );
  const fabrikDesk = (await tillConfig(db, slugs.find((p) => p.slug === 'la-fabrik')!.id)).points[1]!;
  assert.ok(fabrikDesk.articles.some((a) => a.kind === 'gift_top_up' && a.currency?.code === 'FABRIK'));

  const counted = async () => (await db.selectFrom('pos_articles').select('id').execute()).length;
  const before = await counted();
  assert.deepEqual(await inTransaction(db, (trx) => loadDemoTill(trx)), { points: 0, articles: 0 });
  assert.equal(await counted(), before);
});
