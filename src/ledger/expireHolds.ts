import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import { SYSTEM } from '../access/actor.ts';
import { DomainError } from '../shared/errors.ts';
import { uuidv7 } from '../shared/ids.ts';
import { resolveHold } from './resolveHold.ts';

/** First wait before a failed hold is tried again; doubled after each failure, capped at MAX_RETRY_MS. */
export const FIRST_RETRY_MS = 60_000;
export const MAX_RETRY_MS = 3600_000;

/** How long to wait after the n-th failure (n ≥ 1): 1 min, 2, 4… at most 1 hour. */
export const retryDelayMs = (attempts: number) =>
  Math.min(FIRST_RETRY_MS * 2 ** Math.min(attempts - 1, 30), MAX_RETRY_MS);

/**
 * Voids the holds whose time is up (a job of the node; docs/LEDGER.md, "Expiry of holds"). Bounded per
 * call (oldest expiry first). Each hold is voided on its own, in its own transaction: a hold that
 * cannot be voided (its currency archived, a lock timeout, a bug) is logged and recorded in
 * ledger_hold_expiry_failures with the time of its next try, and the others go on. A hold waiting for
 * its next try is left out of the batch, so failing holds never fill it. A hold resolved meanwhile by
 * its venue (409) is not a failure. Returns how many holds this call voided.
 */
export async function expireHolds(
  db: Db,
  now = new Date(),
  options: { limit?: number; logger?: Logger } = {},
): Promise<number> {
  const due = await db
    .selectFrom('ledger_transfers as h')
    .leftJoin('ledger_hold_expiry_failures as f', 'f.hold_id', 'h.id')
    .select(['h.id', 'f.attempts'])
    .where('h.phase', '=', 'pending')
    .where('h.expires_at', '<=', now)
    .where((eb) => eb.or([eb('f.retry_at', 'is', null), eb('f.retry_at', '<=', now)]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('ledger_transfers as r')
            .select(sql`1`.as('one'))
            .whereRef('r.pending_id', '=', 'h.id'),
        ),
      ),
    )
    .orderBy('h.expires_at')
    .limit(options.limit ?? 500)
    .execute();
  let voided = 0;
  for (const hold of due) {
    try {
      await resolveHold(db, SYSTEM, 'void', { id: uuidv7(), holdId: hold.id }, now);
      voided++;
      if (hold.attempts !== null)
        await db.deleteFrom('ledger_hold_expiry_failures').where('hold_id', '=', hold.id).execute();
    } catch (error) {
      if (error instanceof DomainError && error.code === 'ledger-hold-resolved') continue;
      await recordFailure(db, hold.id, error, now, options.logger);
    }
  }
  return voided;
}

/** Logs a hold that could not be voided and sets its next try (one more attempt, a longer wait). */
async function recordFailure(db: Db, holdId: string, error: unknown, now: Date, logger?: Logger): Promise<void> {
  const message = (error instanceof DomainError ? error.code : String((error as Error)?.message ?? error)).slice(
    0,
    500,
  );
  try {
    const row = await db
      .insertInto('ledger_hold_expiry_failures')
      .values({
        hold_id: holdId,
        attempts: 1,
        last_error: message,
        failed_at: now,
        retry_at: new Date(now.getTime() + retryDelayMs(1)),
      })
      .onConflict((oc) =>
        oc.column('hold_id').doUpdateSet({
          attempts: sql`ledger_hold_expiry_failures.attempts + 1`,
          last_error: message,
          failed_at: now,
          retry_at: sql`${now}::timestamptz + least(${FIRST_RETRY_MS}::bigint * power(2, least(ledger_hold_expiry_failures.attempts, 30))::bigint, ${MAX_RETRY_MS}::bigint) * interval '1 millisecond'`,
        }),
      )
      .returning(['attempts', 'retry_at'])
      .executeTakeFirstOrThrow();
    logger?.error(
      { err: error, holdId, attempts: row.attempts, retryAt: row.retry_at },
      'ledger hold expiry failed; retried later',
    );
  } catch (recordError) {
    // Even the record failed (database gone): log both; the hold stays due and is tried on the next run.
    logger?.error({ err: error, recordError, holdId }, 'ledger hold expiry failed');
  }
}
