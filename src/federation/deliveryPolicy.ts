import type { Db } from '../db/database.ts';
import { KyselyKvStore } from './kvStore.ts';

/**
 * How the outbox treats its receivers (docs/FEDERATION.md, "Delivery"): backoff with jitter,
 * `Retry-After` honoured, at most 4 requests in flight per host, and a per-host circuit breaker.
 */

/** A delay is never longer than this (backoff and Retry-After alike). */
export const MAX_DELAY_MS = 12 * 3600_000;
/** Consecutive failures after which a host's deliveries wait: one row at a time is tried. */
export const BREAKER_FAILURES = 5;
export const PER_HOST_IN_FLIGHT = 4;

/** retryMs · 2^attempts, capped at 12 h, then ±20 % jitter (`random` in [0, 1)), so retries of many rows spread. */
export function retryDelayMs(retryMs: number, attempts: number, random = Math.random()): number {
  const base = Math.min(retryMs * 2 ** attempts, MAX_DELAY_MS);
  return Math.round(base * (0.8 + 0.4 * random));
}

/** A `Retry-After` header (seconds, or an HTTP date) as a delay from `now`, capped at 12 h; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const value = header.trim();
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_DELAY_MS) : null;
}

/** Runs `task` on every item with at most `limit` at once per key (a host), keeping the results in order. */
export async function limitPerKey<T, R>(
  items: readonly T[],
  keyOf: (item: T) => string,
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const queues = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = keyOf(item);
    queues.set(key, [...(queues.get(key) ?? []), i]);
  });
  const workers: Promise<void>[] = [];
  for (const indexes of queues.values())
    for (let w = 0; w < Math.min(limit, indexes.length); w++)
      workers.push(
        (async () => {
          for (let i = indexes.shift(); i !== undefined; i = indexes.shift()) results[i] = await task(items[i]!);
        })(),
      );
  await Promise.all(workers);
  return results;
}

/** Consecutive transient failures of a host, shared by the node's processes (federation_kv). */
const key = (host: string) => ['rezo', 'federation', 'host-failures', host] as const;

export async function hostFailures(db: Db, hosts: readonly string[]): Promise<Map<string, number>> {
  const kv = new KyselyKvStore(db);
  const counts = await Promise.all(hosts.map(async (h) => [h, (await kv.get<number>(key(h))) ?? 0] as const));
  return new Map(counts);
}

/** After a round: a host that answered resets to 0, one that failed (transiently) counts up. */
export async function recordHostResult(db: Db, host: string, ok: boolean, failuresBefore: number): Promise<void> {
  const kv = new KyselyKvStore(db);
  if (ok) {
    if (failuresBefore > 0) await kv.delete(key(host));
  } else await kv.set(key(host), failuresBefore + 1);
}
