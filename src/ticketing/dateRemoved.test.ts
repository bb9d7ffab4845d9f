import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { onPostgres, useTestNode, type TestNode } from '../../test/harness.ts';
import { codeOf, countRows } from '../../test/testDatabase.ts';
import { SYSTEM } from '../access/actor.ts';
import { createEvent } from '../agenda/createEvent.ts';
import { publishEvent } from '../agenda/publishEvent.ts';
import { venue } from '../agenda/testFixtures.ts';
import { localDate } from '../agenda/zonedTime.ts';
import { createTicketPrice } from './createTicketPrice.ts';
import { datesWithSales } from './datesWithSales.ts';
import { newHoldIds, writeHold } from './insertHold.ts';
import { placeOrder } from './placeOrder.ts';

// docs/TICKETING.md, invariant 23: nobody buys a seat on a date that no longer exists.

let t: TestNode;
let place: Awaited<ReturnType<typeof venue>>;
useTestNode(async (node) => {
  t = node;
  place = await venue(t.db, 'la-cour', {}, { modules: ['agenda', 'ticketing'] });
});

const day = (days: number) => localDate(new Date(Date.now() + days * 86_400_000), 'Indian/Reunion');

/** A published event without a capacity (no capacity row for a sale to lock) on two dates, one price. */
async function openEvent(slug: string) {
  const e = await createEvent(t.db, SYSTEM, {
    placeId: place.id,
    slug,
    title: `Cour ${slug}`,
    dates: [{ startsAt: `${day(5)}T20:00` }, { startsAt: `${day(6)}T20:00` }],
  });
  await publishEvent(t.db, SYSTEM, { eventId: e.id });
  const price = await createTicketPrice(t.db, place.admin, {
    slug: place.slug,
    eventId: e.id,
    name: 'Entrée',
    kind: 'fixed',
    price: '7',
  });
  return { event: e, date: e.dates[0]!, price };
}

/** What an edit of the event does to a date it drops (agenda/events.ts writeDates), committed. */
const deleteDate = (db: typeof t.db, id: string) =>
  sql`delete from event_dates where place_id = ${place.id} and id = ${id}`.execute(db);

const ordersFor = (email: string) => countRows(t.db, 'orders', { email });

describe('a date deleted while an order is being placed', () => {
  test('the order read its date before an edit deleted it: refused (409 event-date-removed), nothing held', async () => {
    const { event, date, price } = await openEvent('lue-avant');
    const { revision } = await t.db
      .selectFrom('ticket_prices')
      .select('revision')
      .where('id', '=', price.id)
      .executeTakeFirstOrThrow();
    await deleteDate(t.db, date.id);
    const email = 'lue-avant@example.org';
    await assert.rejects(
      writeHold(
        t.db,
        {
          placeId: place.id,
          personId: null,
          email,
          name: '',
          language: 'fr',
          lines: [
            {
              id: newHoldIds().id,
              priceId: price.id,
              eventId: event.id,
              eventDateId: date.id,
              quantity: 1,
              unitCents: 700,
              discountCents: 0,
              vatBp: 0,
              priceRevision: revision,
            },
          ],
          promoCodeId: null,
          holdMinutes: 15,
          confirmTokenHash: null,
          answers: [],
          actor: null,
        },
        newHoldIds(),
      ),
      (e: unknown) => codeOf(e) === 'event-date-removed',
    );
    assert.equal(await ordersFor(email), 0);
    assert.equal(
      await countRows(t.db, 'order_lines', { event_date_id: date.id }),
      0,
      'no order line names the deleted date',
    );
  });

  test(
    'on PostgreSQL: an edit deleting the date commits while the order waits on it — the order is refused, not written',
    { skip: !onPostgres && 'concurrency needs PostgreSQL' },
    async () => {
      const { date, price } = await openEvent('en-meme-temps');
      const email = 'en-meme-temps@example.org';
      let commit!: () => void;
      const mayCommit = new Promise<void>((r) => (commit = r));
      let deleted!: () => void;
      const isDeleted = new Promise<void>((r) => (deleted = r));
      const edit = t.db.transaction().execute(async (trx) => {
        await deleteDate(trx, date.id);
        deleted();
        await mayCommit;
      });
      await isDeleted;
      // The order sees the date (the delete is not committed), then its statement waits on the row.
      const order = placeOrder(t.db, t.config, null, {
        slug: place.slug,
        email,
        language: 'fr',
        lines: [{ priceId: price.id, eventDateId: date.id, quantity: 2 }],
      });
      const outcome = order.then(
        () => 'placed',
        (e: unknown) => codeOf(e),
      );
      await new Promise((r) => setTimeout(r, 300));
      commit();
      await edit;
      assert.equal(await outcome, 'event-date-removed');
      assert.equal(await ordersFor(email), 0);
    },
  );
});

describe('datesWithSales', () => {
  test('a date named by an order line of any status, an expired one too, is ordered: the agenda keeps it', async () => {
    const { event, date } = await openEvent('expiree');
    const other = event.dates[1]!;
    const price = await t.db
      .selectFrom('ticket_prices')
      .select('id')
      .where('event_id', '=', event.id)
      .executeTakeFirstOrThrow();
    const placed = await placeOrder(t.db, t.config, null, {
      slug: place.slug,
      email: 'expiree@example.org',
      language: 'fr',
      lines: [{ priceId: price.id, eventDateId: date.id, quantity: 1 }],
    });
    await t.db.updateTable('orders').set({ status: 'expired' }).where('id', '=', placed.id).execute();
    assert.deepEqual([...(await datesWithSales(t.db, place.id, event.id, [date.id, other.id]))], [date.id]);
  });
});
