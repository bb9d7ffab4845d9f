/**
 * A hook other modules (through the node) may listen to: the seats of some event dates were taken or
 * given back (seats.ts, the one place a date's `taken` moves). Called right after the statement that
 * moved them: when that statement ran in a caller's transaction, the change is not committed yet, so
 * a listener reads the dates again a little later (and keeps its own periodic check). Listeners must
 * return at once and never throw: they run on the sale's path. Ticketing imports no listener.
 */
export type SeatsMovedListener = (moved: { placeId: string; dateIds: readonly string[] }) => void;

const listeners = new Set<SeatsMovedListener>();

/** Registers a listener; returns the function that removes it. */
export function onSeatsMoved(listener: SeatsMovedListener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** Tells the listeners (a throwing listener is ignored: a sale never fails because of it). */
export function seatsMoved(placeId: string, dateIds: readonly string[]): void {
  if (dateIds.length === 0) return;
  for (const listener of listeners) {
    try {
      listener({ placeId, dateIds });
    } catch {
      // The listener's own business.
    }
  }
}
