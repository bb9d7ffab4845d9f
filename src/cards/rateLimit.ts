/**
 * An in-process limiter of card token lookups per client address: `max` lookups per window, shared
 * by every route that reads a QR token (the card page, linking). Each node process counts its own;
 * tokens are 96+ bits, so this only keeps the cost of guessing absurd and the logs quiet.
 */
export class TokenLookupLimiter {
  private readonly hits = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(
    readonly max = 30,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one lookup for `key`; false when the key is over its limit for the current window. */
  take(key: string): boolean {
    const now = this.now();
    if (now - this.lastSweep > this.windowMs) {
      // Forget finished windows, so the map stays as small as the number of recent clients.
      for (const [k, v] of this.hits) if (now - v.start >= this.windowMs) this.hits.delete(k);
      this.lastSweep = now;
    }
    const entry = this.hits.get(key);
    if (!entry || now - entry.start >= this.windowMs) {
      this.hits.set(key, { start: now, count: 1 });
      return true;
    }
    entry.count++;
    return entry.count <= this.max;
  }

  /** Seconds until the key's window ends (for Retry-After). */
  retryAfter(key: string): number {
    const entry = this.hits.get(key);
    return entry ? Math.max(1, Math.ceil((entry.start + this.windowMs - this.now()) / 1000)) : 1;
  }
}
