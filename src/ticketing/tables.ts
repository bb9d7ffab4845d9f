import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, NullableTimestamp } from '../db/schema.ts';
import type { Language } from '../i18n/i18n.ts';

export type PriceKind = 'fixed' | 'free' | 'pay_what_you_want' | 'member_only';
export type OrderStatus = 'pending' | 'paid' | 'cancelled' | 'expired' | 'refunded';
export type TicketStatus = 'valid' | 'cancelled' | 'refunded';

export interface DateCapacityTable {
  place_id: string;
  event_date_id: string;
  capacity: number;
  taken: Generated<number>;
  /** Places of `taken` held by pending orders placed without an account (docs/TICKETING.md, invariant 21). */
  held_unconfirmed: Generated<number>;
}

export interface TicketPricesTable {
  place_id: string;
  id: string;
  event_id: string;
  event_date_id: string | null;
  name: string;
  kind: PriceKind;
  price_cents: Generated<number>;
  min_price_cents: Generated<number>;
  member_place_ids: ColumnType<string[], string[] | undefined, string[]>;
  stock: number | null;
  taken: Generated<number>;
  per_order_limit: Generated<number>;
  per_person_limit: number | null;
  sales_open_at: NullableTimestamp;
  sales_close_at: NullableTimestamp;
  vat_rate_bp: Generated<number>;
  active: Generated<boolean>;
  /** Moves with every edit, closing and reopening (invariant 22): a sale checks it under the row's lock. */
  revision: Generated<number>;
  position: Generated<number>;
  created_at: CreatedAt;
}

export interface PromoCodesTable {
  place_id: string;
  id: string;
  code: string;
  event_id: string;
  price_id: string | null;
  percent_off: number | null;
  amount_off_cents: number | null;
  max_uses: number | null;
  used: Generated<number>;
  created_at: CreatedAt;
}

export interface OrdersTable {
  place_id: string;
  id: string;
  reference: string;
  person_id: string | null;
  email: string;
  name: Generated<string>;
  language: ColumnType<Language, Language | undefined, Language>;
  status: OrderStatus;
  total_cents: number;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  payment_id: string | null;
  confirm_token_hash: Uint8Array | null;
  promo_code_id: string | null;
  /** Its seats are counted in date_capacity.held_unconfirmed (invariant 21). */
  unconfirmed_hold: Generated<boolean>;
  created_at: CreatedAt;
  paid_at: NullableTimestamp;
  closed_at: NullableTimestamp;
}

export interface OrderLinesTable {
  place_id: string;
  order_id: string;
  id: string;
  price_id: string;
  event_id: string;
  event_date_id: string;
  quantity: number;
  unit_price_cents: number;
  discount_cents: Generated<number>;
  vat_rate_bp: number;
}

export interface TicketsTable {
  place_id: string;
  id: string;
  order_id: string;
  line_id: string;
  event_id: string;
  event_date_id: string;
  price_id: string;
  holder_name: Generated<string>;
  status: TicketStatus;
  created_at: CreatedAt;
}

export interface TicketKeysTable {
  place_id: string;
  id: string;
  public_key: string;
  private_key: string;
  created_at: CreatedAt;
  retired_at: NullableTimestamp;
}

export interface CheckinListsTable {
  place_id: string;
  id: string;
  event_id: string;
  name: string;
  date_ids: ColumnType<string[], string[] | undefined, string[]>;
  price_ids: ColumnType<string[], string[] | undefined, string[]>;
  is_default: Generated<boolean>;
  created_at: CreatedAt;
}

export interface CheckinsTable {
  place_id: string;
  id: string;
  list_id: string;
  ticket_id: string | null;
  nonce: string;
  result: string;
  api_key_id: string | null;
  device_id: string | null;
  scanned_at: ColumnType<Date, Date | string, Date | string>;
  received_at: CreatedAt;
}

export interface CancellationPoliciesTable {
  place_id: string;
  event_id: string;
  holder_deadline_hours: number;
  updated_at: CreatedAt;
}

/** A venue that lets buyers pay at the door / at the desk (docs/TICKETING.md, "Paying on site"). */
export interface OnSitePaymentSettingsTable {
  place_id: string;
  /** How long such an order is held at most; null: until its earliest date starts. */
  hold_hours: number | null;
  updated_at: CreatedAt;
}

export type QuestionKind = 'text' | 'choice' | 'checkbox';
export type WaitlistStatus = 'unconfirmed' | 'waiting' | 'offered' | 'done' | 'expired' | 'left';

export interface TicketQuestionsTable {
  place_id: string;
  id: string;
  event_id: string;
  label: string;
  kind: QuestionKind;
  choices: ColumnType<string[], string[] | undefined, string[]>;
  required: Generated<boolean>;
  per_ticket: Generated<boolean>;
  position: Generated<number>;
  created_at: CreatedAt;
}

export interface OrderAnswersTable {
  place_id: string;
  order_id: string;
  id: string;
  question_id: string;
  event_id: string;
  line_id: string | null;
  line_rank: number | null;
  label: string;
  kind: QuestionKind;
  value: string;
}

export interface WaitlistEntriesTable {
  place_id: string;
  id: string;
  event_id: string;
  event_date_id: string;
  price_id: string;
  quantity: number;
  person_id: string | null;
  email: string;
  language: ColumnType<Language, Language | undefined, Language>;
  status: WaitlistStatus;
  token_hash: Uint8Array;
  offer_token_hash: Uint8Array | null;
  order_id: string | null;
  offered_at: NullableTimestamp;
  created_at: CreatedAt;
  closed_at: NullableTimestamp;
}

/** Table types of the ticketing module. Merged into DB in db/schema.ts. */
export interface TicketingTables {
  ticket_keys: TicketKeysTable;
  checkin_lists: CheckinListsTable;
  checkins: CheckinsTable;
  date_capacity: DateCapacityTable;
  ticket_prices: TicketPricesTable;
  promo_codes: PromoCodesTable;
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  tickets: TicketsTable;
  cancellation_policies: CancellationPoliciesTable;
  on_site_payment_settings: OnSitePaymentSettingsTable;
  ticket_questions: TicketQuestionsTable;
  order_answers: OrderAnswersTable;
  waitlist_entries: WaitlistEntriesTable;
}
