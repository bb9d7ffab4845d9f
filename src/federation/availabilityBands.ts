/**
 * Live availability's rules, pure (docs/FEDERATION.md, "Live availability"): the band of a date's
 * remaining places, the schema.org availability, and when a threshold Update leaves.
 */

export type Availability = 'InStock' | 'LimitedAvailability' | 'SoldOut';

/** A date's places: capacity and what is left (null, both: unlimited). */
export interface Places {
  capacity: number | null;
  remaining: number | null;
}

/** At most one threshold Update per date in this window (sold out and back excepted). */
export const DEBOUNCE_MS = 5 * 60_000;

/** The band of an unlimited date: never crosses anything. */
export const UNLIMITED = 'unlimited';
/** The band of a sold-out date. */
export const SOLD_OUT = '0';

/**
 * Which side of each threshold (0, 10 places, 20 % and 50 % of capacity) the remaining places are on:
 * how many thresholds they are strictly above, '0' … '4', or 'unlimited'. Each comparison moves with
 * the remaining places in one direction only, so the band changes exactly when a threshold is
 * crossed, either way ("at or below" a threshold is below it).
 */
export function bandOf(places: Places): string {
  const { capacity, remaining } = places;
  if (remaining === null || capacity === null) return UNLIMITED;
  const thresholds = [0, 10, capacity * 0.2, capacity * 0.5];
  return String(thresholds.filter((t) => remaining > t).length);
}

/** InStock above 20 % left (or unlimited), LimitedAvailability at or below 20 % or 10 places, SoldOut at 0. */
export function availabilityName(remaining: number | null, capacity: number | null): Availability {
  if (remaining === null) return 'InStock';
  if (remaining <= 0) return 'SoldOut';
  if (remaining <= 10 || (capacity !== null && remaining <= capacity * 0.2)) return 'LimitedAvailability';
  return 'InStock';
}

/** The band an Event object carries (its remainingAttendeeCapacity and maximumAttendeeCapacity). */
export function bandOfObject(object: Record<string, unknown>): string {
  const remaining = object.remainingAttendeeCapacity;
  const capacity = object.maximumAttendeeCapacity;
  return bandOf({
    capacity: typeof capacity === 'number' ? capacity : null,
    remaining: typeof remaining === 'number' ? remaining : null,
  });
}

/** What the date last sent: its band and when its last threshold Update left. */
export interface LastSent {
  band: string | null;
  sentAt: Date | null;
}

/**
 * What to do about a date now:
 * - `none`: its band is the one last sent (no threshold crossed, or crossed and back);
 * - `adopt`: nothing is known of what was sent (a row from before migration 0036): remember the band, send nothing;
 * - `send`: queue one Update with the current numbers — at once when the date becomes sold out or
 *   stops being sold out (a refund reopens it), else when the last threshold Update is at least
 *   DEBOUNCE_MS old;
 * - `wait`: a threshold was crossed inside the window: the Update leaves at `dueAt` (the window's
 *   end) with the numbers of then, all crossings of the window in one.
 */
export type Decision =
  | { kind: 'none' }
  | { kind: 'adopt' }
  | { kind: 'send'; immediate: boolean }
  | { kind: 'wait'; dueAt: Date };

export function decide(band: string, last: LastSent, now: Date): Decision {
  if (last.band === null) return { kind: 'adopt' };
  if (band === last.band) return { kind: 'none' };
  if (band === SOLD_OUT || last.band === SOLD_OUT) return { kind: 'send', immediate: true };
  if (!last.sentAt || now.getTime() - last.sentAt.getTime() >= DEBOUNCE_MS) return { kind: 'send', immediate: false };
  return { kind: 'wait', dueAt: new Date(last.sentAt.getTime() + DEBOUNCE_MS) };
}

/** The `updated` of the next object sent for a date: now, and always later than the last one sent. */
export function nextUpdated(lastSent: Date | null, now: Date): Date {
  return lastSent && lastSent.getTime() >= now.getTime() ? new Date(lastSent.getTime() + 1) : now;
}
