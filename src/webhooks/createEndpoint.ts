import { inTransaction, type Db } from '../db/database.ts';
import { audit } from '../access/audit.ts';
import type { Actor } from '../access/actor.ts';
import { authorize } from '../access/permissions.ts';
import { FieldErrors, forbidden } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { randomToken } from '../shared/secrets.ts';
import { getPlaceBySlug } from '../places/index.ts';
import { privateHost } from './receiverAddress.ts';
import { WEBHOOK_EVENTS, type WebhookEndpoint } from './webhooks.ts';

export const MAX_URL_LENGTH = 500;
export const SECRET_PREFIX = 'whsec_';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface CreateEndpointInput {
  slug: string;
  url: unknown;
  /** One or more of WEBHOOK_EVENTS. */
  events: unknown;
}

/**
 * Why a URL cannot receive webhooks, or null. https only: the body carries personal data. Plain
 * http is accepted for this machine only (a receiver under development), and only where private
 * receivers are allowed; otherwise a host inside a network is refused (receiverAddress.ts).
 */
function urlProblem(url: string, allowPrivate: boolean): string | null {
  if (url.length > MAX_URL_LENGTH) return 'too-long';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'webhooks.url';
  }
  if (parsed.username || parsed.password) return 'webhooks.url';
  if (!allowPrivate) {
    if (parsed.protocol !== 'https:') return 'webhooks.url-https-only';
    return privateHost(parsed.hostname) ? 'webhooks.url-private' : null;
  }
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)) return null;
  return 'webhooks.url-https';
}

/**
 * An admin registers a URL that will receive the venue's events. The signing secret is returned
 * here, once; it is stored as is because every delivery is signed with it (docs/WEBHOOKS.md).
 * People only: an API key cannot add a receiver of the venue's data.
 */
export async function createEndpoint(
  db: Db,
  actor: Actor,
  input: CreateEndpointInput,
  policy: { allowPrivate: boolean },
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  if (actor.kind === 'apiKey') throw forbidden();
  const errors = new FieldErrors();
  const url = typeof input.url === 'string' ? input.url.trim() : '';
  if (!url) errors.add('url', 'required');
  else {
    const problem = urlProblem(url, policy.allowPrivate);
    if (problem === 'too-long') errors.add('url', 'too-long', { max: MAX_URL_LENGTH });
    else if (problem) errors.add('url', problem);
  }
  const raw = Array.isArray(input.events)
    ? input.events
    : input.events === undefined || input.events === ''
      ? []
      : [input.events];
  const events = [...new Set(raw)];
  if (events.length === 0) errors.add('events', 'required');
  else if (!events.every((e) => typeof e === 'string' && (WEBHOOK_EVENTS as readonly string[]).includes(e)))
    errors.add('events', 'choice');
  errors.throwIfAny();
  return inTransaction(db, async (trx) => {
    const place = await getPlaceBySlug(trx, input.slug);
    await authorize(trx, actor, place.id, 'place.keys');
    const id = uuidv7();
    const secret = SECRET_PREFIX + randomToken();
    const row = await trx
      .insertInto('webhook_endpoints')
      .values({ place_id: place.id, id, url, events: events as string[], secret })
      .returning(['id', 'url', 'events', 'active', 'created_at'])
      .executeTakeFirstOrThrow();
    await audit(trx, actor, { placeId: place.id, action: 'webhook.created', subjectId: id, data: { url, events } });
    return {
      endpoint: { id: row.id, url: row.url, events: row.events, active: row.active, createdAt: row.created_at },
      secret,
    };
  });
}
