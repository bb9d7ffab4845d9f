import { verifyRequest } from '@fedify/fedify';
import type { FastifyRequest } from 'fastify';
import { findEvent, isListed } from '../agenda/index.ts';
import type { Db } from '../db/database.ts';
import type { ModuleApp } from '../http/module.ts';
import { DomainError, notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { hitRateLimits, TooManyRequests } from '../shared/rateLimits.ts';
import { placesLeft } from '../ticketing/index.ts';
import { availabilityName, type Availability } from './availabilityBands.ts';
import type { FederationData, RezoFederation } from './fedify.ts';
import { toRequest } from './mount.ts';

/** Signed GETs of the availability endpoint answered per actor and minute (docs/FEDERATION.md). */
export const AVAILABILITY_PER_MINUTE = 120;

export interface LiveAvailability {
  remaining: number | null;
  availability: Availability;
  asOf: string;
}

/** A public listed date's places left now, or null when it is unknown or not public. */
export async function liveAvailability(db: Db, dateId: string): Promise<LiveAvailability | null> {
  const row = await db
    .selectFrom('federation_published')
    .select(['place_id', 'event_id'])
    .where('object_id', '=', dateId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  const event = await findEvent(db, row.event_id);
  if (!event || !isListed(event) || !event.dates.some((d) => d.id === dateId)) return null;
  const left = (await placesLeft(db, [{ placeId: row.place_id, dateId }])).get(dateId)!;
  return {
    remaining: left.remaining,
    availability: availabilityName(left.remaining, left.capacity),
    asOf: new Date().toISOString(),
  };
}

/**
 * The actor whose HTTP signature the request carries, verified by Fedify as the inbox verifies
 * (its key fetched through the federation's document loader and KV cache): null when unsigned, badly
 * signed, or its key names no owner.
 */
async function signer(federation: RezoFederation, data: FederationData, request: FastifyRequest) {
  if (!request.headers.signature) return null;
  const fetchRequest = toRequest(request, data.config.baseUrl);
  const ctx = federation.createContext(fetchRequest, data);
  const key = await verifyRequest(fetchRequest, {
    documentLoader: ctx.documentLoader,
    contextLoader: ctx.contextLoader,
    timeWindow: { hours: 1 },
  }).catch(() => null);
  return key?.ownerId?.href ?? null;
}

/**
 * `GET /ap/events/<date id>/availability` (docs/FEDERATION.md, "Live availability"; docs/API.md):
 * `{ remaining, availability, asOf }` to HTTP-signed requests only — 401 unsigned or badly signed,
 * 429 over AVAILABILITY_PER_MINUTE per signing actor, 404 unknown or not public — with
 * `Cache-Control: max-age=5`. The numbers are public (the Event object carries them); the signature
 * is what the rate limit counts.
 */
export function availabilityRoutes(app: ModuleApp, federation: RezoFederation, data: FederationData): void {
  app.get<{ Params: { dateId: string } }>(
    '/ap/events/:dateId/availability',
    { schema: { hide: true } },
    async (request, reply) => {
      const actor = await signer(federation, data, request);
      if (!actor) throw new DomainError('federation-unsigned', 401);
      const verdict = await hitRateLimits(data.db, [
        { scope: 'federation-availability', key: actor, max: AVAILABILITY_PER_MINUTE, windowSeconds: 60 },
      ]);
      if (!verdict.allowed) throw new TooManyRequests('federation-too-many-requests', verdict.retryAfterSeconds);
      const { dateId } = request.params;
      const found = isUuid(dateId) ? await liveAvailability(data.db, dateId.toLowerCase()) : null;
      if (!found) throw notFound('event');
      return reply.header('cache-control', 'max-age=5').type('application/json; charset=utf-8').send(found);
    },
  );
}
