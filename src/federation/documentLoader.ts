import { isIP } from 'node:net';
import { signRequest, type DocumentLoader, type RemoteDocument } from '@fedify/fedify';
import { Agent, fetch } from 'undici';
import type { Db } from '../db/database.ts';
import { isPublicAddress, privateHost, publicOnlyLookup } from '../webhooks/index.ts';
import { actorKeyPairs } from './actorKeys.ts';
import { actorUrl, INSTANCE_ACTOR } from './urls.ts';

/** Fetched documents: at most 1 MiB, 10 s, 3 redirects (docs/FEDERATION.md, "Moderation and limits"). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
export const FETCH_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 3;

/** Connections that go only to public addresses (the webhooks' check, at connection time: no DNS rebinding). */
export const publicOnly = new Agent({ connect: { lookup: publicOnlyLookup } });

/** Why a URL may not be fetched or posted to (production: not http(s), or a private host literal), else null. */
export function refusedUrl(url: URL, allowPrivate: boolean): string | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${url.protocol} is not fetched`;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (privateHost(host) || (isIP(host) && !isPublicAddress(host))))
    return `${host} is a private address`;
  return null;
}

/** The undici dispatcher for a request: public addresses only unless private ones are allowed. */
export const dispatcherFor = (allowPrivate: boolean) => (allowPrivate ? {} : { dispatcher: publicOnly });

export class DocumentFetchError extends Error {}

/** A signer of GETs: an actor's RSA key and its key id (`#main-key`). */
export interface GetSigner {
  keyId: URL;
  privateKey: CryptoKey;
}

/**
 * Fetches an ActivityPub/JSON-LD document (docs/FEDERATION.md, "Signatures", "Private networks"):
 * address checked at connection time in production (loopback and private networks only in
 * development and tests), 10 s, at most 1 MiB read (the body is counted as it arrives), redirects
 * followed by hand (each hop checked), and — with a signer — every GET signed (draft-cavage,
 * `(request-target) host date`), what Mastodon's authorised fetch requires.
 */
export async function fetchDocument(
  url: string,
  options: { allowPrivate: boolean; signer?: GetSigner | null },
): Promise<RemoteDocument> {
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const refused = refusedUrl(current, options.allowPrivate);
    if (refused) throw new DocumentFetchError(refused);
    let request = new Request(current, {
      headers: { accept: 'application/activity+json, application/ld+json, application/json' },
    });
    if (options.signer) request = await signRequest(request, options.signer.privateKey, options.signer.keyId);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => (headers[name] = value));
    const response = await fetch(current, {
      ...dispatcherFor(options.allowPrivate),
      headers: { ...headers, 'user-agent': 'Rezo-Federation/1' },
      redirect: 'manual',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel().catch(() => {});
      if (hop >= MAX_REDIRECTS) throw new DocumentFetchError(`more than ${MAX_REDIRECTS} redirects`);
      current = new URL(location, current);
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new DocumentFetchError(`HTTP ${response.status} for ${current.href}`);
    }
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_DOCUMENT_BYTES) {
      await response.body?.cancel().catch(() => {});
      throw new DocumentFetchError(`document over ${MAX_DOCUMENT_BYTES} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > MAX_DOCUMENT_BYTES) {
        await response.body?.cancel().catch(() => {});
        throw new DocumentFetchError(`document over ${MAX_DOCUMENT_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    let document: unknown;
    try {
      document = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new DocumentFetchError(`not JSON: ${current.href}`);
    }
    return { contextUrl: null, documentUrl: current.href, document };
  }
}

/** The instance actor's GET signer (its RSA key, `#main-key`). */
export async function instanceSigner(db: Db, baseUrl: string): Promise<GetSigner> {
  const keys = await actorKeyPairs(db, INSTANCE_ACTOR);
  return { keyId: new URL(`${actorUrl(baseUrl, INSTANCE_ACTOR)}#main-key`), privateKey: keys.rsa.privateKey };
}

/**
 * The document loader Fedify uses for actors and keys (and Rezo for Announce objects): every GET
 * signed by the instance actor, through fetchDocument's checks. Documents of our own origin are not
 * signed (the node's own routes, no need).
 */
export function signedDocumentLoader(db: Db, baseUrl: string, allowPrivate: boolean): DocumentLoader {
  const own = new URL(baseUrl).origin;
  return async (url) => {
    const signer = new URL(url).origin === own ? null : await instanceSigner(db, baseUrl);
    return fetchDocument(url, { allowPrivate, signer });
  };
}
