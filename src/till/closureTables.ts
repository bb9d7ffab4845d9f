/** Table types of the till's closures (migration 0013_till_closures.sql). Merged into DB in db/schema.ts. */
import type { ColumnType } from 'kysely';
import type { Timestamp } from '../db/schema.ts';

export interface TillClosuresTable {
  id: string;
  place_id: string;
  point_id: string;
  /** 'YYYY-MM-DD'. */
  business_day: string;
  journal_head_position: number;
  journal_head_hash: string;
  first_position: number | null;
  last_position: number | null;
  line_count: number;
  /** The ClosureTotals, as canonical JSON text on insert. */
  totals: ColumnType<unknown, string, never>;
  totals_sha256: string;
  expected_cash_cents: number;
  counted_cash_cents: number;
  /** Migration 0017: the cash in the drawer before the day's first sale (0 for version-1 closures). */
  opening_float_cents: ColumnType<number, number | undefined, never>;
  difference_cents: number;
  note: ColumnType<string, string | undefined, never>;
  closed_by: string | null;
  closed_by_api_key: string | null;
  closed_at: Timestamp;
  signature: string;
  message_version: number;
}

export interface ClosureTables {
  till_closures: TillClosuresTable;
}
