import { exportJwk, generateCryptoKeyPair, importJwk } from '@fedify/fedify';
import type { Db } from '../db/database.ts';

/** The two key pairs of a local actor: RSA for HTTP Signatures (#main-key), Ed25519 for object proofs (#key-2). */
export interface ActorKeyPairs {
  rsa: CryptoKeyPair;
  ed25519: CryptoKeyPair;
}

/** Keys never change: read once per database and actor. */
const cache = new WeakMap<Db, Map<string, Promise<ActorKeyPairs>>>();

/**
 * The key pairs of a local actor (`relay` or a venue's id), made and stored on first use. Two
 * processes making them at once both insert `on conflict do nothing` and both read back the one
 * stored, so an actor never has two keys.
 */
export function actorKeyPairs(db: Db, actor: string): Promise<ActorKeyPairs> {
  let ofDb = cache.get(db);
  if (!ofDb) cache.set(db, (ofDb = new Map()));
  let pairs = ofDb.get(actor);
  if (!pairs) {
    const loading = loadOrCreate(db, actor);
    ofDb.set(actor, loading);
    loading.catch(() => ofDb.delete(actor));
    pairs = loading;
  }
  return pairs;
}

async function loadOrCreate(db: Db, actor: string): Promise<ActorKeyPairs> {
  let row = await read(db, actor);
  if (!row) {
    const [rsa, ed] = await Promise.all([generateCryptoKeyPair('RSASSA-PKCS1-v1_5'), generateCryptoKeyPair('Ed25519')]);
    await db
      .insertInto('federation_actor_keys')
      .values({
        actor,
        rsa_private: JSON.stringify(await exportJwk(rsa.privateKey)),
        rsa_public: JSON.stringify(await exportJwk(rsa.publicKey)),
        ed25519_private: JSON.stringify(await exportJwk(ed.privateKey)),
        ed25519_public: JSON.stringify(await exportJwk(ed.publicKey)),
      })
      .onConflict((oc) => oc.column('actor').doNothing())
      .execute();
    row = await read(db, actor);
    if (!row) throw new Error(`the keys of ${actor} could not be stored`);
  }
  const [rsaPrivate, rsaPublic, edPrivate, edPublic] = await Promise.all([
    importJwk(row.rsa_private as JsonWebKey, 'private'),
    importJwk(row.rsa_public as JsonWebKey, 'public'),
    importJwk(row.ed25519_private as JsonWebKey, 'private'),
    importJwk(row.ed25519_public as JsonWebKey, 'public'),
  ]);
  return {
    rsa: { privateKey: rsaPrivate, publicKey: rsaPublic },
    ed25519: { privateKey: edPrivate, publicKey: edPublic },
  };
}

function read(db: Db, actor: string) {
  return db.selectFrom('federation_actor_keys').selectAll().where('actor', '=', actor).executeTakeFirst();
}
