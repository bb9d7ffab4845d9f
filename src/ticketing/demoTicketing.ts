import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { Trx } from '../db/database.ts';
import { personActor, SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/index.ts';
import { uuidv7 } from '../shared/ids.ts';
import { completeOrder } from './completeOrder.ts';
import { setOnSitePayment } from './payOnSite.ts';
import { createTicketPrice } from './createTicketPrice.ts';
import { insertHold } from './insertHold.ts';
import { joinWaitingList } from './waitingList.ts';

/** How many of each ticketing venue's next paying events get prices in the demo. */
const EVENTS_PER_VENUE = 4;

/**
 * The demo sells (called only by src/demo/loadDemo.ts, after the agenda and the memberships): the next
 * paying events of each demo venue with ticketing get a capacity and several prices — full, reduced,
 * members' (where the venue has memberships) and, on the first of them, pay-what-you-want; the next free
 * event of La Fabrik takes free bookings, and its second free event is fully booked, with people on its
 * waiting list (soldOutWithWaitingList). Bought with the demo payment provider (docs/PAYMENTS.md).
 */
export async function loadDemoTicketing(trx: Trx, config: Config): Promise<{ events: number; prices: number }> {
  const places = await trx
    .selectFrom('places')
    .select(['id', 'slug', 'modules'])
    .where(sql<boolean>`'ticketing' = any(modules)`)
    .orderBy('slug')
    .execute();
  let events = 0;
  let prices = 0;
  for (const place of places) {
    const upcoming = await trx
      .selectFrom('events')
      .select(['id', 'price_from_cents'])
      .where('place_id', '=', place.id)
      .where('state', '=', 'published')
      .where('visibility', '=', 'public')
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('event_dates as d')
            .select('d.id')
            .whereRef('d.event_id', '=', 'events.id')
            .where('d.starts_at', '>', sql<Date>`now() + interval '1 day'`),
        ),
      )
      .orderBy('id')
      .execute();
    const paying = upcoming.filter((e) => (e.price_from_cents ?? 0) > 0).slice(0, EVENTS_PER_VENUE);
    const members = place.modules.includes('memberships');
    for (const [i, event] of paying.entries()) {
      await trx
        .updateTable('events')
        .set({ capacity: 120 })
        .where('place_id', '=', place.id)
        .where('id', '=', event.id)
        .execute();
      const from = event.price_from_cents!;
      const price = async (input: { name: string; kind: string; price?: number; minPrice?: number }) => {
        await createTicketPrice(trx, SYSTEM, { slug: place.slug, eventId: event.id, vatRate: '2,1', ...input });
        prices++;
      };
      await price({ name: 'Plein tarif', kind: 'fixed', price: from + 500 });
      await price({ name: 'Tarif réduit (étudiants, demandeurs d’emploi)', kind: 'fixed', price: from });
      if (members) await price({ name: 'Adhérents', kind: 'member_only', price: Math.max(from - 300, 300) });
      if (i === 0) await price({ name: 'Prix libre (soutien)', kind: 'pay_what_you_want', minPrice: 500 });
      events++;
    }
    if (place.slug === 'la-fabrik') {
      // A newcomer sees "Payer sur place" and the door's "À encaisser" (docs/TICKETING.md, "Paying on site").
      await setOnSitePayment(trx, SYSTEM, { slug: place.slug, enabled: true, holdHours: 48 });
      const free = upcoming.find((e) => e.price_from_cents === 0);
      if (free) {
        await trx
          .updateTable('events')
          .set({ capacity: 40 })
          .where('place_id', '=', place.id)
          .where('id', '=', free.id)
          .execute();
        await createTicketPrice(trx, SYSTEM, {
          slug: place.slug,
          eventId: free.id,
          name: 'Entrée libre sur réservation',
          kind: 'free',
        });
        prices++;
        events++;
      }
      const full = upcoming.filter((e) => e.price_from_cents === 0)[1];
      if (full) {
        await soldOutWithWaitingList(trx, config, place.id, place.slug, full.id);
        prices++;
        events++;
      }
    }
  }
  return { events, prices };
}

/** The demo's sold-out date: its seats, bookings and waiting list. */
const SOLD_OUT = { capacity: 12, bookings: [4, 3, 3, 2], waiting: [2, 1, 3] };

/**
 * A small free event whose next date is fully booked (free bookings, completed as if their mailed link
 * had been opened) and three people waiting for a seat, joined through the waiting list's use case:
 * its page shows "complet — liste d'attente".
 */
async function soldOutWithWaitingList(trx: Trx, config: Config, placeId: string, slug: string, eventId: string) {
  await trx
    .updateTable('events')
    .set({ capacity: SOLD_OUT.capacity })
    .where('place_id', '=', placeId)
    .where('id', '=', eventId)
    .execute();
  const { id: priceId } = await createTicketPrice(trx, SYSTEM, {
    slug,
    eventId,
    name: 'Entrée libre sur réservation (petite jauge)',
    kind: 'free',
  });
  const date = await trx
    .selectFrom('event_dates')
    .select('id')
    .where('place_id', '=', placeId)
    .where('event_id', '=', eventId)
    .where('starts_at', '>', sql<Date>`now() + interval '1 day'`)
    .orderBy('starts_at')
    .executeTakeFirstOrThrow();
  for (const [i, quantity] of SOLD_OUT.bookings.entries()) {
    const person = await ensurePerson(trx, `reservation${i + 1}@demo.rezo.test`, 'fr');
    const held = await insertHold(trx, {
      placeId,
      personId: person.id,
      email: person.email,
      name: '',
      language: 'fr',
      lines: [
        {
          id: uuidv7(),
          priceId,
          eventId,
          eventDateId: date.id,
          quantity,
          unitCents: 0,
          discountCents: 0,
          vatBp: 0,
          priceRevision: 0,
        },
      ],
      promoCodeId: null,
      holdMinutes: 30,
      confirmTokenHash: null,
      answers: [],
      actor: personActor(person.id),
    });
    if (!held || !(await completeOrder(trx, config, SYSTEM, held.id, null)))
      throw new Error('demo: the sold-out date could not be booked');
  }
  for (const [i, quantity] of SOLD_OUT.waiting.entries()) {
    const person = await ensurePerson(trx, `attente${i + 1}@demo.rezo.test`, 'fr');
    await joinWaitingList(trx, config, personActor(person.id), {
      eventId,
      dateId: date.id,
      priceId,
      quantity,
      language: 'fr',
    });
  }
}
