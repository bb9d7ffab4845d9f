import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { API_SCOPES, authorize } from '../access/permissions.ts';
import { FieldErrors, forbidden } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { hashToken, randomToken } from '../shared/secrets.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { KEY_PREFIX, type ApiKeyInfo } from './apiKeys.ts';

export interface CreateApiKeyInput {
  slug: string;
  /** What the key is for, e.g. "site web" or "scanner entrée". */
  name: unknown;
  /** One or more of API_SCOPES. */
  scopes: unknown;
}

/**
 * Makes an API key for a place. The secret is returned once, here; only its SHA-256 is stored, so
 * nobody (not even an operator) can read it back. Only people (admins) make keys: a key cannot
 * make keys.
 */
export async function createApiKey(
  db: Db,
  actor: Actor,
  input: CreateApiKeyInput,
): Promise<{ key: ApiKeyInfo; secret: string }> {
  if (actor.kind === 'apiKey') throw forbidden();
  const errors = new FieldErrors();
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name) errors.add('name', 'required');
  else if (name.length > 80) errors.add('name', 'too-long', { max: 80 });
  const rawScopes = Array.isArray(input.scopes) ? input.scopes : input.scopes === undefined ? [] : [input.scopes];
  const scopes = [...new Set(rawScopes)];
  if (scopes.length === 0) errors.add('scopes', 'required');
  else if (!scopes.every((s) => typeof s === 'string' && API_SCOPES.includes(s))) errors.add('scopes', 'choice');
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'place.keys');
    const secret = KEY_PREFIX + randomToken();
    const id = uuidv7();
    const row = await trx
      .insertInto('api_keys')
      .values({
        place_id: place.id,
        id,
        name,
        prefix: secret.slice(0, KEY_PREFIX.length + 6),
        key_hash: hashToken(secret),
        scopes: scopes as string[],
        created_by: actor.kind === 'person' ? actor.personId : null,
      })
      .returning(['id', 'name', 'prefix', 'scopes', 'created_at', 'last_used_at', 'revoked_at'])
      .executeTakeFirstOrThrow();
    await audit(trx, actor, { placeId: place.id, action: 'api-key.created', subjectId: id, data: { name, scopes } });
    return {
      key: {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        scopes: row.scopes,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
        revokedAt: row.revoked_at,
      },
      secret,
    };
  });
}
