import { sql } from 'kysely';
import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { sha256Hex } from '../shared/secrets.ts';
import { sniffImage } from '../shared/images.ts';
import { getPlaceBySlug } from './places.ts';

export type PlaceImageKind = 'logo' | 'cover';

/**
 * Stores a logo or cover image of a place. The type is read from the bytes (PNG, JPEG, WebP, GIF),
 * never trusted from the client; SVG is refused (it can carry scripts). The size limit is checked
 * here as well as by the upload parser, so the use case is safe whoever calls it.
 */
export async function uploadPlaceImage(
  db: Db,
  actor: Actor,
  input: { slug: string; kind: PlaceImageKind; bytes: Uint8Array; maxBytes: number },
): Promise<{ mediaId: string }> {
  if (input.bytes.length === 0)
    throw new DomainError('validation', 422, {}, [{ field: input.kind, message: 'required' }]);
  if (input.bytes.length > input.maxBytes) {
    throw new DomainError('validation', 422, {}, [
      { field: input.kind, message: 'file-too-large', params: { max: Math.round(input.maxBytes / 1024) } },
    ]);
  }
  const image = sniffImage(input.bytes);
  if (!image) throw new DomainError('validation', 422, {}, [{ field: input.kind, message: 'image-type' }]);
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'place.settings');
    // Read the image being replaced under a row lock: two uploads at once would otherwise both
    // delete the same old image and leave one of the new ones orphaned.
    const current = await trx
      .selectFrom('places')
      .select(['logo_media_id', 'cover_media_id'])
      .where('id', '=', place.id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const id = uuidv7();
    await trx
      .insertInto('media')
      .values({
        place_id: place.id,
        id,
        content_type: image.contentType,
        byte_size: input.bytes.length,
        sha256: sha256Hex(input.bytes),
        width: image.width,
        height: image.height,
        bytes: input.bytes,
      })
      .execute();
    const previous = input.kind === 'logo' ? current.logo_media_id : current.cover_media_id;
    await trx
      .updateTable('places')
      .set(
        input.kind === 'logo'
          ? { logo_media_id: id, updated_at: sql<Date>`now()` }
          : { cover_media_id: id, updated_at: sql<Date>`now()` },
      )
      .where('id', '=', place.id)
      .execute();
    // The replaced image is no longer shown anywhere: drop it rather than keep orphan bytes.
    if (previous) await trx.deleteFrom('media').where('place_id', '=', place.id).where('id', '=', previous).execute();
    await audit(trx, actor, {
      placeId: place.id,
      action: `place.${input.kind}.uploaded`,
      subjectId: id,
      data: { bytes: input.bytes.length, type: image.contentType },
    });
    return { mediaId: id };
  });
}
