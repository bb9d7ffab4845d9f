import type { Db } from '../../db/database.ts';
import { loadNodeKey, loadWitnessKey } from '../nodeKey.ts';
import { signCheckpoint } from '../tlog/checkpoint.ts';
import { ed25519Cosigner, type Cosigner } from '../tlog/cosignature.ts';
import { ledgerLogOrigin } from '../tlog/ledgerLog.ts';
import {
  SIGNATURE_TYPE,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatVerifierKey,
  rawEd25519PublicKey,
  type NoteVerifier,
} from '../tlog/signedNote.ts';

/**
 * Who the node is when it takes part in ledger witnessing (docs/FEDERATION.md, "Ledger witnessing"):
 * its host (with the port, from REZO_BASE_URL) names its logs `<host>/rezo/ledger/<CODE>`, signed with
 * the ledger key, and its witness `<host>/rezo/witness`, signed with the witness key.
 */
export function nodeHost(baseUrl: string): string {
  return new URL(baseUrl).host.toLowerCase();
}

export function logOrigin(baseUrl: string, currencyCode: string): string {
  return ledgerLogOrigin(nodeHost(baseUrl), currencyCode);
}

/** The currency code a ledger log origin names (its last path segment). */
export function currencyOfOrigin(origin: string): string | null {
  const m = /\/rezo\/ledger\/([A-Z0-9]{1,12})$/.exec(origin);
  return m ? m[1]! : null;
}

export function witnessName(baseUrl: string): string {
  return `${nodeHost(baseUrl)}/rezo/witness`;
}

/** Signs a checkpoint body with the node's ledger key under the log's origin. */
export async function signLogCheckpoint(db: Db, origin: string, size: number, rootHash: Uint8Array): Promise<string> {
  const key = await loadNodeKey(db);
  return signCheckpoint({ origin, size, rootHash, extensions: [] }, [ed25519NoteSigner(origin, key.privateKey)]);
}

/** The verifier of the node's own checkpoints of a log (what `rezo ledger verify` checks them with). */
export async function ownLogVerifier(db: Db, origin: string): Promise<NoteVerifier> {
  return ed25519NoteVerifier(origin, (await loadNodeKey(db)).publicKey);
}

export async function logVerifierKey(db: Db, origin: string): Promise<string> {
  const key = await loadNodeKey(db);
  return formatVerifierKey(origin, SIGNATURE_TYPE.ed25519, rawEd25519PublicKey(key.publicKey));
}

export async function witnessCosigner(db: Db, baseUrl: string): Promise<Cosigner> {
  return ed25519Cosigner(witnessName(baseUrl), (await loadWitnessKey(db)).privateKey);
}

export async function witnessVerifierKey(db: Db, baseUrl: string): Promise<string> {
  const key = await loadWitnessKey(db);
  return formatVerifierKey(witnessName(baseUrl), SIGNATURE_TYPE.cosignatureV1, rawEd25519PublicKey(key.publicKey));
}

/**
 * What `rezo ledger identity` prints and the instance actor publishes (docs/FEDERATION.md, "Actors"):
 * the witness's verifier key and each currency log's, by currency code.
 */
export async function ledgerIdentity(
  db: Db,
  baseUrl: string,
): Promise<{ witnessKey: string; logs: { currencyCode: string; origin: string; verifierKey: string }[] }> {
  const codes = await db.selectFrom('ledger_currencies').select('code').orderBy('code').execute();
  const logs = await Promise.all(
    codes.map(async (c) => {
      const origin = logOrigin(baseUrl, c.code);
      return { currencyCode: c.code, origin, verifierKey: await logVerifierKey(db, origin) };
    }),
  );
  return { witnessKey: await witnessVerifierKey(db, baseUrl), logs };
}
