import { signRequest } from '@fedify/fedify';
import { sql } from 'kysely';
import { fetch } from 'undici';
import type { Config } from '../config.ts';
import type { Db, Trx } from '../db/database.ts';
import { uuidv7 } from '../shared/ids.ts';
import { actorKeyPairs } from './actorKeys.ts';
import { addProof } from './proofs.ts';
import { deliveryBlocked } from './blocks.ts';
import {
  BREAKER_FAILURES,
  hostFailures,
  limitPerKey,
  PER_HOST_IN_FLIGHT,
  recordHostResult,
  retryAfterMs,
  retryDelayMs,
} from './deliveryPolicy.ts';
import { dispatcherFor, FETCH_TIMEOUT_MS, refusedUrl } from './documentLoader.ts';
import { actorUrl } from './urls.ts';

/** A delivery is tried this many times (the delay doubling from config.federationRetryMs) before it fails. */
export const MAX_ATTEMPTS = 12;
const BATCH_SIZE = 20;
const MAX_ROUNDS = 10;

/**
 * Queues an activity for some inboxes, in the caller's transaction: a rolled-back change sends nothing,
 * a committed one is sent. One row per inbox (a shared inbox gets one copy for all its followers);
 * the same activity queued twice for an inbox is kept once. The stored body carries the sender's
 * object proof (FEP-8b32, proofs.ts, with its Ed25519 key `#key-2`), so every retry sends the same
 * proof; the activity's `actor` must be the sender's actor URL.
 */
export async function queueActivity(
  trx: Trx | Db,
  delivery: { sender: string; activity: Record<string, unknown>; inboxes: readonly string[] },
): Promise<void> {
  const inboxes = [...new Set(delivery.inboxes)];
  if (inboxes.length === 0) return;
  const actor = delivery.activity.actor;
  if (typeof actor !== 'string' || !actor.endsWith(`/ap/actors/${delivery.sender}`))
    throw new Error(`the actor of ${String(delivery.activity.id)} is not the sender ${delivery.sender}`);
  const keys = await actorKeyPairs(trx, delivery.sender);
  const body = JSON.stringify(await addProof(delivery.activity, keys.ed25519.privateKey, `${actor}#key-2`));
  await trx
    .insertInto('federation_outbox')
    .values(
      inboxes.map((inbox) => ({
        id: uuidv7(),
        activity_id: String(delivery.activity.id),
        sender: delivery.sender,
        inbox,
        body,
      })),
    )
    .onConflict((oc) => oc.columns(['activity_id', 'inbox']).doNothing())
    .execute();
}

type Claimed = { id: string; sender: string; inbox: string; body: unknown; attempts: number };

/**
 * Sends the deliveries that are due (docs/FEDERATION.md, "Delivery"). A round claims rows in a short
 * transaction by counting the attempt and pushing `next_attempt_at` by the backoff (retryMs · 2^attempts,
 * ±20 % jitter, deliveryPolicy.ts): that is both the retry delay and a lease if the process dies
 * mid-send; `skip locked` keeps two processes apart. Each POST is signed at send time with the
 * sender's key (draft-cavage, rsa-sha256), at most 4 in flight per host. 2xx → sent; 4xx other than
 * 408/429 → failed at once (the receiver refuses it); else retried until MAX_ATTEMPTS, after the
 * receiver's `Retry-After` when it gives one. A host that failed BREAKER_FAILURES times in a row is
 * tried with one row per round, its other rows put back to wait (circuit breaker), until it answers.
 * Returns how many were sent.
 */
export async function deliverOutbox(db: Db, config: Config): Promise<number> {
  let sent = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const claimed = await claim(db, config.federationRetryMs);
    const hostOf = (row: Claimed) => new URL(row.inbox).host;
    const failures = await hostFailures(db, [...new Set(claimed.map(hostOf))]);
    const batch: Claimed[] = [];
    const tried = new Set<string>();
    for (const row of claimed) {
      const host = hostOf(row);
      if ((failures.get(host) ?? 0) < BREAKER_FAILURES || !tried.has(host)) batch.push(row);
      else await putBack(db, row, retryDelayMs(config.federationRetryMs, failures.get(host)!));
      tried.add(host);
    }
    const results = await limitPerKey(batch, hostOf, PER_HOST_IN_FLIGHT, (row) => send(db, config, row));
    const answered = new Map<string, boolean>();
    for (const [i, row] of batch.entries()) {
      const r = results[i]!;
      const final = r.ok || r.refused || row.attempts + 1 >= MAX_ATTEMPTS;
      await db
        .updateTable('federation_outbox')
        .set({
          state: r.ok ? 'sent' : final ? 'failed' : 'pending',
          last_status: r.status,
          last_error: r.error,
          ...(r.ok ? { sent_at: sql<Date>`now()` } : {}),
          ...(!final && r.retryAfterMs !== null
            ? { next_attempt_at: sql<Date>`now() + make_interval(secs => ${r.retryAfterMs / 1000})` }
            : {}),
        })
        .where('id', '=', row.id)
        .execute();
      if (r.ok) sent++;
      // A refusal is an answer: the host is up.
      answered.set(hostOf(row), (answered.get(hostOf(row)) ?? false) || r.ok || r.refused);
    }
    for (const [host, ok] of answered) await recordHostResult(db, host, ok, failures.get(host) ?? 0);
    if (claimed.length < BATCH_SIZE) break;
  }
  return sent;
}

