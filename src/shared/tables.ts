import type { CreatedAt, Timestamp } from '../db/schema.ts';

/** Hits per (scope, key) in fixed windows (src/shared/rateLimits.ts, migration 0020). */
export interface RateLimitCountersTable {
  scope: string;
  /** SHA-256 of the key (a client address, an e-mail address…): the key itself is not kept. */
  key_hash: Uint8Array;
  window_start: Timestamp;
  hits: number;
  /** The limit in force when the window was counted. */
  max_hits: number;
  /** End of the window: the row may be deleted after it. */
  expires_at: Timestamp;
  created_at: CreatedAt;
}

/** Table types of src/shared. Merged into DB in db/schema.ts. */
export interface SharedTables {
  rate_limit_counters: RateLimitCountersTable;
}
