import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { RetryLater } from './errors.ts';
import { hashToken } from './secrets.ts';

/**
 * Rate limits in the database, so that they hold across every node process (docs/ARCHITECTURE.md,
 * "Rate limits in the database"). A rule allows `max` hits per `key` in a fixed window of
 * `windowSeconds` (windows aligned on multiples of it); the row of a (scope, key, window) counts them.
 * At a window's edge a client may get up to 2 × max in a short time: enough for limits meant to stop
 * floods, not to meter.
 */
export interface RateLimitRule {
  /** What is limited, e.g. `orders.client`: lower case, digits, `._-`. */
  scope: string;
  /** Whom it is limited for (a client address, an e-mail address…); stored as its SHA-256 only. */
  key: string;
  /** Hits allowed per window; 0 or less means no limit (nothing counted). */
  max: number;
  windowSeconds: number;
}

export interface RateLimitVerdict {
  allowed: boolean;
  /** The scopes that refused (empty when allowed). */
  refused: string[];
  /** When refused: seconds until every window that refused has ended (at least 1). */
  retryAfterSeconds: number;
}

/** A 429 problem that tells the client when to try again (`Retry-After`, set by http/problems.ts). */
export class TooManyRequests extends RetryLater {
  constructor(code: string, retryAfterSeconds: number, params: Record<string, string | number> = {}) {
    super(code, 429, retryAfterSeconds, { minutes: Math.max(1, Math.ceil(retryAfterSeconds / 60)), ...params });
  }
}

const SCOPE = /^[a-z][a-z0-9_.-]{0,40}$/;

/**
 * Counts one hit against each rule, in ONE statement (its own transaction outside one):
 * - each rule's counter is read for the current window; if any is at its limit, nothing is counted
 *   (all or none) and the verdict names the rules at their limit;
 * - otherwise each counter moves by one with an upsert whose `hits < max_hits` is checked on the row
 *   as locked (ON CONFLICT DO UPDATE sees the latest committed version), so no counter ever passes
 *   its limit, whatever the number of processes. Under a race at the limit, a request may be refused
 *   by one rule after another counted its hit: stricter, never looser.
 */
export async function hitRateLimits(db: Db, rules: RateLimitRule[]): Promise<RateLimitVerdict> {
  const live = rules.filter((r) => r.max > 0);
  if (live.length === 0) return { allowed: true, refused: [], retryAfterSeconds: 0 };
  for (const r of live) {
    if (!SCOPE.test(r.scope) || !Number.isInteger(r.windowSeconds) || r.windowSeconds < 1 || !Number.isInteger(r.max))
      throw new Error(`bad rate limit rule ${r.scope}`);
  }
  if (new Set(live.map((r) => `${r.scope}\n${r.key}`)).size !== live.length)
    throw new Error('one hit per (scope, key) and call');
  const { rows } = await sql<{ scope: string; open: boolean; counted: boolean; retry_after: number }>`
    with rule (i, scope, key_hash, max_hits, secs) as (
      select * from unnest(${live.map((_, i) => i)}::int[], ${live.map((r) => r.scope)}::text[],
                           ${live.map((r) => hashToken(`${r.scope}\n${r.key}`))}::bytea[],
                           ${live.map((r) => r.max)}::int[], ${live.map((r) => r.windowSeconds)}::int[])),
    w as (
      select r.*, date_bin(make_interval(secs => r.secs), now(), timestamptz '2000-01-01 00:00:00+00') as start from rule r),
    seen as (
      select w.i, coalesce(c.hits, 0) < w.max_hits as open from w
        left join rate_limit_counters c on c.scope = w.scope and c.key_hash = w.key_hash and c.window_start = w.start),
    hit as (
      insert into rate_limit_counters (scope, key_hash, window_start, hits, max_hits, expires_at)
      select w.scope, w.key_hash, w.start, 1, w.max_hits, w.start + make_interval(secs => w.secs) from w
       where (select bool_and(open) from seen)
      on conflict (scope, key_hash, window_start) do update
         set hits = rate_limit_counters.hits + 1, max_hits = excluded.max_hits
       where rate_limit_counters.hits < excluded.max_hits
      returning scope, key_hash)
    select w.scope, s.open, exists (select 1 from hit h where h.scope = w.scope and h.key_hash = w.key_hash) as counted,
      greatest(1, ceil(extract(epoch from w.start + make_interval(secs => w.secs) - now())))::int as retry_after
    from w join seen s on s.i = w.i order by w.i`.execute(db);
  // At its limit as read; or, all looking open, found at its limit under the row lock (a race).
  const allOpen = rows.every((r) => r.open);
  const refused = rows.filter((r) => !r.counted && (!r.open || allOpen));
  return {
    allowed: refused.length === 0,
    refused: refused.map((r) => r.scope),
    retryAfterSeconds: refused.reduce((most, r) => Math.max(most, r.retry_after), 0),
  };
}

/** Deletes the counters of windows that have ended (hourly housekeeping). Returns how many. */
export async function purgeRateLimits(db: Db): Promise<number> {
  const result = await db
    .deleteFrom('rate_limit_counters')
    .where('expires_at', '<=', sql<Date>`now()`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
