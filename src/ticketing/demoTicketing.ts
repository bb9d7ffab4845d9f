import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { createTicketPrice } from './createTicketPrice.ts';

/** How many of each ticketing venue's next paying events get prices in the demo. */
const EVENTS_PER_VENUE = 4;

/**
 * The demo sells (called only by src/demo/loadDemo.ts, after the agenda and the memberships): the next
 * paying events of each demo venue with ticketing get a capacity and several prices — full, reduced,
 * members' (where the venue has memberships) and, on the first of them, pay-what-you-want; the next free
 * event of La Fabrik takes free bookings. Bought with the demo payment provider (docs/PAYMENTS.md).
 */
export async function loadDemoTicketing(trx: Trx): Promise<{ events: number; prices: number }> {
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
    }
  }
  return { events, prices };
}
