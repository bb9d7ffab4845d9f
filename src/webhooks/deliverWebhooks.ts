import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { fetchOutside } from './receiverAddress.ts';

/** A delivery is tried this many times (1, 2, 4 … 64 minutes apart) before it is marked failed. */
export const MAX_ATTEMPTS = 8;
/** Deliveries claimed per round, sent side by side: one round lasts at most about TIMEOUT_MS. */
const BATCH_SIZE = 20;
const TIMEOUT_MS = 10_000;
/** Rounds per call, so one call ends even if events keep arriving. */
const MAX_ROUNDS = 10;

/** The `Rezo-Signature` header: HMAC-SHA256 of "<t>.<body>" with the endpoint's secret (docs/WEBHOOKS.md). */
export function signatureHeader(secret: string, body: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * Sends the webhook deliveries that are due. A round claims them in a short transaction by counting
 * the attempt and pushing `next_attempt_at` forward: that is both the retry backoff and a lease (if
 * the process dies mid-send the delivery becomes due again); `for update skip locked` keeps two
 * processes from claiming the same row. The POSTs happen outside any transaction; each result is
 * then recorded. Returns how many deliveries were answered 2xx.
 */
export async function deliverWebhooks(
  db: Db,
  options: { timeoutMs?: number; allowPrivate?: boolean } = {},
): Promise<number> {
  let sent = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const batch = await claim(db);
    const results = await Promise.all(
      batch.map((d) => send(d, options.timeoutMs ?? TIMEOUT_MS, options.allowPrivate ?? false)),
    );
    for (const [i, d] of batch.entries()) {
      const r = results[i]!;
      const attempts = d.attempts + 1;
      await db
        .updateTable('webhook_deliveries')
        .set({
          status: r.ok ? 'sent' : attempts >= MAX_ATTEMPTS ? 'failed' : 'pending',
          status_code: r.statusCode,
          error: r.error,
          ...(r.ok ? { delivered_at: sql<Date>`now()` } : {}),
        })
        .where('place_id', '=', d.place_id)
        .where('id', '=', d.id)
        .execute();
      if (r.ok) sent++;
    }
    if (batch.length < BATCH_SIZE) break;
  }
  return sent;
}

type Claimed = {
  place_id: string;
  id: string;
  event_id: string;
  body: string;
  attempts: number;
  url: string;
  secret: string;
};

async function claim(db: Db): Promise<Claimed[]> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('webhook_deliveries')
      .select(['place_id', 'id', 'endpoint_id', 'event_id', 'body', 'attempts'])
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', sql<Date>`now()`)
      .orderBy('next_attempt_at')
      .limit(BATCH_SIZE)
      .forUpdate()
      .skipLocked()
      .execute();
    if (rows.length === 0) return [];
    const endpoints = await trx
      .selectFrom('webhook_endpoints')
      .select(['place_id', 'id', 'url', 'secret'])
      .where((eb) => eb.or(rows.map((r) => eb.and([eb('place_id', '=', r.place_id), eb('id', '=', r.endpoint_id)]))))
      .execute();
    const endpointOf = new Map(endpoints.map((e) => [`${e.place_id}/${e.id}`, e]));
    for (const d of rows) {
      await trx
        .updateTable('webhook_deliveries')
        .set({
          attempts: d.attempts + 1,
          next_attempt_at: sql<Date>`now() + make_interval(mins => ${2 ** d.attempts})`,
        })
        .where('place_id', '=', d.place_id)
        .where('id', '=', d.id)
        .execute();
    }
    // The foreign key (on delete cascade) guarantees the endpoint exists while its row is locked.
    return rows.map((d) => {
      const e = endpointOf.get(`${d.place_id}/${d.endpoint_id}`)!;
      return {
        place_id: d.place_id,
        id: d.id,
        event_id: d.event_id,
        body: d.body,
        attempts: d.attempts,
        url: e.url,
        secret: e.secret,
      };
    });
  });
}

async function send(
  d: Claimed,
  timeoutMs: number,
  allowPrivate: boolean,
): Promise<{ ok: boolean; statusCode: number | null; error: string | null }> {
  const t = Math.floor(Date.now() / 1000);
  try {
    // The URL was checked when registered, but the policy may have changed since: fetchOutside checks again.
    const response = await fetchOutside(d.url, allowPrivate, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Rezo-Webhooks/1',
        'rezo-event-id': d.event_id,
        'rezo-signature': signatureHeader(d.secret, d.body, t),
      },
      body: d.body,
      // A redirect could lead the signed body anywhere: it counts as a failure.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    // The answer is not read beyond its status; dropping it frees the connection.
    await response.body?.cancel().catch(() => {});
    const ok = response.status >= 200 && response.status < 300;
    return { ok, statusCode: response.status, error: ok ? null : `HTTP ${response.status}` };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    // The cause says why (refused address, connection refused…), shown in the venue's delivery log.
    const cause = e.cause?.message && e.cause.message !== e.message ? `: ${e.cause.message}` : '';
    const message =
      e.name === 'TimeoutError'
        ? `timeout after ${timeoutMs} ms`
        : `${e.message}${cause}${e.cause?.code ? ` (${e.cause.code})` : ''}`;
    return { ok: false, statusCode: null, error: message.slice(0, 500) };
  }
}
