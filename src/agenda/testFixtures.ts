import { personActor, SYSTEM, type PersonActor } from '../access/actor.ts';
import type { Config } from '../config.ts';
import { ensurePerson } from '../accounts/people.ts';
import type { Db } from '../db/database.ts';
import type { PlaceRole } from '../db/schema.ts';
import { createPlace } from '../places/createPlace.ts';
import type { Place } from '../places/places.ts';
import { completeOrder } from '../ticketing/completeOrder.ts';
import { createTicketPrice } from '../ticketing/createTicketPrice.ts';
import { placeOrder } from '../ticketing/placeOrder.ts';

/** Test helpers of the agenda module: people, venues with a team. Used only by *.test.ts files. */
export async function personNamed(db: Db, email: string): Promise<PersonActor> {
  const person = await ensurePerson(db, email, 'fr');
  return personActor(person.id);
}

export async function venue(
  db: Db,
  slug: string,
  team: Record<string, PlaceRole> = {},
  extra: Record<string, unknown> = {},
): Promise<Place & { admin: PersonActor }> {
  const admin = await personNamed(db, `admin-${slug}@example.org`);
  const place = await createPlace(
    db,
    SYSTEM,
    { slug, name: `Venue ${slug}`, city: 'Saint-Pierre', timezone: 'Indian/Reunion', ...extra },
    admin.personId,
  );
  for (const [email, role] of Object.entries(team)) {
    const p = await personNamed(db, email);
    await db.insertInto('place_members').values({ place_id: place.id, person_id: p.personId, role }).execute();
  }
  return { ...place, admin };
}

/** A local date-time string `days` days from now at `time` (wall clock of whatever zone is used). */
export function inDays(days: number, time = '20:00'): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.toISOString().slice(0, 10)}T${time}`;
}

/** Two tickets sold on a date of a published event (a new price, an order completed as a payment would). */
export async function sellTickets(
  db: Db,
  config: Config,
  admin: PersonActor,
  where: { slug: string; eventId: string; dateId: string },
): Promise<void> {
  const { slug, eventId, dateId } = where;
  const price = await createTicketPrice(db, admin, { slug, eventId, name: 'Entrée', kind: 'fixed', price: '5' });
  const placed = await placeOrder(db, config, null, {
    slug,
    email: 'fan@example.org',
    language: 'fr',
    lines: [{ priceId: price.id, eventDateId: dateId, quantity: 2 }],
  });
  await db.transaction().execute((trx) => completeOrder(trx, config, SYSTEM, placed.id, null));
}
