import type { Db } from '../db/database.ts';
import { FieldErrors } from '../shared/errors.ts';
import { MAX_AMOUNT_MINOR, parseEuros } from '../shared/money.ts';
import { LATE_RULES, parseDayOfYear } from './lateRule.ts';
import type { LateRule, PriceKind, ValidityKind } from './tables.ts';

export const VALIDITY_KINDS: readonly ValidityKind[] = ['days', 'months', 'calendar_year', 'school_year', 'lifetime'];
export const PRICE_KINDS: readonly PriceKind[] = ['fixed', 'pay_what_you_want', 'free'];

export interface MembershipProduct {
  placeId: string;
  id: string;
  name: string;
  description: string;
  validityKind: ValidityKind;
  validityValue: number;
  priceKind: PriceKind;
  priceCents: number;
  minPriceCents: number;
  requiresApproval: boolean;
  reminderDays: number;
  /** Calendar-year products bought late in the year (docs/MEMBERSHIPS.md, "Late in the year"). */
  lateRule: LateRule;
  /** 'MM-DD', with a rule. */
  lateFrom: string | null;
  active: boolean;
}

export type ProductFields = Omit<MembershipProduct, 'placeId' | 'id' | 'active'>;

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');
const bool = (v: unknown) => v === true || v === 'on' || v === '1' || v === 'true';

/**
 * Reads a product from a form (strings, euros as "12,50") or JSON (numbers of cents), and checks that
 * the rule makes sense: a count for days/months, a start month for school years, a price for fixed
 * prices, a minimum below or at the suggested price for pay-what-you-want.
 */
export function readProductFields(raw: Record<string, unknown>): ProductFields {
  const errors = new FieldErrors();
  const name = text(raw.name);
  if (!name) errors.add('name', 'required');
  else if (name.length > 120) errors.add('name', 'too-long', { max: 120 });
  const description = text(raw.description);
  if (description.length > 2000) errors.add('description', 'too-long', { max: 2000 });
  const validityKind = text(raw.validity_kind) as ValidityKind;
  if (!VALIDITY_KINDS.includes(validityKind)) errors.add('validity_kind', 'choice');
  let validityValue = 0;
  if (validityKind === 'days' || validityKind === 'months' || validityKind === 'school_year') {
    const v = Number(text(raw.validity_value));
    const max = validityKind === 'days' ? 3660 : validityKind === 'months' ? 120 : 12;
    if (!Number.isInteger(v) || v < 1 || v > max) errors.add('validity_value', 'range-between', { min: 1, max });
    else validityValue = v;
  }
  const priceKind = text(raw.price_kind) as PriceKind;
  if (!PRICE_KINDS.includes(priceKind)) errors.add('price_kind', 'choice');
  const money = (field: string, centsField: string) => {
    if (raw[centsField] !== undefined) {
      const c = raw[centsField];
      if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0) {
        errors.add(centsField, 'amount');
        return 0;
      }
      if (c > MAX_AMOUNT_MINOR) errors.add(centsField, 'amount-too-large', { max: MAX_AMOUNT_MINOR / 100 });
      return c;
    }
    const value = text(raw[field]);
    if (!value) return 0;
    const cents = parseEuros(value);
    if (cents === null) {
      errors.add(field, 'amount');
      return 0;
    }
    if (cents > MAX_AMOUNT_MINOR) errors.add(field, 'amount-too-large', { max: MAX_AMOUNT_MINOR / 100 });
    return cents;
  };
  let priceCents = money('price', 'price_cents');
  let minPriceCents = money('min_price', 'min_price_cents');
  if (priceKind === 'fixed' && priceCents <= 0) errors.add('price', 'price-required');
  if (priceKind === 'pay_what_you_want' && priceCents > 0 && minPriceCents > priceCents)
    errors.add('min_price', 'min-above-price');
  if (priceKind === 'free') priceCents = minPriceCents = 0;
  if (priceKind === 'fixed') minPriceCents = 0;
  const reminderRaw = text(raw.reminder_days);
  const reminderDays = reminderRaw === '' ? 15 : Number(reminderRaw);
  if (!Number.isInteger(reminderDays) || reminderDays < 0 || reminderDays > 365)
    errors.add('reminder_days', 'range-between', { min: 0, max: 365 });
  const lateRule = (text(raw.late_rule) || 'none') as LateRule;
  let lateFrom: string | null = null;
  if (!LATE_RULES.includes(lateRule)) errors.add('late_rule', 'choice');
  else if (lateRule !== 'none') {
    if (validityKind !== 'calendar_year') errors.add('late_rule', 'late-rule-calendar-year');
    lateFrom = parseDayOfYear(text(raw.late_from));
    if (!lateFrom) errors.add('late_from', 'day-of-year');
  }
  errors.throwIfAny();
  return {
    lateRule,
    lateFrom,
    name,
    description,
    validityKind,
    validityValue,
    priceKind,
    priceCents,
    minPriceCents,
    requiresApproval: bool(raw.requires_approval),
    reminderDays,
  };
}

type Row = {
  place_id: string;
  id: string;
  name: string;
  description: string;
  validity_kind: ValidityKind;
  validity_value: number;
  price_kind: PriceKind;
  price_cents: number;
  min_price_cents: number;
  requires_approval: boolean;
  reminder_days: number;
  late_rule: LateRule;
  late_from: string | null;
  active: boolean;
};

export function toProduct(r: Row): MembershipProduct {
  return {
    placeId: r.place_id,
    id: r.id,
    name: r.name,
    description: r.description,
    validityKind: r.validity_kind,
    validityValue: r.validity_value,
    priceKind: r.price_kind,
    priceCents: r.price_cents,
    minPriceCents: r.min_price_cents,
    requiresApproval: r.requires_approval,
    reminderDays: r.reminder_days,
    lateRule: r.late_rule,
    lateFrom: r.late_from,
    active: r.active,
  };
}

export function toProductColumns(f: ProductFields) {
  return {
    name: f.name,
    description: f.description,
    validity_kind: f.validityKind,
    validity_value: f.validityValue,
    price_kind: f.priceKind,
    price_cents: f.priceCents,
    min_price_cents: f.minPriceCents,
    requires_approval: f.requiresApproval,
    reminder_days: f.reminderDays,
    late_rule: f.lateRule,
    late_from: f.lateFrom,
  };
}

export async function productsOf(
  db: Db,
  placeId: string,
  options: { activeOnly?: boolean } = {},
): Promise<MembershipProduct[]> {
  let q = db.selectFrom('membership_products').selectAll().where('place_id', '=', placeId).orderBy('name');
  if (options.activeOnly) q = q.where('active', '=', true);
  return (await q.execute()).map(toProduct);
}

export async function findProduct(db: Db, placeId: string, productId: string): Promise<MembershipProduct | null> {
  const row = await db
    .selectFrom('membership_products')
    .selectAll()
    .where('place_id', '=', placeId)
    .where('id', '=', productId)
    .executeTakeFirst();
  return row ? toProduct(row) : null;
}
