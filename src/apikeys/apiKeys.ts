import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import type { ApiKeyActor } from '../access/actor.ts';
import { hashToken } from '../shared/secrets.ts';

export const KEY_PREFIX = 'rezo_';

export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export async function keysOf(db: Db, placeId: string): Promise<ApiKeyInfo[]> {
  const rows = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'prefix', 'scopes', 'created_at', 'last_used_at', 'revoked_at'])
    .where('place_id', '=', placeId)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }));
}

/**
 * The actor behind a bearer key, or null for an unknown or revoked key. Looked up by hash on every
 * request (no cache), so a revocation takes effect on the very next request. `last_used_at` is
 * written at most once a minute per key to keep hot keys from writing on every request.
 */
export async function authenticateApiKey(db: Db, secret: string): Promise<ApiKeyActor | null> {
  if (!secret.startsWith(KEY_PREFIX) || secret.length > 100) return null;
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'place_id', 'scopes', 'last_used_at'])
    .where('key_hash', '=', hashToken(secret))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    await db
      .updateTable('api_keys')
      .set({ last_used_at: sql<Date>`now()` })
      .where('place_id', '=', row.place_id)
      .where('id', '=', row.id)
      .execute();
  }
  return { kind: 'apiKey', keyId: row.id, placeId: row.place_id, scopes: row.scopes };
}
