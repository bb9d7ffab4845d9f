import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { type TestNode, useTestNode } from '../../test/harness.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createClosureWorld, type ClosureWorld } from '../till/closureFixtures.ts';
import { businessDayAt, tillDayOf } from '../till/closureDay.ts';

let t: TestNode;
let w: ClosureWorld;
useTestNode(async (node) => {
  t = node;
  w = await createClosureWorld(t.db);
});

/** The numbers of a chart's table, by the figure's id: [category, values…] per row. */
function chartData(page: string, id: string): [string, number[]][] {
  const figure = page.slice(page.indexOf(`<figure class="chart" id="${id}">`));
  const table = figure.slice(0, figure.indexOf('</figure>'));
  return [...table.matchAll(/<tr><th scope="row">([^<]*)<\/th>((?:<td[^>]*>[^<]*<\/td>)+)<\/tr>/g)].map((m) => [
    m[1]!,
    [...m[2]!.matchAll(/data-value="(-?\d+)"/g)].map((v) => Number(v[1])),
  ]);
}

describe('the venue dashboard', () => {
  test('tonight: the bar sales by hour and per point equal the journal; the week lists the coming dates', async () => {
    const now = new Date();
    await w.sale({
      pointId: w.pointA,
      at: now,
      items: [{ article: 'Beer', category: 'Drinks', vat: 2000, quantity: 3, unitCents: 450 }],
      payments: [{ method: 'cash', amountCents: 1350 }],
    });
    await w.sale({
      pointId: w.pointB,
      at: new Date(now.getTime() - 60_000),
      items: [
        { article: 'Soda', category: 'Drinks', vat: 550, quantity: 1, unitCents: 300 },
        { article: 'Top-up', kind: 'top_up', amountCents: 2000 },
      ],
      payments: [{ method: 'bank_card', amountCents: 2300 }],
    });
    // A date tonight and one in three days, with a capacity.
    const eventId = uuidv7();
    await t.db
      .insertInto('events')
      .values({
        place_id: w.place.id,
        id: eventId,
        slug: `dash-${eventId.slice(-8)}`,
        title: 'Bal poussière',
        state: 'published',
      } as never)
      .execute();
    const coming = uuidv7();
    await t.db
      .insertInto('event_dates')
      .values({
        place_id: w.place.id,
        event_id: eventId,
        id: coming,
        starts_at: sql<Date>`now() + interval '3 days'`,
        timezone: 'Europe/Paris',
      } as never)
      .execute();
    await t.db
      .insertInto('date_capacity')
      .values({ place_id: w.place.id, event_date_id: coming, capacity: 120 } as never)
      .execute();

    const admin = await t.loginAs(w.admin.email);
    const page = await admin.get(`/venues/${w.place.slug}/admin/dashboard?lang=fr`);
    assert.equal(page.statusCode, 200, page.body);
    assert.match(page.body, /aria-current="page">Tableau de bord</);

    const day = businessDayAt(now, await tillDayOf(t.db, w.place.id));
    const journal = await sql<{ hour: number; cents: string }>`
      select extract(hour from created_at at time zone 'Europe/Paris')::int as hour, sum(amount_cents)::bigint as cents
      from till_journal where place_id = ${w.place.id} and business_day = ${day} and kind = 'item' and article_kind = 'sale'
      group by 1`.execute(t.db);
    const hours = chartData(page.body, 'chart-hours');
    assert.ok(hours.length >= 1);
    const drawn = new Map(hours.map(([label, [v]]) => [Number(label.slice(0, 2)), v]));
    for (const r of journal.rows) assert.equal(drawn.get(r.hour), Number(r.cents), `hour ${r.hour}`);
    assert.equal(
      hours.reduce((s, [, [v]]) => s + v!, 0),
      journal.rows.reduce((s, r) => s + Number(r.cents), 0),
      'every sold item is drawn once',
    );
    // Per point: totals and expected cash, top-ups apart.
    assert.match(
      page.body,
      /<th scope="row">Bar<\/th><td class="num">1<\/td><td class="num">13,50\s€<\/td><td class="num">0,00\s€<\/td><td class="num">13,50\s€<\/td>/,
    );
    assert.match(
      page.body,
      /<th scope="row">Entrance<\/th><td class="num">1<\/td><td class="num">23,00\s€<\/td><td class="num">20,00\s€<\/td><td class="num">0,00\s€<\/td>/,
    );
    // The week: the coming date, sold against capacity, in the chart's data and the table.
    assert.deepEqual(
      chartData(page.body, 'chart-week').map(([, v]) => v),
      [[0, 120]],
    );
    assert.match(page.body, /Bal poussière/);
    // The season: this week's bar sales include tonight's.
    const weeks = chartData(page.body, 'chart-till-weeks');
    assert.equal(weeks.length, 12);
    assert.equal(weeks.at(-1)![1][0], 1350 + 300);

    // The tonight panel alone, for the page's refresh.
    const fragment = await admin.get(`/venues/${w.place.slug}/admin/dashboard/tonight?lang=en`);
    assert.equal(fragment.statusCode, 200);
    assert.match(fragment.body, /^<h2 id="tonight-title">Tonight/);
    assert.doesNotMatch(fragment.body, /<html/);
  });

  test('only the venue’s admins see it', async () => {
    const anonymous = await t.client().get(`/venues/${w.place.slug}/admin/dashboard`);
    assert.equal(anonymous.statusCode, 303);
    const cashier = await t.loginAs(w.cashier.email);
    assert.equal((await cashier.get(`/venues/${w.place.slug}/admin/dashboard`)).statusCode, 403);
    assert.equal((await cashier.get(`/venues/${w.place.slug}/admin/dashboard/tonight`)).statusCode, 403);
    const other = await createClosureWorld(t.db);
    const stranger = await t.loginAs(other.admin.email);
    assert.equal((await stranger.get(`/venues/${w.place.slug}/admin/dashboard`)).statusCode, 403);
  });
});
