import { isActor } from '@fedify/fedify';
import type { Config } from '../config.ts';
import { DomainError } from '../shared/errors.ts';
import { fetchOutside } from '../webhooks/index.ts';
import type { FederationData, RezoFederation } from './fedify.ts';

/** A remote actor as the follow form shows it before the Follow is sent. */
export interface ResolvedActor {
  id: string;
  name: string;
  host: string;
  type: string;
  handle: string | null;
}

const HANDLE = /^@?([a-z0-9][a-z0-9._~-]{0,99})@([a-z0-9.-]+(?::\d{1,5})?)$/i;
// A node makes an actor's keys on first use, which takes seconds on a busy machine: WebFinger waits for it.
const TIMEOUT_MS = 20_000;
const MAX_JRD_BYTES = 64 * 1024;

/** A form's field error on `address`: nothing is written, the page says what is wrong. */
const addressError = (message: string, params: Record<string, string> = {}) =>
  new DomainError('validation', 422, {}, [{ field: 'address', message, params }]);

/**
 * Finds the remote actor an address names (docs/FEDERATION.md, "Following remote venues"):
 * `@slug@host`, `slug@host`, `relay@host` through WebFinger, or an actor URL. WebFinger goes over the
 * node's own scheme (http only where private peers are allowed: development and tests), port kept;
 * the actor is then fetched with Fedify's document loader, and must live on the host the handle names.
 */
export async function resolveRemoteActor(
  federation: RezoFederation,
  data: FederationData,
  address: unknown,
): Promise<ResolvedActor> {
  const text = String(address ?? '').trim();
  const handle = HANDLE.exec(text);
  let url: URL | null = null;
  let host: string;
  if (handle) {
    host = handle[2]!.toLowerCase();
    const href = await webFinger(data.config, handle[1]!, host);
    if (!href) throw addressError('federation.unreachable', { address: text.slice(0, 200) });
    url = URL.canParse(href) ? new URL(href) : null;
  } else {
    url = URL.canParse(text) ? new URL(text) : null;
    const schemes = data.config.federationAllowPrivate ? ['https:', 'http:'] : ['https:'];
    if (!url || !schemes.includes(url.protocol) || url.username || url.password)
      throw addressError('federation.address');
    host = url.host;
  }
  const ctx = federation.createContext(new URL(data.config.baseUrl), data);
  const remote = url && (await ctx.lookupObject(url).catch(() => null));
  if (!remote || !isActor(remote) || !remote.id || !remote.inboxId)
    throw addressError('federation.unreachable', { address: text.slice(0, 200) });
  if (remote.id.host.toLowerCase() !== host || (!handle && remote.id.origin !== url!.origin))
    throw addressError('federation.other-host', { host, actorHost: remote.id.host });
  return {
    id: remote.id.href,
    name: remote.name?.toString() ?? '',
    host: remote.id.host,
    type: String(remote.constructor.name),
    handle: remote.preferredUsername ? `${remote.preferredUsername.toString()}@${remote.id.host}` : null,
  };
}

/** The actor URL a host's WebFinger gives for `acct:user@host`, or null (no answer, no such account). */
async function webFinger(config: Config, user: string, host: string): Promise<string | null> {
  const scheme = config.federationAllowPrivate && config.baseUrl.startsWith('http:') ? 'http:' : 'https:';
  const url = new URL(`${scheme}//${host}/.well-known/webfinger`);
  url.searchParams.set('resource', `acct:${user}@${host}`);
  try {
    const response = await fetchOutside(url.href, config.federationAllowPrivate, {
      headers: { accept: 'application/jrd+json, application/json', 'user-agent': 'Rezo-Federation/1' },
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const body = await response.text();
    if (!response.ok || body.length > MAX_JRD_BYTES) return null;
    const jrd = JSON.parse(body) as { links?: { rel?: string; type?: string; href?: string }[] };
    const self = (jrd.links ?? []).find(
      (l) => l.rel === 'self' && /activity\+json|ld\+json/.test(l.type ?? '') && typeof l.href === 'string',
    );
    return self?.href ?? null;
  } catch {
    return null;
  }
}
