import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, NullableTimestamp } from '../db/schema.ts';

export type ValidityKind = 'days' | 'months' | 'calendar_year' | 'school_year' | 'lifetime';
export type PriceKind = 'fixed' | 'pay_what_you_want' | 'free';
export type LateRule = 'none' | 'pro_rata' | 'next_year';
export type MembershipStatus = 'pending_payment' | 'pending_approval' | 'active' | 'cancelled';

export interface MembershipProductsTable {
  place_id: string;
  id: string;
  name: string;
  description: Generated<string>;
  validity_kind: ValidityKind;
  validity_value: Generated<number>;
  price_kind: PriceKind;
  price_cents: Generated<number>;
  min_price_cents: Generated<number>;
  requires_approval: Generated<boolean>;
  reminder_days: Generated<number>;
  active: Generated<boolean>;
  /** Calendar-year products bought from `late_from` ('MM-DD') on (docs/MEMBERSHIPS.md, "Late in the year"). */
  late_rule: Generated<LateRule>;
  late_from: string | null;
  created_at: CreatedAt;
  updated_at: CreatedAt;
}

export interface MembershipsTable {
  place_id: string;
  id: string;
  product_id: string;
  person_id: string;
  status: MembershipStatus;
  /** 'YYYY-MM-DD' (a calendar date, no time zone). */
  starts_on: string;
  ends_on: string | null;
  amount_cents: Generated<number>;
  method: string;
  payment_id: string | null;
  note: Generated<string>;
  created_by: string | null;
  created_at: CreatedAt;
  cancelled_at: NullableTimestamp;
  reminder_sent_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** Table types of the memberships module. Merged into DB in db/schema.ts. */
export interface MembershipTables {
  membership_products: MembershipProductsTable;
  memberships: MembershipsTable;
}
