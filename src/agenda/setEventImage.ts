import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { DomainError } from '../shared/errors.ts';
import { sniffImage } from '../shared/images.ts';
import { attachEventImage, makeImageVariants } from './eventMedia.ts';
import { bumpSequence, lockEvent, type AgendaEvent } from './events.ts';

/**
 * Sets the image of an event from uploaded bytes. The type is read from the bytes (PNG, JPEG, WebP,
 * GIF; never SVG) and the size limit is checked here too, so the use case is safe whoever calls it.
 * Only the two re-encoded WebP variants are stored.
 */
export async function setEventImage(
  db: Db,
  actor: Actor,
  input: { eventId: string; bytes: Uint8Array; maxBytes: number },
): Promise<AgendaEvent> {
  if (input.bytes.length === 0) throw new DomainError('validation', 422, {}, [{ field: 'image', message: 'required' }]);
  if (input.bytes.length > input.maxBytes) {
    throw new DomainError('validation', 422, {}, [
      { field: 'image', message: 'file-too-large', params: { max: Math.round(input.maxBytes / 1024) } },
    ]);
  }
  if (!sniffImage(input.bytes))
    throw new DomainError('validation', 422, {}, [{ field: 'image', message: 'image-type' }]);
  let variants;
  try {
    variants = await makeImageVariants(input.bytes);
  } catch {
    // The signature looked right but the file does not decode (truncated, corrupt, too many pixels).
    throw new DomainError('validation', 422, {}, [{ field: 'image', message: 'image-type' }]);
  }
  return inTransaction(db, async (trx) => {
    const event = await lockEvent(trx, input.eventId);
    await authorize(trx, actor, event.placeId, 'events.write');
    await attachEventImage(trx, event, variants);
    await bumpSequence(trx, event.placeId, event.id);
    await audit(trx, actor, {
      placeId: event.placeId,
      action: 'event.image.set',
      subjectId: event.id,
      data: { bytes: input.bytes.length },
    });
    return lockEvent(trx, event.id);
  });
}
