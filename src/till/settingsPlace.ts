import type { FastifyRequest } from 'fastify';
import { authorize } from '../access/permissions.ts';
import type { Db } from '../db/database.ts';
import { actorOf } from '../http/context.ts';
import { findPlaceById } from '../places/index.ts';
import { notFound } from '../shared/errors.ts';

/** For the API by venue id: checks the place exists and the actor may set it up (place.settings). */
export async function settingsPlace(db: Db, request: FastifyRequest, placeId: string): Promise<void> {
  const place = await findPlaceById(db, placeId);
  if (!place) throw notFound('place');
  await authorize(db, actorOf(request), placeId, 'place.settings');
}
