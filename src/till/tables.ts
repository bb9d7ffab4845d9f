/** Table types of the till module (migrations 0011_pos.sql, 0012_till.sql, 0019_till_money.sql). Merged into DB in db/schema.ts. */
import type { ColumnType } from 'kysely';
import type { CreatedAt, NullableTimestamp, Timestamp } from '../db/schema.ts';

type Defaulted<T> = ColumnType<T, T | undefined, T>;
type JsonColumn<T> = ColumnType<T, string, never>;

export type PaymentMethod = 'card' | 'cash' | 'bank_card';
export const PAYMENT_METHODS: readonly PaymentMethod[] = ['card', 'cash', 'bank_card'];
// Article kinds: shared with the till in the browser (src/shared/tillRules.js).
import type { ArticleKind } from '../shared/tillRules.js';
export { ARTICLE_KINDS } from '../shared/tillRules.js';
export type { ArticleKind };

export interface PosPointsTable {
  place_id: string;
  id: string;
  name: string;
  payment_methods: Defaulted<PaymentMethod[]>;
  position: Defaulted<number>;
  archived: Defaulted<boolean>;
  created_at: CreatedAt;
}

export interface PosCategoriesTable {
  place_id: string;
  id: string;
  name: string;
  colour: Defaulted<string>;
  position: Defaulted<number>;
}

export interface PosArticlesTable {
  place_id: string;
  id: string;
  category_id: string | null;
  name: string;
  kind: ArticleKind;
  price_cents: number | null;
  vat_rate: Defaulted<number>;
  colour: Defaulted<string>;
  currency_id: string | null;
  membership_product_id: string | null;
  position: Defaulted<number>;
  archived: Defaulted<boolean>;
  created_at: CreatedAt;
}

export interface PosPointArticlesTable {
  place_id: string;
  point_id: string;
  article_id: string;
  position: Defaulted<number>;
}

export interface DevicePairingsTable {
  place_id: string;
  code_sha256: string;
  kind: 'till' | 'scanner';
  name: string;
  created_by: string | null;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  device_id: string | null;
  created_at: CreatedAt;
}

export interface TillSettingsTable {
  place_id: string;
  /** 'HH:MM:SS' local time of the venue. */
  day_starts_at: Defaulted<string>;
}

/** Counter top-up limits of a venue for one currency, in cents (migration 0019; no row = the defaults). */
export interface TillTopUpLimitsTable {
  place_id: string;
  currency_id: string;
  line_max_cents: number;
  sale_max_cents: number;
  card_day_max_cents: number;
  day_max_cents: number;
  updated_at: CreatedAt;
}

export interface TillSalesTable {
  id: string;
  place_id: string;
  point_id: string;
  device_id: string;
  cashier_person_id: string;
  request_sha256: string;
  card_id: string | null;
  person_id: string | null;
  total_cents: number;
  reverses_sale_id: string | null;
  /** 'YYYY-MM-DD'. */
  business_day: string;
  result: JsonColumn<Record<string, unknown>>;
  created_at: CreatedAt;
  /** A sale queued offline: its device-signed time of sale (migration 0019). */
  sold_at: NullableTimestamp;
  /** Booked late: the (closed) business day it was sold on; null otherwise. */
  late_from_day: ColumnType<string | null, string | null | undefined, never>;
}

export interface TillJournalHeadsTable {
  place_id: string;
  position: Defaulted<number>;
  hash: Defaulted<string>;
}

export interface TillJournalTable {
  place_id: string;
  position: number;
  sale_id: string;
  kind: 'item' | 'payment';
  point_id: string;
  device_id: string;
  cashier_person_id: string;
  article_id: string | null;
  article_name: string | null;
  article_kind: ArticleKind | null;
  category_name: string | null;
  quantity: number | null;
  unit_price_cents: number | null;
  vat_rate: number | null;
  amount_cents: number;
  payment_method: PaymentMethod | null;
  currency_code: string | null;
  transfer_id: string | null;
  business_day: string;
  created_at: Timestamp;
  prev_hash: string;
  hash: string;
  /** A sale queued offline: its time of sale; booked late: the day it was sold on (migration 0019). */
  sold_at: NullableTimestamp;
  late_from_day: ColumnType<string | null, string | null | undefined, never>;
}

export interface TillTables {
  pos_points: PosPointsTable;
  pos_categories: PosCategoriesTable;
  pos_articles: PosArticlesTable;
  pos_point_articles: PosPointArticlesTable;
  device_pairings: DevicePairingsTable;
  till_settings: TillSettingsTable;
  till_top_up_limits: TillTopUpLimitsTable;
  till_sales: TillSalesTable;
  till_journal_heads: TillJournalHeadsTable;
  till_journal: TillJournalTable;
}
