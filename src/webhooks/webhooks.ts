import { authorize } from '../access/permissions.ts';
import type { Actor } from '../access/actor.ts';
import { inTransaction, type Db } from '../db/database.ts';
import { getPlaceBySlug } from '../places/index.ts';
import type { WebhookDeliveryStatus } from './tables.ts';

/** Event types a venue may subscribe to (docs/WEBHOOKS.md). */
export const WEBHOOK_EVENTS = ['order.paid', 'order.cancelled', 'order.refunded', 'membership.created'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Deliveries shown in the admin's log. */
export const LOG_SIZE = 50;

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  createdAt: Date;
}

export interface WebhookDelivery {
  id: string;
  endpointId: string;
  url: string;
  eventId: string;
  type: string;
  status: WebhookDeliveryStatus;
  statusCode: number | null;
  attempts: number;
  nextAttemptAt: Date | null;
  error: string | null;
  createdAt: Date;
}

/**
 * The endpoints of a venue (never their secrets) and its last deliveries, for its admins. Same
 * permission as API keys: an endpoint's secret is a credential of the venue.
 */
export async function listWebhooks(
  db: Db,
  actor: Actor,
  slug: string,
): Promise<{ endpoints: WebhookEndpoint[]; deliveries: WebhookDelivery[] }> {
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, slug);
    await authorize(trx, actor, place.id, 'place.keys');
    const endpoints = await trx
      .selectFrom('webhook_endpoints')
      .select(['id', 'url', 'events', 'active', 'created_at'])
      .where('place_id', '=', place.id)
      .orderBy('created_at')
      .execute();
    const deliveries = await trx
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', (j) =>
        j.onRef('e.place_id', '=', 'd.place_id').onRef('e.id', '=', 'd.endpoint_id'),
      )
      .select([
        'd.id',
        'd.endpoint_id',
        'e.url',
        'd.event_id',
        'd.type',
        'd.status',
        'd.status_code',
        'd.attempts',
        'd.next_attempt_at',
        'd.error',
        'd.created_at',
      ])
      .where('d.place_id', '=', place.id)
      .orderBy('d.created_at', 'desc')
      .orderBy('d.id', 'desc')
      .limit(LOG_SIZE)
      .execute();
    return {
      endpoints: endpoints.map((e) => ({
        id: e.id,
        url: e.url,
        events: e.events,
        active: e.active,
        createdAt: e.created_at,
      })),
      deliveries: deliveries.map((d) => ({
        id: d.id,
        endpointId: d.endpoint_id,
        url: d.url,
        eventId: d.event_id,
        type: d.type,
        status: d.status,
        statusCode: d.status_code,
        attempts: d.attempts,
        nextAttemptAt: d.status === 'pending' ? d.next_attempt_at : null,
        error: d.error,
        createdAt: d.created_at,
      })),
    };
  });
}
