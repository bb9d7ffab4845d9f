import { personActor, SYSTEM, type PersonActor } from '../access/actor.ts';
import { ensurePerson } from '../accounts/people.ts';
import type { Db } from '../db/database.ts';
import type { PlaceRole } from '../db/schema.ts';
import { createPlace } from '../places/createPlace.ts';
import type { Place } from '../places/places.ts';

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
