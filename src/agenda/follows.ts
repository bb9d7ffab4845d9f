import type { Db } from '../db/database.ts';
import { placesByIds } from '../places/index.ts';

export interface FollowedVenue {
  id: string;
  slug: string;
  name: string;
  includeTags: string[];
  excludeTags: string[];
}

/** What a venue's agenda follows: other venues (by name, with their tag filters) and tags (alphabetical). */
export async function followsOf(db: Db, placeId: string): Promise<{ venues: FollowedVenue[]; tags: string[] }> {
  const [rows, tags] = await Promise.all([
    db
      .selectFrom('place_follows')
      .select(['followed_place_id', 'include_tags', 'exclude_tags'])
      .where('place_id', '=', placeId)
      .execute(),
    db.selectFrom('tag_follows').select('tag').where('place_id', '=', placeId).orderBy('tag').execute(),
  ]);
  const follow = new Map(rows.map((r) => [r.followed_place_id, r]));
  const venues = (await placesByIds(db, [...follow.keys()])).map((p) => ({
    id: p.id,
    slug: p.slug,
    name: p.name,
    includeTags: follow.get(p.id)!.include_tags,
    excludeTags: follow.get(p.id)!.exclude_tags,
  }));
  return { venues, tags: tags.map((x) => x.tag) };
}
