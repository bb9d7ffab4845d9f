import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { insertNodeSettingOnce, readNodeSetting } from '../node/nodeSecret.ts';

const SETTING = 'ledger.signing_key';
// The witness's own key (docs/FEDERATION.md, "Witnesses"): a cosignature/v1 does not name the cosigner,
// so one key must serve one name — never the ledger key.
const WITNESS_SETTING = 'ledger.witness_key';

/** The node's Ed25519 key pair: signs checkpoints and wallet passes. */
export interface NodeKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI DER, base64: what GET /api/v1/ledger/key publishes. */
  publicKeyBase64: string;
  publicKeyPem: string;
}

// Parsing the key costs more than reading it; a node has one key (tests have one per database).
const cache = new Map<string, NodeKey>();
// The key once read outside any transaction (so committed), per database. A Kysely instance and every
// transaction opened from it share one adapter object, which identifies the database here. Saves a
// round trip on every wallet pass checked at a till. The key is never rotated while a node runs.
const committed = new WeakMap<object, NodeKey>();

/**
 * Loads the node key from node_settings, creating it on first use. Two processes starting together
 * both try to insert; `on conflict do nothing` plus a re-read makes them agree on one key.
 */
export async function loadNodeKey(db: Db): Promise<NodeKey> {
  const database = db.getExecutor().adapter;
  const known = committed.get(database);
  if (known) return known;
  const key = await readNodeKey(db, SETTING);
  if (!db.isTransaction) committed.set(database, key);
  return key;
}

/** The node's witness key (Ed25519, created on first use like the ledger key). */
export function loadWitnessKey(db: Db): Promise<NodeKey> {
  return readNodeKey(db, WITNESS_SETTING);
}

async function readNodeKey(db: Db, setting: string): Promise<NodeKey> {
  let stored = await readNodeSetting(db, setting);
  if (stored === undefined) {
    const { privateKey } = generateKeyPairSync('ed25519');
    await insertNodeSettingOnce(db, setting, privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'));
    stored = await readNodeSetting(db, setting);
    if (stored === undefined) throw new Error('the node key was not kept');
  }
  const row = { value: stored };
  const cached = cache.get(row.value);
  if (cached) return cached;
  const privateKey = createPrivateKey({ key: Buffer.from(row.value, 'base64'), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  const key: NodeKey = {
    privateKey,
    publicKey,
    publicKeyBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
  if (cache.size > 100) cache.clear();
  cache.set(row.value, key);
  return key;
}

export function signText(key: KeyObject, message: string): string {
  return sign(null, Buffer.from(message, 'utf8'), key).toString('base64url');
}

export function verifyText(key: KeyObject, message: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(message, 'utf8'), key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}

// Parsed device keys, by their text: parsing on every signed request cost more than verifying.
const publicKeys = new Map<string, KeyObject>();
export function publicKeyFromBase64(spkiBase64: string): KeyObject {
  let key = publicKeys.get(spkiBase64);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
    if (publicKeys.size > 10_000) publicKeys.clear();
    publicKeys.set(spkiBase64, key);
  }
  return key;
}
