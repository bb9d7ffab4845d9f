import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useTestNode, type TestNode } from '../../test/harness.ts';
import { placeOrder } from './placeOrder.ts';
import { placesLeft } from './placesLeft.ts';
import { onSeatsMoved } from './seatsMoved.ts';
import { cancelOrder } from './cancelOrder.ts';
import { eventSelling } from './testFixtures.ts';

let t: TestNode;
useTestNode((node) => (t = node));

test('places left = capacity − sold − held; unlimited dates are null; the hook names the dates whose seats moved', async () => {
  const ev = await eventSelling(
    t.db,
    { slug: 'places-left', capacity: 5, dates: 2 },
    {
      name: 'Plein',
      kind: 'fixed',
      price: '10',
    },
  );
  const free = await eventSelling(
    t.db,
    { slug: 'places-unlimited', capacity: null },
    {
      name: 'Libre',
      kind: 'fixed',
      price: '10',
    },
  );
  const [d1, d2] = ev.dateIds as [string, string];
  const moved: string[][] = [];
  const stop = onSeatsMoved(({ dateIds }) => moved.push([...dateIds]));
  try {
    const order = await placeOrder(t.db, t.config, null, {
      slug: 'places-left',
      email: 'buyer@example.org',
      language: 'fr',
      lines: [{ priceId: ev.priceIds[0], eventDateId: d1, quantity: 3 }],
    });
    const left = await placesLeft(t.db, [
      { placeId: ev.place.id, dateId: d1 },
      { placeId: ev.place.id, dateId: d2 },
      { placeId: free.place.id, dateId: free.dateIds[0]! },
      { placeId: free.place.id, dateId: d1 },
    ]);
    assert.deepEqual(left.get(d1), { capacity: 5, remaining: 2 }, 'held by a pending order');
    assert.deepEqual(left.get(d2), { capacity: 5, remaining: 5 });
    assert.deepEqual(left.get(free.dateIds[0]!), { capacity: null, remaining: null });
    assert.deepEqual(moved, [[d1]]);
    await cancelOrder(t.db, null, ev.admin, { orderId: order.id });
    assert.deepEqual(moved, [[d1], [d1]], 'giving the seats back is told too');
    assert.deepEqual((await placesLeft(t.db, [{ placeId: ev.place.id, dateId: d1 }])).get(d1), {
      capacity: 5,
      remaining: 5,
    });
  } finally {
    stop();
  }
  assert.deepEqual(await placesLeft(t.db, []), new Map());
});