/** A claimed row of a paused host, not sent: its attempt uncounted, due again after `delayMs`. */
async function putBack(db: Db, row: Claimed, delayMs: number): Promise<void> {
  await db
    .updateTable('federation_outbox')
    .set({
      attempts: row.attempts,
      next_attempt_at: sql<Date>`now() + make_interval(secs => ${delayMs / 1000})`,
      last_error: 'host paused after repeated failures',
    })
    .where('id', '=', row.id)
    .execute();
}

async function claim(db: Db, retryMs: number): Promise<Claimed[]> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('federation_outbox')
      .select(['id', 'sender', 'inbox', 'body', 'attempts'])
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', sql<Date>`now()`)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(BATCH_SIZE)
      .forUpdate()
      .skipLocked()
      .execute();
    for (const row of rows) {
      const delayMs = retryDelayMs(retryMs, row.attempts);
      await trx
        .updateTable('federation_outbox')
        .set({
          attempts: row.attempts + 1,
          next_attempt_at: sql<Date>`now() + make_interval(secs => ${delayMs / 1000})`,
        })
        .where('id', '=', row.id)
        .execute();
    }
    return rows;
  });
}

type Sent = { ok: boolean; refused: boolean; status: number | null; error: string | null; retryAfterMs: number | null };

async function send(db: Db, config: Config, row: Claimed): Promise<Sent> {
  try {
    const url = new URL(row.inbox);
    const refusal = refusedUrl(url, config.federationAllowPrivate);
    if (refusal) return { ok: false, refused: true, status: null, error: refusal, retryAfterMs: null };
    if (await deliveryBlocked(db, row))
      return { ok: false, refused: true, status: null, error: 'blocked by an operator', retryAfterMs: null };
    const keys = await actorKeyPairs(db, row.sender);
    const body = typeof row.body === 'string' ? row.body : JSON.stringify(row.body);
    const unsigned = new Request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/activity+json', accept: 'application/activity+json' },
      body,
    });
    const keyId = new URL(`${actorUrl(config.baseUrl, row.sender)}#main-key`);
    const signed = await signRequest(unsigned, keys.rsa.privateKey, keyId);
    const headers: Record<string, string> = {};
    signed.headers.forEach((value, name) => (headers[name] = value));
    const response = await fetch(url, {
      ...dispatcherFor(config.federationAllowPrivate),
      method: 'POST',
      headers: { ...headers, 'user-agent': 'Rezo-Federation/1' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    await response.body?.cancel().catch(() => {});
    const ok = response.status >= 200 && response.status < 300;
    const refused = !ok && response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status);
    const retryAfter = [429, 503].includes(response.status) ? retryAfterMs(response.headers.get('retry-after')) : null;
    return {
      ok,
      refused,
      status: response.status,
      error: ok ? null : `HTTP ${response.status}`,
      retryAfterMs: retryAfter,
    };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const cause = e.cause?.message && e.cause.message !== e.message ? `: ${e.cause.message}` : '';
    return { ok: false, refused: false, status: null, error: `${e.message}${cause}`.slice(0, 500), retryAfterMs: null };
  }
}

/** Removes deliveries done long ago: sent after 7 days, failed after 30 (hourly housekeeping). */
export async function purgeOutbox(db: Db): Promise<number> {
  const result = await db
    .deleteFrom('federation_outbox')
    .where((eb) =>
      eb.or([
        eb.and([eb('state', '=', 'sent'), eb('created_at', '<', sql<Date>`now() - interval '7 days'`)]),
        eb.and([eb('state', '=', 'failed'), eb('created_at', '<', sql<Date>`now() - interval '30 days'`)]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
