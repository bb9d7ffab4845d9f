import type { Db } from '../db/database.ts';
import type { PlaceRole } from '../db/schema.ts';
import { ROLES } from '../access/actor.ts';
import { DomainError, FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { getPlaceBySlug, lockPlace } from '../places/index.ts';

export interface TeamMember {
  personId: string;
  email: string;
  name: string;
  role: PlaceRole;
  since: Date;
}

export function readRole(raw: unknown, field = 'role'): PlaceRole {
  if (typeof raw === 'string' && (ROLES as readonly string[]).includes(raw)) return raw as PlaceRole;
  const errors = new FieldErrors();
  errors.add(field, 'choice');
  errors.throwIfAny();
  throw new Error('unreachable');
}

export async function teamOf(db: Db, placeId: string): Promise<TeamMember[]> {
  const rows = await db
    .selectFrom('place_members')
    .innerJoin('people', 'people.id', 'place_members.person_id')
    .select(['people.id', 'people.email', 'people.name', 'place_members.role', 'place_members.created_at'])
    .where('place_members.place_id', '=', placeId)
    .orderBy('place_members.role')
    .orderBy('people.email')
    .execute();
  return rows.map((r) => ({ personId: r.id, email: r.email, name: r.name, role: r.role, since: r.created_at }));
}

/**
 * Locks the place's row: team changes of one place run one after the other, so two admins demoting
 * each other at the same moment cannot leave the place with no admin. Take it before `authorize`,
 * so the actor's role is read as it is once the change may proceed.
 */
export async function lockTeam(db: Db, placeId: string): Promise<void> {
  await lockPlace(db, placeId);
}

/** Refuses a change that would leave the place without an admin. Call after lockTeam. */
export async function assertAnotherAdmin(db: Db, placeId: string, personId: string): Promise<void> {
  const others = await db
    .selectFrom('place_members')
    .select('person_id')
    .where('place_id', '=', placeId)
    .where('role', '=', 'admin')
    .where('person_id', '!=', personId)
    .limit(1)
    .execute();
  if (others.length === 0) throw new DomainError('last-admin', 409);
}

/**
 * Opens a team change on a member: locks the team, then checks that the actor may manage it — in
 * that order, so an admin demoted while this change waited for the lock is refused — and reads the
 * member's current role. Call inside the change's transaction.
 */
export async function lockedMember(
  db: Db,
  actor: Actor,
  slug: string,
  personId: string,
): Promise<{ placeId: string; role: PlaceRole }> {
  if (!isUuid(personId)) throw notFound('member');
  const place = await getPlaceBySlug(db, slug);
  await lockTeam(db, place.id);
  await authorize(db, actor, place.id, 'place.team.manage');
  const member = await db
    .selectFrom('place_members')
    .select('role')
    .where('place_id', '=', place.id)
    .where('person_id', '=', personId)
    .executeTakeFirst();
  if (!member) throw notFound('member');
  return { placeId: place.id, role: member.role };
}
