import { sql } from 'kysely';
import type { Trx } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import type { WebhookEvent } from './webhooks.ts';

/**
 * Records that `type` happened at a venue: one outbox row per active endpoint subscribed to it,
 * written in the caller's transaction, so an event exists only if the change behind it commits.
 * deliverWebhooks sends them later. Returns the event's id (also when nobody listens).
 */
export async function emitEvent(
  trx: Trx,
  event: { placeId: string; type: WebhookEvent; data: Record<string, unknown> },
): Promise<string> {
  const eventId = uuidv7();
  const endpoints = await trx
    .selectFrom('webhook_endpoints')
    .select('id')
    .where('place_id', '=', event.placeId)
    .where('active', '=', true)
    .where(sql<boolean>`${event.type} = any(events)`)
    .execute();
  if (endpoints.length === 0) return eventId;
  const body = JSON.stringify({
    id: eventId,
    type: event.type,
    created: Math.floor(Date.now() / 1000),
    data: event.data,
  });
  await trx
    .insertInto('webhook_deliveries')
    .values(
      endpoints.map((e) => ({
        place_id: event.placeId,
        id: uuidv7(),
        endpoint_id: e.id,
        event_id: eventId,
        type: event.type,
        body,
      })),
    )
    .execute();
  return eventId;
}
