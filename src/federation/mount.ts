import type { FastifyReply, FastifyRequest } from 'fastify';
import { hitRateLimits } from '../shared/rateLimits.ts';
import { isBlocked } from './blocks.ts';
import type { FederationData, RezoFederation } from './fedify.ts';

/** Largest inbox body read (docs/FEDERATION.md, "What is accepted from whom", step 1). */
export const INBOX_MAX_BYTES = 512 * 1024;

const AP_TYPES = ['application/activity+json', 'application/ld+json'];

/** A Fetch API Request for Fedify from a Fastify request, with the body already read. */
export function toRequest(request: FastifyRequest, origin: string, body?: Buffer): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers))
    for (const v of [value ?? []].flat()) headers.append(name, String(v));
  return new Request(new URL(request.url, origin), {
    method: request.method,
    headers,
    ...(body ? { body: new Uint8Array(body) } : {}),
  });
}

/** The signature's keyId (an actor's key: `<actor id>#main-key`), if the request is signed. */
const keyIdOf = (request: FastifyRequest) => /keyId="([^"]+)"/.exec(String(request.headers.signature ?? ''))?.[1];

/** The host (with port) of the signature's keyId, else the client address: what the rate limit counts. */
function senderHost(request: FastifyRequest): string {
  const keyId = keyIdOf(request);
  try {
    if (keyId) return new URL(keyId).host;
  } catch {
    // Not a URL: counted by address.
  }
  return `ip:${request.ip}`;
}

/** Reads the raw body, refusing it past `max` bytes (Fastify's parser never runs for these requests). */
async function readBody(request: FastifyRequest, max: number): Promise<Buffer | null> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > max) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function answer(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, name) => void reply.header(name, value));
  return reply.send(Buffer.from(await response.arrayBuffer()));
}

/**
 * The route-level `onRequest` hooks that hand a request to Fedify (docs/FEDERATION.md, "Mounting
 * behind Fastify"). They run before Fastify's body parser, so the raw body is intact for the Digest
 * check; what Fedify does not serve (its 404/406) falls through to the route's own handler.
 * An inbox POST is authenticated by its signature, not by a session: it is answered here, before
 * the CSRF check, after this hook's own size limit (413) and per-host rate limit (429).
 */
export function fedifyHooks(federation: RezoFederation, data: FederationData) {
  const forward = async (request: FastifyRequest, reply: FastifyReply, body?: Buffer) => {
    let fallThrough = false;
    const response = await federation.fetch(toRequest(request, data.config.baseUrl, body), {
      contextData: data,
      onNotFound: () => ((fallThrough = true), new Response(null, { status: 404 })),
      onNotAcceptable: () => ((fallThrough = true), new Response(null, { status: 406 })),
    });
    if (fallThrough) return;
    return answer(reply, response);
  };
  return {
    webfinger: async (request: FastifyRequest, reply: FastifyReply) => forward(request, reply),
    inbox: async (request: FastifyRequest, reply: FastifyReply) => {
      const type = String(request.headers['content-type'] ?? '');
      if (!AP_TYPES.some((t) => type.includes(t))) return; // Fastify answers (415 or 404).
      if (await isBlocked(data.db, keyIdOf(request))) return reply.code(403).send(); // An operator blocked the sender.
      const verdict = await hitRateLimits(data.db, [
        {
          scope: 'federation-inbox',
          key: senderHost(request),
          max: data.config.federationInboxPerMinute,
          windowSeconds: 60,
        },
      ]);
      if (!verdict.allowed) return reply.code(429).header('retry-after', String(verdict.retryAfterSeconds)).send();
      const body = await readBody(request, INBOX_MAX_BYTES);
      if (!body) return reply.code(413).send();
      return forward(request, reply, body);
    },
  };
}
