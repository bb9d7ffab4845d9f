import type { Db } from '../db/database.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { forbidden } from '../shared/errors.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { keysOf, type ApiKeyInfo } from './apiKeys.ts';

export async function listApiKeys(db: Db, actor: Actor, slug: string): Promise<ApiKeyInfo[]> {
  if (actor.kind === 'apiKey') throw forbidden();
  const place = await getPlaceBySlug(db, slug);
  await authorize(db, actor, place.id, 'place.keys');
  return keysOf(db, place.id);
}
