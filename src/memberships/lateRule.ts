import { endOfValidity, type Day } from './validity.ts';
import type { LateRule, PriceKind, ValidityKind } from './tables.ts';

export const LATE_RULES: readonly LateRule[] = ['none', 'pro_rata', 'next_year'];

/** What a buyer gets for a product bought on a day: its validity and what it costs (docs/MEMBERSHIPS.md). */
export interface MembershipTerms {
  startsOn: Day;
  endsOn: Day | null;
  /** The fixed price, or the suggested amount of a pay-what-you-want product, after the late rule. */
  priceCents: number;
  minPriceCents: number;
  /** The late rule that applied on this day, or 'none'. */
  applied: LateRule;
}

export interface TermsProduct {
  validityKind: ValidityKind;
  validityValue: number;
  priceKind: PriceKind;
  priceCents: number;
  minPriceCents: number;
  lateRule: LateRule;
  /** 'MM-DD': the day of each year from which the late rule applies. */
  lateFrom: string | null;
}

const dayNumber = (day: Day) =>
  Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)));

/**
 * The late-year rule of calendar-year memberships, pure. Before `lateFrom` in the year of `day` (or
 * without a rule, or for another validity kind) the product's own rule: `day` to 31 December, full
 * price. From `lateFrom` on:
 * - `next_year`: `day` to 31 December of the NEXT year, full price;
 * - `pro_rata`: `day` to 31 December, the price (and a pay-what-you-want minimum) in proportion to the
 *   days left, `day` and 31 December included, over the days of the year — rounded to the cent, half
 *   up, and at least 1 cent for a price that was not free.
 */
export function membershipTerms(product: TermsProduct, day: Day): MembershipTerms {
  const plain: MembershipTerms = {
    startsOn: day,
    endsOn: endOfValidity(product.validityKind, product.validityValue, day),
    priceCents: product.priceCents,
    minPriceCents: product.minPriceCents,
    applied: 'none',
  };
  if (product.validityKind !== 'calendar_year' || product.lateRule === 'none' || !product.lateFrom) return plain;
  const year = Number(day.slice(0, 4));
  if (day.slice(5) < product.lateFrom) return plain;
  if (product.lateRule === 'next_year') return { ...plain, endsOn: `${year + 1}-12-31`, applied: 'next_year' };
  const end = `${year}-12-31`;
  const left = (dayNumber(end) - dayNumber(day)) / 86_400_000 + 1;
  const inYear = (dayNumber(end) - dayNumber(`${year}-01-01`)) / 86_400_000 + 1;
  const share = (cents: number) => (cents === 0 ? 0 : Math.max(1, Math.round((cents * left) / inYear)));
  return {
    ...plain,
    priceCents: share(product.priceCents),
    minPriceCents: share(product.minPriceCents),
    applied: 'pro_rata',
  };
}

/** Reads a day of the year typed as "1/10", "01/10" or "01-10" (day/month) into 'MM-DD', or null. */
export function parseDayOfYear(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{1,2})[/.-](\d{1,2})$/.exec(value.trim());
  if (!m) return null;
  const d = Number(m[1]);
  const month = Number(m[2]);
  // Any year with a 29 February: a rule "from 29/02" applies from 1 March in other years.
  const probe = new Date(Date.UTC(2024, month - 1, d));
  if (month < 1 || month > 12 || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== d) return null;
  return `${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** 'MM-DD' → "DD/MM", as the admin typed it. */
export const dayOfYearText = (mmdd: string) => `${mmdd.slice(3)}/${mmdd.slice(0, 2)}`;
