import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres, type TestNode, useTestNode } from '../../test/harness.ts';
import type { Trx } from '../db/database.ts';
import { createTicketPrice } from './createTicketPrice.ts';
import { placeOrder, type OrderLineInput } from './placeOrder.ts';
import { releaseExpiredOrders } from './releaseExpiredOrders.ts';
import { uuidv7 } from '../shared/ids.ts';
import { eventWithDates } from './testFixtures.ts';

let t: TestNode;
useTestNode((node) => (t = node));

const order = (slug: string, email: string, lines: OrderLineInput[], promoCode?: string) =>
  placeOrder(t.db, t.config, null, { slug, email, language: 'fr', lines, promoCode });
const price = async (ev: Awaited<ReturnType<typeof eventWithDates>>, slug: string, kind: 'fixed' | 'free') =>
  (await createTicketPrice(t.db, ev.admin, { slug, eventId: ev.eventId, name: kind, kind, price: '10' })).id;
const expire = (orderId: string, seconds: number) =>
  sql`update orders set expires_at = now() - make_interval(secs => ${seconds}) where id = ${orderId}`.execute(t.db);
const taken = async (dateId: string) =>
  (await t.db.selectFrom('date_capacity').select('taken').where('event_date_id', '=', dateId).executeTakeFirstOrThrow())
    .taken;
const statusOf = async (orderId: string) =>
  (await t.db.selectFrom('orders').select('status').where('id', '=', orderId).executeTakeFirstOrThrow()).status;

test('a batch of expired orders gives back exactly what each held: dates, prices and promo uses', async () => {
  const ev = await eventWithDates(t.db, { slug: 'batch-release', capacity: 10, dates: 2 });
  const [p1, p2] = [await price(ev, 'batch-release', 'fixed'), await price(ev, 'batch-release', 'fixed')];
  const [d1, d2] = ev.dateIds as [string, string];
  await t.db
    .insertInto('promo_codes')
    .values({ place_id: ev.place.id, id: uuidv7(), code: 'BATCH', event_id: ev.eventId, percent_off: 10, max_uses: 5 })
    .execute();
  const a = await order(
    'batch-release',
    'a@example.org',
    [
      { priceId: p1, eventDateId: d2, quantity: 2 },
      { priceId: p2, eventDateId: d1, quantity: 1 },
    ],
    'BATCH',
  );
  const b = await order('batch-release', 'b@example.org', [{ priceId: p1, eventDateId: d1, quantity: 3 }], 'BATCH');
  const kept = await order('batch-release', 'c@example.org', [{ priceId: p2, eventDateId: d2, quantity: 1 }], 'BATCH');
  const used = async () =>
    (await t.db.selectFrom('promo_codes').select('used').where('code', '=', 'BATCH').executeTakeFirstOrThrow()).used;
  assert.equal(await used(), 3);
  await expire(a.id, 60);
  await expire(b.id, 30);
  assert.equal(await releaseExpiredOrders(t.db, { placeId: ev.place.id }), 2);
  assert.equal(await taken(d1), 0);
  assert.equal(await taken(d2), 1, 'the live order keeps its place');
  const stock = await t.db
    .selectFrom('ticket_prices')
    .select(['id', 'taken'])
    .where('id', 'in', [p1, p2])
    .orderBy('id')
    .execute();
  assert.deepEqual(
    stock.map((s) => s.taken),
    [p1, p2].sort().map((id) => (id === p2 ? 1 : 0)),
  );
  assert.equal(await used(), 1, 'both expired orders gave their promo use back');
  assert.equal(await statusOf(a.id), 'expired');
  assert.equal(await statusOf(b.id), 'expired');
  assert.equal(await statusOf(kept.id), 'pending');
  assert.equal(await releaseExpiredOrders(t.db, { placeId: ev.place.id }), 0, 'released once');
  assert.equal(await taken(d1), 0);
});

/** Holds a row lock in a transaction of its own until `release` is called. */
async function holdLock(lock: (trx: Trx) => Promise<unknown>): Promise<{ release(): Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const done = t.db.transaction().execute(async (trx) => {
    await lock(trx);
    locked();
    await released;
  });
  await isLocked;
  return {
    release: async () => {
      release();
      await done;
    },
  };
}

/** Waits until at least `n` sessions of this database wait for a lock (false after ~3 s). */
async function lockWaiters(n: number, orSettled?: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void orSettled?.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 300 && !settled; i++) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock'`.execute(t.db);
    if (rows[0]!.n >= n) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return settled;
}

