/** The context that defines `proof`, `DataIntegrityProof`, `cryptosuite`, … (W3C Data Integrity). */
export const DATA_INTEGRITY_CONTEXT = 'https://w3id.org/security/data-integrity/v1';

type Json = Record<string, unknown>;

/**
 * JSON Canonicalization Scheme (RFC 8785) of a JSON value: keys sorted by UTF-16 code units, no
 * whitespace, strings and numbers as ECMAScript's JSON.stringify writes them (which RFC 8785 adopts).
 * Fedify reads proofs with `json-canon`, which is not a direct dependency of Rezo; the proofs test
 * checks the two agree through Fedify's verifier.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('JCS: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Json)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Multibase base58btc (`z` followed by the Bitcoin base58 alphabet), as vc-di-eddsa writes `proofValue`. */
export function multibaseBase58btc(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return `z${out}`;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** The activity's @context with the Data Integrity context added when it is missing (else unchanged). */
function withDataIntegrity(context: unknown): unknown {
  const list = context === undefined ? [] : Array.isArray(context) ? context : [context];
  return list.includes(DATA_INTEGRITY_CONTEXT) ? context : [...list, DATA_INTEGRITY_CONTEXT];
}

/**
 * An outgoing activity with an object integrity proof (FEP-8b32; W3C vc-di-eddsa, eddsa-jcs-2022):
 * the @context gains the Data Integrity context; the proof configuration (that @context, type,
 * cryptosuite, verificationMethod, proofPurpose, created) and the document without `proof` are each
 * canonicalised (JCS) and hashed (SHA-256); the Ed25519 signature of the two hashes, config first,
 * is `proofValue` (multibase base58btc). The proof itself carries no @context: it is read in the
 * activity's (as Fedify's `verifyProof` does). `created` is to the second, as Fedify re-serialises
 * it before hashing. An activity that already has a proof is returned unchanged.
 */
export async function addProof(
  activity: Json,
  privateKey: CryptoKey,
  verificationMethod: string,
  created: Date = new Date(),
): Promise<Json> {
  if (activity.proof !== undefined) return activity;
  const document: Json = { ...activity, '@context': withDataIntegrity(activity['@context']) };
  const config = {
    '@context': document['@context'],
    type: 'DataIntegrityProof',
    cryptosuite: 'eddsa-jcs-2022',
    verificationMethod,
    proofPurpose: 'assertionMethod',
    created: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  const [configHash, documentHash] = await Promise.all([
    sha256(canonicalJson(config)),
    sha256(canonicalJson(document)),
  ]);
  const data = new Uint8Array(64);
  data.set(configHash, 0);
  data.set(documentHash, 32);
  const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', privateKey, data));
  const { '@context': _context, ...proof } = config;
  return { ...document, proof: { ...proof, proofValue: multibaseBase58btc(signature) } };
}
