import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { readTags } from './eventInput.ts';
import { findPlaceById } from '../places/index.ts';

export interface PlaceFollow {
  followedPlaceId: string;
  includeTags: string[];
  excludeTags: string[];
}

/**
 * The tag rules of a follow (`includeTags`, `excludeTags`: comma-separated or lists), normalised as
 * event tags, at most 50 each, none in both; mistakes go to `errors`. Remote follows use the same.
 */
export function readFollowTags(
  errors: FieldErrors,
  input: { includeTags?: unknown; excludeTags?: unknown },
): { includeTags: string[]; excludeTags: string[] } {
  const includeTags = readTags(errors, 'includeTags', input.includeTags ?? [], 50);
  const excludeTags = readTags(errors, 'excludeTags', input.excludeTags ?? [], 50);
  if (includeTags.some((t) => excludeTags.includes(t))) errors.add('excludeTags', 'agenda.tag-both');
  return { includeTags, excludeTags };
}

/**
 * A venue shows another venue's public events on its agenda, optionally only those with one of
 * `includeTags`, never those with one of `excludeTags`. Following again replaces the tag lists.
 */
export async function followPlace(
  db: Db,
  actor: Actor,
  input: { placeId: string; followedPlaceId: string; includeTags?: unknown; excludeTags?: unknown },
): Promise<PlaceFollow> {
  const errors = new FieldErrors();
  const { includeTags, excludeTags } = readFollowTags(errors, input);
  if (input.followedPlaceId === input.placeId) errors.add('followedPlaceId', 'agenda.follow-self');
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    await authorize(trx, actor, input.placeId, 'events.write');
    const followed = !isUuid(input.followedPlaceId) ? undefined : await findPlaceById(trx, input.followedPlaceId);
    if (!followed) throw notFound('place');
    await trx
      .insertInto('place_follows')
      .values({
        place_id: input.placeId,
        followed_place_id: followed.id,
        include_tags: includeTags,
        exclude_tags: excludeTags,
      })
      .onConflict((oc) =>
        oc
          .columns(['place_id', 'followed_place_id'])
          .doUpdateSet({ include_tags: includeTags, exclude_tags: excludeTags }),
      )
      .execute();
    await audit(trx, actor, {
      placeId: input.placeId,
      action: 'agenda.place.followed',
      subjectId: followed.id,
      data: { includeTags, excludeTags },
    });
    return { followedPlaceId: followed.id, includeTags, excludeTags };
  });
}
