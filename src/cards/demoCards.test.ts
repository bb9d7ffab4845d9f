import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { useTestDatabase } from '../../test/testDatabase.ts';
import { testConfig } from '../config.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { loadDemo } from '../demo/loadDemo.ts';
import { verifyLedger } from '../ledger/verifyLedger.ts';
import { findCardByToken, findCardByUid, lockCard, staffOf } from './cards.ts';
import { demoCard as demoCardOf, loadDemoCards, type DemoCardsResult } from './demoCards.ts';
import { loadNodeSecret } from '../node/nodeSecret.ts';

let db: Db;
let result: DemoCardsResult;
useTestDatabase(async (opened) => {
  db = opened.db;
  await loadDemo(db, testConfig());
  const secret = await loadNodeSecret(db);
  const demoCard = (n: number) => demoCardOf(secret, n);
  // The demo loader loads the cards; what it made is read back here (the loader's result is not kept).
  const loaded = await db
    .selectFrom('card_batches')
    .select('id')
    .where('name', '=', 'Cartes démo')
    .executeTakeFirstOrThrow();
  const holderOf = async (n: number) =>
    (
      await db
        .selectFrom('cards as c')
        .innerJoin('people as p', 'p.id', 'c.person_id')
        .select('p.email')
        .where('c.number', '=', demoCard(n).number)
        .executeTakeFirstOrThrow()
    ).email;
  const slugs = (await db.selectFrom('places').select('slug').orderBy('slug').execute()).map((p) => p.slug);
  result = {
    batchId: loaded.id,
    anonymous: [1, 2, 3].map(demoCard),
    linked: await Promise.all([21, 22, 23].map(async (n) => ({ ...demoCard(n), email: await holderOf(n) }))),
    blocked: { ...demoCard(31), email: await holderOf(31) },
    staff: await Promise.all(
      slugs.slice(0, 4).map(async (place, k) => ({ ...demoCard(91 + k), place, email: await holderOf(91 + k) })),
    ),
  };
  // Loading the demo cards again is refused: the batch's UIDs, numbers and tokens are taken.
  await assert.rejects(
    inTransaction(db, (trx) => loadDemoCards(trx)),
    /demo cards not imported/,
  );
});

const balancesOfCard = async (cardId: string) =>
  db
    .selectFrom('ledger_accounts')
    .select(['balance'])
    .where('owner_kind', '=', 'card')
    .where('owner_ref', '=', cardId)
    .execute();

describe('demo cards', () => {
  test('a batch of 100 cards made from the node secret; the tokens printed by the CLI open their card', async () => {
    assert.equal(
      (await db.selectFrom('cards').select('id').where('batch_id', '=', result.batchId).execute()).length,
      100,
    );
    const secret = await loadNodeSecret(db);
    assert.deepEqual(demoCardOf(secret, 1), demoCardOf(secret, 1));
    assert.equal(demoCardOf(secret, 1).number, 'DEMO-001');
    for (const c of result.anonymous) {
      const card = await findCardByToken(db, c.token);
      assert.equal(card!.number, c.number);
      assert.equal(card!.personId, null);
      assert.ok(
        (await balancesOfCard(card!.id)).some((a) => a.balance > 0),
        'anonymous demo cards carry money',
      );
    }
  });

  test('linked cards had their money merged; one card is blocked; each venue has a staff card', async () => {
    for (const c of result.linked) {
      const card = await findCardByUid(db, c.uid);
      assert.ok(card!.personId);
      assert.ok((await balancesOfCard(card!.id)).every((a) => a.balance === 0));
    }
    assert.equal((await findCardByUid(db, result.blocked.uid))!.status, 'blocked');
    const places = await db.selectFrom('places').select(['id', 'slug']).execute();
    assert.equal(result.staff.length, places.length);
    for (const s of result.staff) {
      const placeId = places.find((p) => p.slug === s.place)!.id;
      const staff = await inTransaction(db, async (trx) =>
        staffOf(trx, await lockCard(trx, (await findCardByUid(trx, s.uid))!.id), placeId),
      );
      assert.equal(staff!.email, s.email);
    }
    assert.ok((await verifyLedger(db)).ok);
  });
});
