import type { Trx } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import { sha256Hex } from '../shared/secrets.ts';

/** An image to store for a venue (its logo and cover, its events' images): bytes already checked and resized. */
export interface NewMedia {
  contentType: string;
  bytes: Buffer;
  width: number;
  height: number;
}

/** Stores an image of a venue; answers its id. */
export async function storeMedia(trx: Trx, placeId: string, media: NewMedia): Promise<string> {
  const id = uuidv7();
  await trx
    .insertInto('media')
    .values({
      place_id: placeId,
      id,
      content_type: media.contentType,
      byte_size: media.bytes.length,
      sha256: sha256Hex(media.bytes),
      width: media.width,
      height: media.height,
      bytes: media.bytes,
    })
    .execute();
  return id;
}

/** Deletes an image of a venue (the caller knows nothing uses it any more). */
export async function deleteMedia(trx: Trx, placeId: string, id: string): Promise<void> {
  await trx.deleteFrom('media').where('place_id', '=', placeId).where('id', '=', id).execute();
}