function bothSucceeded(results: PromiseSettledResult<unknown>[]) {
  for (const r of results)
    assert.equal(r.status, 'fulfilled', r.status === 'rejected' ? String((r.reason as Error).message) : '');
}

describe('one lock order (PostgreSQL, real locks)', { skip: !onPostgres && 'needs PostgreSQL for real locks' }, () => {
  test('the housekeeping releasing expired holds while an order of two dates takes places: no deadlock', async () => {
    const ev = await eventWithDates(t.db, { slug: 'lock-release', capacity: 10, dates: 2 });
    const [dLow, dHigh] = [...ev.dateIds].sort() as [string, string];
    const [pA, pB, pT] = [
      await price(ev, 'lock-release', 'fixed'),
      await price(ev, 'lock-release', 'fixed'),
      await price(ev, 'lock-release', 'fixed'),
    ];
    // Order A (the first to have expired) held the higher date, order B the lower one: released
    // order by order, the batch locked the higher date before the lower one.
    const a = await order('lock-release', 'a@example.org', [{ priceId: pA, eventDateId: dHigh, quantity: 1 }]);
    const b = await order('lock-release', 'b@example.org', [{ priceId: pB, eventDateId: dLow, quantity: 1 }]);
    await expire(a.id, 120);
    await expire(b.id, 60);
    // Someone holds A's price for a moment (a buyer taking it): the release stops there.
    const blocker = await holdLock((trx) => sql`select 1 from ticket_prices where id = ${pA} for update`.execute(trx));
    const release = releaseExpiredOrders(t.db, { placeId: ev.place.id });
    assert.ok(await lockWaiters(1), 'the release waits for the price');
    // A buyer of both dates locks them in order, low then high.
    const take = order('lock-release', 't@example.org', [
      { priceId: pT, eventDateId: dLow, quantity: 1 },
      { priceId: pT, eventDateId: dHigh, quantity: 1 },
    ]);
    assert.ok(await lockWaiters(2), 'the buyer waits for a date the release holds');
    await blocker.release();
    const results = await Promise.allSettled([release, take]);
    bothSucceeded(results);
    assert.equal((results[0] as PromiseFulfilledResult<number>).value, 2);
    assert.equal(await taken(dLow), 1);
    assert.equal(await taken(dHigh), 1);
    assert.equal(await statusOf(a.id), 'expired');
    assert.equal(await statusOf(b.id), 'expired');
  });

  test('a free booking that releases expired holds while another order takes the same prices: no deadlock', async () => {
    const ev = await eventWithDates(t.db, { slug: 'lock-free', capacity: 2, dates: 3 });
    const [dLow, dMid, dHigh] = [...ev.dateIds].sort() as [string, string, string];
    // The free price sorts before the paid one, so a buyer of both locks the free one first.
    const [pFree, pPaid] = [await price(ev, 'lock-free', 'fixed'), await price(ev, 'lock-free', 'fixed')].sort() as [
      string,
      string,
    ];
    await t.db.updateTable('ticket_prices').set({ kind: 'free', price_cents: 0 }).where('id', '=', pFree).execute();
    // An expired hold fills the low date: the booking must release it before it can take a place there.
    const expired = await order('lock-free', 'e@example.org', [{ priceId: pPaid, eventDateId: dLow, quantity: 2 }]);
    await expire(expired.id, 60);
    const blocker = await holdLock((trx) =>
      sql`select 1 from date_capacity where event_date_id = ${dMid} for update`.execute(trx),
    );
    const booking = order('lock-free', 'f@example.org', [
      { priceId: pFree, eventDateId: dLow, quantity: 1 },
      { priceId: pFree, eventDateId: dMid, quantity: 1 },
    ]);
    assert.ok(await lockWaiters(1), 'the booking waits for the middle date');
    // Another buyer of both prices on the high date: it locks the free price, then the paid one.
    const other = order('lock-free', 'g@example.org', [
      { priceId: pFree, eventDateId: dHigh, quantity: 1 },
      { priceId: pPaid, eventDateId: dHigh, quantity: 1 },
    ]);
    await lockWaiters(2, other);
    await blocker.release();
    const results = await Promise.allSettled([booking, other]);
    bothSucceeded(results);
    assert.equal(await statusOf(expired.id), 'expired');
    assert.equal(await taken(dLow), 1);
    assert.equal(await taken(dMid), 1);
    assert.equal(await taken(dHigh), 2);
  });
});
