import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { PlaceRole } from '../db/schema.ts';
import { personActor, SYSTEM } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import { createPlace } from '../places/createPlace.ts';
import { createLedgerWorld } from '../ledger/testFixtures.ts';
import { uuidv7 } from '../shared/ids.ts';
import { createTicketPrice, type TicketPriceInput } from './createTicketPrice.ts';

/**
 * A venue with one published event and its dates, written straight into the tables so ticketing
 * tests do not depend on the agenda's forms. Returns ids and an admin actor.
 */
export async function eventWithDates(
  db: Db,
  options: { slug: string; capacity?: number | null; dates?: number; state?: string; visibility?: string },
) {
  const admin = await ensurePerson(db, `admin@${options.slug}.example`, 'fr');
  const place = await createPlace(
    db,
    SYSTEM,
    { slug: options.slug, name: `Salle ${options.slug}`, modules: ['agenda', 'ticketing'] },
    admin.id,
  );
  const eventId = uuidv7();
  await db
    .insertInto('events')
    .values({
      place_id: place.id,
      id: eventId,
      slug: `${options.slug}-concert`,
      title: 'Concert',
      state: options.state ?? 'published',
      visibility: options.visibility ?? 'public',
      capacity: options.capacity === undefined ? 50 : options.capacity,
    } as never)
    .execute();
  const dateIds: string[] = [];
  for (let i = 0; i < (options.dates ?? 1); i++) {
    const id = uuidv7();
    dateIds.push(id);
    await db
      .insertInto('event_dates')
      .values({
        place_id: place.id,
        event_id: eventId,
        id,
        starts_at: sql<Date>`now() + make_interval(days => ${7 + i})`,
        timezone: 'Indian/Reunion',
      } as never)
      .execute();
  }
  return { place, eventId, dateIds, admin: personActor(admin.id) };
}

/**
 * A ledger world (src/ledger/testFixtures.ts) whose venue A sells a 15 € ticket ("Plein") for a date
 * in 7 days with 50 seats: the shared start of the wallet and on-site payment tests.
 */
export async function ledgerSellingWorld(db: Db) {
  const world = await createLedgerWorld(db);
  await db
    .updateTable('places')
    .set({ modules: ['agenda', 'ticketing', 'memberships'] } as never)
    .where('id', '=', world.venueA.id)
    .execute();
  const eventId = uuidv7();
  const dateId = uuidv7();
  await db
    .insertInto('events')
    .values({
      place_id: world.venueA.id,
      id: eventId,
      slug: `${world.venueA.slug}-concert`,
      title: 'Concert',
      state: 'published',
      visibility: 'public',
      capacity: 50,
    } as never)
    .execute();
  await db
    .insertInto('event_dates')
    .values({
      place_id: world.venueA.id,
      event_id: eventId,
      id: dateId,
      starts_at: sql<Date>`now() + interval '7 days'`,
      timezone: 'Indian/Reunion',
    } as never)
    .execute();
  const { id: priceId } = await createTicketPrice(db, world.adminA, {
    slug: world.venueA.slug,
    eventId,
    name: 'Plein',
    kind: 'fixed',
    price: '15',
  });
  return { world, eventId, dateId, priceId };
}

/** A venue's event (eventWithDates) selling one fixed price, and the price's id. */
export async function eventOnSale(db: Db, slug: string, price: { name: string; price: string; capacity?: number }) {
  const ev = await eventWithDates(db, { slug, capacity: price.capacity ?? 40 });
  const { id: priceId } = await createTicketPrice(db, ev.admin, {
    slug,
    eventId: ev.eventId,
    name: price.name,
    kind: 'fixed',
    price: price.price,
  });
  return { ...ev, priceId };
}

type PriceFields = Omit<TicketPriceInput, 'slug' | 'eventId'>;

/** A venue's event (eventWithDates) selling these prices; `priceIds` in the order given. */
export async function eventSelling<P extends PriceFields[]>(
  db: Db,
  options: Parameters<typeof eventWithDates>[1],
  ...prices: P
) {
  const ev = await eventWithDates(db, options);
  const priceIds: string[] = [];
  for (const price of prices)
    priceIds.push((await createTicketPrice(db, ev.admin, { slug: options.slug, eventId: ev.eventId, ...price })).id);
  return { ...ev, priceIds: priceIds as { [K in keyof P]: string } };
}

/** eventSelling, paid through Stripe: the venue's connected account is `acct_<slug without its dashes>`. */
export async function eventOnStripe<P extends PriceFields[]>(
  db: Db,
  options: Parameters<typeof eventWithDates>[1],
  ...prices: P
) {
  const ev = await eventSelling(db, options, ...prices);
  await db
    .updateTable('places')
    .set({ stripe_account_id: `acct_${options.slug.replaceAll('-', '')}` })
    .where('id', '=', ev.place.id)
    .execute();
  return ev;
}

/** A person (made if new) in the venue's team with this role. */
export async function addTeamMember(db: Db, placeId: string, email: string, role: PlaceRole): Promise<string> {
  const person = await ensurePerson(db, email, 'fr');
  await db.insertInto('place_members').values({ place_id: placeId, person_id: person.id, role }).execute();
  return person.id;
}
