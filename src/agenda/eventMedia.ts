import sharp from 'sharp';
import type { Trx } from '../db/database.ts';
import { deleteMedia, storeMedia } from '../places/index.ts';

/** Sizes of the WebP variants of an event image: list (cards) and page (event page, Open Graph). */
export const IMAGE_VARIANTS = { list: { width: 480, height: 320 }, page: { width: 1200, height: 800 } } as const;
// A decompression bomb (a small file claiming a huge canvas) is refused before decoding.
const MAX_INPUT_PIXELS = 40_000_000;

export interface ImageVariant {
  bytes: Buffer;
  width: number;
  height: number;
}

/**
 * Makes the list and page variants: re-encoded (drops metadata and anything hidden in the file),
 * rotated by EXIF, shrunk within the box but never enlarged.
 */
export async function makeImageVariants(bytes: Uint8Array): Promise<{ list: ImageVariant; page: ImageVariant }> {
  const make = async (box: { width: number; height: number }) => {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, animated: false })
      .rotate()
      .resize({ width: box.width, height: box.height, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer({ resolveWithObject: true });
    return { bytes: data, width: info.width, height: info.height };
  };
  return { list: await make(IMAGE_VARIANTS.list), page: await make(IMAGE_VARIANTS.page) };
}

export async function insertMedia(trx: Trx, placeId: string, variant: ImageVariant): Promise<string> {
  return storeMedia(trx, placeId, { contentType: 'image/webp', ...variant });
}

/**
 * Stores the two variants as the event's image and drops the rows of its previous image (when no
 * other event uses them). The one path of an upload and of the demo's generated posters.
 */
export async function attachEventImage(
  trx: Trx,
  event: { placeId: string; id: string; imageListMediaId: string | null; imagePageMediaId: string | null },
  variants: { list: ImageVariant; page: ImageVariant },
): Promise<void> {
  const listId = await insertMedia(trx, event.placeId, variants.list);
  const pageId = await insertMedia(trx, event.placeId, variants.page);
  await trx
    .updateTable('events')
    .set({ image_list_media_id: listId, image_page_media_id: pageId })
    .where('place_id', '=', event.placeId)
    .where('id', '=', event.id)
    .execute();
  await deleteUnusedMedia(trx, event.placeId, [event.imageListMediaId, event.imagePageMediaId]);
}

/**
 * Deletes media rows no event of the venue uses any more. A duplicated event shares its original's
 * image rows, so a row is dropped only when the last event using it lets go.
 */
export async function deleteUnusedMedia(trx: Trx, placeId: string, ids: (string | null)[]): Promise<void> {
  for (const id of ids) {
    if (!id) continue;
    const used = await trx
      .selectFrom('events')
      .select('id')
      .where('place_id', '=', placeId)
      .where((eb) => eb.or([eb('image_list_media_id', '=', id), eb('image_page_media_id', '=', id)]))
      .executeTakeFirst();
    if (!used) await deleteMedia(trx, placeId, id);
  }
}
