import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestNode, onPostgres, type TestNode } from '../../test/harness.ts';
import { SYSTEM } from '../access/actor.ts';
import { createEvent } from '../agenda/createEvent.ts';
import { publishEvent } from '../agenda/publishEvent.ts';
import { sellTickets, venue } from '../agenda/testFixtures.ts';
import { updateEvent } from '../agenda/updateEvent.ts';
import { localDate } from '../agenda/zonedTime.ts';
import { createTicketPrice } from './createTicketPrice.ts';
import { datesWithSales } from './datesWithSales.ts';
import { newHoldIds } from './insertHold.ts';

// The agenda never deletes a date with sales (docs/AGENDA.md, "Recurrence"): ticketing says which.

let t: TestNode;
let place: Awaited<ReturnType<typeof venue>>;
before(async () => {
  t = await createTestNode();
  place = await venue(t.db, 'la-ronde', {}, { modules: ['agenda', 'ticketing'] });
});
after(() => t.close());

const ZONE = 'Indian/Reunion';
const day = (days: number) => localDate(new Date(Date.now() + days * 86_400_000), ZONE);
const weekday = (d: string) => ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'][new Date(`${d}T12:00:00Z`).getUTCDay()]!;
const rule = (d: string) => ({
  frequency: 'weekly',
  weekdays: [weekday(d)],
  startDate: day(2),
  startTime: '20:00',
  count: '3',
});

async function weeklyEvent(slug: string) {
  const e = await createEvent(t.db, SYSTEM, {
    placeId: place.id,
    slug,
    title: `Ronde ${slug}`,
    capacity: '50',
    recurrence: rule(day(3)),
  });
  await publishEvent(t.db, SYSTEM, { eventId: e.id });
  return e;
}

describe('datesWithSales', () => {
  test('a date with tickets (or a pending order line) is in use; the others are not', async () => {
    const e = await weeklyEvent('ventes');
    const [sold, free] = e.dates;
    await sellTickets(t.db, t.config, place.admin, { slug: place.slug, eventId: e.id, dateId: sold!.id });
    assert.deepEqual([...(await datesWithSales(t.db, place.id, e.id, [sold!.id, free!.id]))], [sold!.id]);
  });

  test(
    'a sale in flight on a date (its rows locked, its order not yet committed) is waited for: the date is kept',
    {
      skip: !onPostgres && 'concurrency needs PostgreSQL',
    },
    async () => {
      const e = await weeklyEvent('en-vol');
      const target = e.dates[0]!;
      const price = await createTicketPrice(t.db, place.admin, {
        slug: place.slug,
        eventId: e.id,
        name: 'Entrée',
        kind: 'fixed',
        price: '5',
      });
      let release!: () => void;
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const released = new Promise<void>((r) => (release = r));
      // What a sale's statement does (seats.ts): the date's capacity row and the price row, then its order.
      const sale = t.db.transaction().execute(async (trx) => {
        await sql`select 1 from date_capacity where place_id = ${place.id} and event_date_id = ${target.id} for no key update`.execute(
          trx,
        );
        await sql`select 1 from ticket_prices where place_id = ${place.id} and id = ${price.id} for no key update`.execute(
          trx,
        );
        const { id, reference } = newHoldIds();
        await trx
          .insertInto('orders')
          .values({
            place_id: place.id,
            id,
            reference,
            email: 'vol@example.org',
            status: 'pending',
            total_cents: 500,
            expires_at: new Date(Date.now() + 900_000),
          } as never)
          .execute();
        await trx
          .insertInto('order_lines')
          .values({
            place_id: place.id,
            order_id: id,
            id: newHoldIds().id,
            price_id: price.id,
            event_id: e.id,
            event_date_id: target.id,
            quantity: 1,
            unit_price_cents: 500,
            vat_rate_bp: 0,
          } as never)
          .execute();
        locked();
        await released;
      });
      await isLocked;
      let done = false;
      // The rule moves to another weekday: without the lock, the first date would be deleted now.
      const edit = updateEvent(t.db, SYSTEM, { eventId: e.id, recurrence: rule(day(4)) }).then(
        (r) => ((done = true), r),
      );
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(done, false, 'the edit waits for the sale');
      release();
      await sale;
      const after = await edit;
      assert.ok(after.dates.some((d) => d.id === target.id && d.startsAt.getTime() === target.startsAt.getTime()));
      assert.equal(after.dates.length, 4);
    },
  );
});
