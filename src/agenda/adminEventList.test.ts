import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { SYSTEM } from '../access/actor.ts';
import { uuidv7 } from '../shared/ids.ts';
import { completeOrder } from '../ticketing/completeOrder.ts';
import { placeOrder } from '../ticketing/placeOrder.ts';
import { eventSelling } from '../ticketing/testFixtures.ts';

let t: TestNode;
useTestNode((node) => (t = node));

/** The rows of the admin event list: event id and the text of each cell. */
function rows(page: string): { id: string; cells: string[] }[] {
  return [...page.matchAll(/<tr data-event="([^"]+)">(.*?)<\/tr>/gs)].map((m) => ({
    id: m[1]!,
    cells: [...m[2]!.matchAll(/<td>(.*?)<\/td>/gs)].map((c) => c[1]!.replace(/<[^>]+>/g, '').trim()),
  }));
}

test('the admin event list: soonest first, then undated, then past; sold / capacity of the next date from ticketing', async () => {
  const slug = 'evlist';
  // "Concert": a past date, then dates in 7 and 8 days; 3 tickets sold on the one in 7 days, 1 on the one in 8.
  const ev = await eventSelling(t.db, { slug, capacity: 100, dates: 2 }, { name: 'Plein', kind: 'fixed', price: '12' });
  const [price] = ev.priceIds;
  for (const [dateId, quantity] of [
    [ev.dateIds[0]!, 3],
    [ev.dateIds[1]!, 1],
  ] as const) {
    const placed = await placeOrder(t.db, t.config, null, {
      slug,
      email: `fan${quantity}@${slug}.example`,
      language: 'fr',
      lines: [{ priceId: price, eventDateId: dateId, quantity }],
    });
    await t.db.transaction().execute((trx) => completeOrder(trx, t.config, SYSTEM, placed.id, null));
  }
  const event = async (title: string, days: number[]) => {
    const id = uuidv7();
    await t.db
      .insertInto('events')
      .values({ place_id: ev.place.id, id, slug: `e-${id.slice(-8)}`, title, state: 'published' } as never)
      .execute();
    for (const d of days)
      await t.db
        .insertInto('event_dates')
        .values({
          place_id: ev.place.id,
          event_id: id,
          id: uuidv7(),
          starts_at: sql<Date>`now() + make_interval(days => ${d})`,
          timezone: 'Indian/Reunion',
        } as never)
        .execute();
    return id;
  };
  await t.db
    .insertInto('event_dates')
    .values({
      place_id: ev.place.id,
      event_id: ev.eventId,
      id: uuidv7(),
      starts_at: sql<Date>`now() - interval '3 days'`,
      timezone: 'Indian/Reunion',
    } as never)
    .execute();
  const past = await event('Bal passé', [-10]);
  const older = await event('Bal plus ancien', [-20]);
  const undated = await event('Sans date', []);
  const soon = await event('Bientôt', [2, 30]);

  const admin = await t.loginAs(`admin@${slug}.example`);
  const page = await admin.get(`/venues/${slug}/admin/events?lang=fr`);
  assert.equal(page.statusCode, 200, page.body.slice(0, 500));
  assert.match(page.body, /<th scope="col">Vendus \/ jauge \(prochaine date\)<\/th>/);
  const list = rows(page.body);
  assert.deepEqual(
    list.map((r) => r.id),
    [soon, ev.eventId, undated, past, older],
  );

  // The figures are the database's, for the next date (the one in 7 days), not the past one nor the later one.
  const db = await sql<{ sold: string; capacity: number }>`
    select (select count(*) from tickets where event_date_id = ${ev.dateIds[0]!} and status = 'valid')::bigint as sold,
      (select capacity from date_capacity where event_date_id = ${ev.dateIds[0]!}) as capacity`.execute(t.db);
  const { sold, capacity } = db.rows[0]!;
  assert.equal(Number(sold), 3);
  assert.equal(list[1]!.cells[2], `${sold} / ${capacity}`);
  // Events without tickets or without a date to come have an empty cell.
  for (const r of [list[0]!, list[2]!, list[3]!]) assert.equal(r.cells[2], '');

  const en = await admin.get(`/venues/${slug}/admin/events?lang=en`);
  assert.match(en.body, /<th scope="col">Sold \/ capacity \(next date\)<\/th>/);
  assert.match(en.body, /<th scope="col">Next date<\/th>/);
});
