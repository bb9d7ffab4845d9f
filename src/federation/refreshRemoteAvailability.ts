import { signRequest } from '@fedify/fedify';
import { sql } from 'kysely';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { fetchOutside } from '../webhooks/index.ts';
import { actorKeyPairs } from './actorKeys.ts';
import type { RemoteAvailability } from './parseRemoteEvent.ts';
import { actorUrl, INSTANCE_ACTOR, originOf } from './urls.ts';

/** One poll per remote date at most this often (a failure too: a peer down is not asked at every view). */
export const POLL_CACHE_MS = 10_000;
export const POLL_TIMEOUT_MS = 1500;
/** The largest answer read. */
const MAX_BYTES = 4096;

/** A remote date's availability as stored: from its last Update or its last poll, whichever is newer. */
export interface RemoteAvailabilityState {
  remaining: number | null;
  availability: RemoteAvailability | null;
  /** When its origin computed it (the origin's clock), null when never told. */
  asOf: Date | null;
}

const NAMES: Record<string, RemoteAvailability> = {
  InStock: 'in_stock',
  LimitedAvailability: 'limited',
  SoldOut: 'sold_out',
};

/**
 * The `liveAvailability` URL of a received Event object (Rezo's property: docs/FEDERATION.md, "Live
 * availability"), kept only when it is an http(s) URL of the object's own origin; null otherwise
 * (another software, or an object that names someone else's endpoint).
 */
export function liveAvailabilityUrlOf(object: Record<string, unknown>): string | null {
  const url = object.liveAvailability;
  if (typeof url !== 'string' || url.length > 2048 || !/^https?:\/\//i.test(url)) return null;
  const origin = originOf(url);
  return origin && origin === originOf(object.id) ? url : null;
}

/** The endpoint's answer, checked field by field; null when it is not one. */
export function parseAvailabilityAnswer(body: unknown): RemoteAvailabilityState | null {
  if (typeof body !== 'object' || body === null) return null;
  const { remaining, availability, asOf } = body as Record<string, unknown>;
  if (remaining !== null && !(typeof remaining === 'number' && Number.isSafeInteger(remaining) && remaining >= 0))
    return null;
  const name = typeof availability === 'string' ? NAMES[availability] : undefined;
  const at = typeof asOf === 'string' ? new Date(asOf) : null;
  if (!name || !at || Number.isNaN(at.getTime())) return null;
  return { remaining, availability: name, asOf: at };
}

const inflight = new Map<string, Promise<void>>();

/**
 * A remote event's current availability, asked of its origin (docs/FEDERATION.md, "Live availability"):
 * meant to be called before showing a remote event's page, on every view. When the origin is a Rezo
 * node (its object named a `liveAvailability` endpoint of its own origin) and the date was not asked in
 * the last POLL_CACHE_MS (by any process: the claim is a conditional update), ONE GET signed by the
 * instance actor (rsa-sha256, as the outbox signs), POLL_TIMEOUT_MS at most, private addresses refused
 * outside test mode; a valid answer newer than what is stored replaces `remaining`, `availability` and
 * their time (in the row and in `parsed`). A failure, a timeout or a bad answer keeps the last value.
 * Never throws for the peer's sake; returns what is stored then (null: no such remote event).
 */
export async function refreshRemoteAvailability(
  deps: { db: Db; config: Config },
  remoteEventId: string,
): Promise<RemoteAvailabilityState | null> {
  const { db } = deps;
  const running = inflight.get(remoteEventId);
  if (running) await running;
  else {
    const poll = pollOnce(deps, remoteEventId).finally(() => inflight.delete(remoteEventId));
    inflight.set(remoteEventId, poll);
    await poll;
  }
  const row = await db
    .selectFrom('federation_remote_events')
    .select(['remaining', 'availability', 'availability_as_of'])
    .where('id', '=', remoteEventId)
    .where('removed_by_operator', '=', false)
    .executeTakeFirst();
  return row ? { remaining: row.remaining, availability: row.availability, asOf: row.availability_as_of } : null;
}

async function pollOnce({ db, config }: { db: Db; config: Config }, id: string): Promise<void> {
  const claimed = await db
    .updateTable('federation_remote_events')
    .set({ availability_checked_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('availability_url', 'is not', null)
    .where('removed_by_operator', '=', false)
    .where((eb) =>
      eb.or([
        eb('availability_checked_at', 'is', null),
        eb('availability_checked_at', '<', sql<Date>`now() - make_interval(secs => ${POLL_CACHE_MS / 1000})`),
      ]),
    )
    .returning('availability_url')
    .executeTakeFirst();
  if (!claimed?.availability_url) return;
  const answer = await ask(db, config, claimed.availability_url).catch(() => null);
  if (!answer) return;
  await db
    .updateTable('federation_remote_events')
    .set({
      remaining: answer.remaining,
      availability: answer.availability,
      availability_as_of: answer.asOf,
      parsed: sql`case when parsed is null then null else parsed || jsonb_build_object('remainingCapacity', ${answer.remaining}::int, 'availability', ${answer.availability}::text) end`,
    })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('availability_as_of', 'is', null), eb('availability_as_of', '<=', answer.asOf!)]))
    .execute();
}

/** One signed GET of the endpoint; null on any failure. */
async function ask(db: Db, config: Config, url: string): Promise<RemoteAvailabilityState | null> {
  const keys = await actorKeyPairs(db, INSTANCE_ACTOR);
  const keyId = new URL(`${actorUrl(config.baseUrl, INSTANCE_ACTOR)}#main-key`);
  const signed = await signRequest(
    new Request(url, { method: 'GET', headers: { accept: 'application/json' } }),
    keys.rsa.privateKey,
    keyId,
  );
  const headers: Record<string, string> = { 'user-agent': 'Rezo-Federation/1' };
  signed.headers.forEach((value, name) => (headers[name] = value));
  const response = await fetchOutside(url, config.federationAllowPrivate, {
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(POLL_TIMEOUT_MS),
  });
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    return null;
  }
  const text = await response.text();
  if (text.length > MAX_BYTES) return null;
  try {
    return parseAvailabilityAnswer(JSON.parse(text));
  } catch {
    return null;
  }
}
