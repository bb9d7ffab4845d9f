import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Db } from '../db/database.ts';
import { venuesAccepting } from './moneyViews.ts';
import { useLedgerWorld, type LedgerWorld } from './testFixtures.ts';

let db: Db;
let w: LedgerWorld;
useLedgerWorld((opened) => ({ db, w } = opened));

test('where each currency is accepted: its issuing venue and the venues that accept it, each once', async () => {
  const names = async (slug: string) =>
    (await db.selectFrom('places').select('name').where('slug', '=', slug).executeTakeFirstOrThrow()).name;
  const [a, b] = [await names(w.venueA.slug), await names(w.venueB.slug)];
  const where = await venuesAccepting(db, [w.euro.code, w.gift.code, w.euro.code, 'NOPE']);
  // The federation's euro: both member venues. The gift credit of venue A: venue A only.
  assert.deepEqual(
    where.get(w.euro.code),
    [
      { slug: w.venueA.slug, name: a },
      { slug: w.venueB.slug, name: b },
    ].sort((x, y) => x.name.localeCompare(y.name)),
  );
  assert.deepEqual(where.get(w.gift.code), [{ slug: w.venueA.slug, name: a }]);
  assert.equal(where.has('NOPE'), false);
  assert.equal((await venuesAccepting(db, [])).size, 0);
});
