import type { Db } from '../db/database.ts';

/**
 * Which of a venue's event dates another module still needs (tickets sold, a booking in progress):
 * such a date is never deleted by an edit of its event's dates or rule — it is kept and flagged.
 * The agenda knows nothing of tickets: a module gives its check in its module.ts (`dateUses`),
 * registered from the module list when the node starts, as payment purposes are. A check runs in the
 * transaction that would delete the dates and locks what its writers lock, so that a sale racing the
 * edit is either seen or waits for the edit (ticketing: docs/TICKETING.md).
 */
export type DatesInUse = (db: Db, placeId: string, eventId: string, dateIds: readonly string[]) => Promise<Set<string>>;

const checks = new Map<string, DatesInUse>();

/** Registers a module's check under its name; registering the same name again replaces it (idempotent). */
export function registerDateUse(name: string, check: DatesInUse): void {
  checks.set(name, check);
}

/** The dates among `dateIds` (of one event) that some module still needs. */
export async function datesInUse(
  db: Db,
  placeId: string,
  eventId: string,
  dateIds: readonly string[],
): Promise<Set<string>> {
  const used = new Set<string>();
  if (dateIds.length === 0) return used;
  for (const check of checks.values()) for (const id of await check(db, placeId, eventId, dateIds)) used.add(id);
  return used;
}
