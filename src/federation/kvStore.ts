import type { KvKey, KvStore, KvStoreSetOptions } from '@fedify/fedify';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/**
 * Fedify's key-value store on Rezo's database (federation_kv), so it works on PGlite and PostgreSQL
 * alike and is shared by every process of a node: cached remote keys and documents, and the inbox's
 * idempotence keys. A value with a TTL reads as absent once expired; purgeExpiredKv removes it.
 */
export class KyselyKvStore implements KvStore {
  constructor(private readonly db: Db) {}

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const row = await this.db
      .selectFrom('federation_kv')
      .select('value')
      .where('key', '=', sql<string[]>`${[...key]}::text[]`)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .executeTakeFirst();
    return row ? (row.value as T) : undefined;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    // Fedify gives TTLs in days, hours or seconds: total() needs no reference date for those.
    const ttlMs = options?.ttl ? options.ttl.total('millisecond') : null;
    const expires = ttlMs === null ? null : new Date(Date.now() + ttlMs);
    const json = JSON.stringify(value ?? null);
    await this.db
      .insertInto('federation_kv')
      .values({ key: sql<string[]>`${[...key]}::text[]`, value: json, expires_at: expires })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: json, expires_at: expires }))
      .execute();
  }

  async delete(key: KvKey): Promise<void> {
    await this.db
      .deleteFrom('federation_kv')
      .where('key', '=', sql<string[]>`${[...key]}::text[]`)
      .execute();
  }
}

/** Removes the expired entries of the store (hourly housekeeping). Returns how many. */
export async function purgeExpiredKv(db: Db): Promise<number> {
  const result = await sql`delete from federation_kv where expires_at <= now()`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
