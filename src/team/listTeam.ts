import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { teamOf, type TeamMember } from './team.ts';

/** The team of a place, for its admins (or a key with `team:read`). */
export async function listTeam(db: Db, actor: Actor, slug: string): Promise<TeamMember[]> {
  const place = await getPlaceBySlug(db, slug);
  await authorize(db, actor, place.id, 'place.team.read');
  return teamOf(db, place.id);
}
