import { test } from 'node:test';
import assert from 'node:assert/strict';
import { membershipTerms, parseDayOfYear, type TermsProduct } from './lateRule.ts';

const year: TermsProduct = {
  validityKind: 'calendar_year',
  validityValue: 0,
  priceKind: 'fixed',
  priceCents: 3650,
  minPriceCents: 0,
  lateRule: 'none',
  lateFrom: null,
};

test('without a rule, or before its day: to 31 December at the full price', () => {
  assert.deepEqual(membershipTerms(year, '2026-11-15'), {
    startsOn: '2026-11-15',
    endsOn: '2026-12-31',
    priceCents: 3650,
    minPriceCents: 0,
    applied: 'none',
  });
  const late = { ...year, lateRule: 'next_year' as const, lateFrom: '10-01' };
  assert.equal(membershipTerms(late, '2026-09-30').endsOn, '2026-12-31');
  assert.equal(membershipTerms(late, '2026-09-30').applied, 'none');
});

test('next_year: from the chosen day (included) to the end of next year, full price', () => {
  const late = { ...year, lateRule: 'next_year' as const, lateFrom: '10-01' };
  assert.deepEqual(membershipTerms(late, '2026-10-01'), {
    startsOn: '2026-10-01',
    endsOn: '2027-12-31',
    priceCents: 3650,
    minPriceCents: 0,
    applied: 'next_year',
  });
  assert.equal(membershipTerms(late, '2026-12-31').endsOn, '2027-12-31');
  // The next January is a new year: the rule does not apply yet.
  assert.equal(membershipTerms(late, '2027-01-01').endsOn, '2027-12-31');
  assert.equal(membershipTerms(late, '2027-01-01').applied, 'none');
});

test('pro_rata: the price in proportion to the days left, both ends included', () => {
  const late = { ...year, lateRule: 'pro_rata' as const, lateFrom: '07-01' };
  // 2026: 365 days; from 1 October, 92 days are left → 3650 × 92 / 365 = 920.
  assert.equal(membershipTerms(late, '2026-10-01').priceCents, 920);
  assert.equal(membershipTerms(late, '2026-10-01').endsOn, '2026-12-31');
  // The last day: one day of 365 → 10 cents.
  assert.equal(membershipTerms(late, '2026-12-31').priceCents, 10);
  // A leap year counts 366 days: 3660 × 1 / 366 = 10; and a tiny price never becomes free.
  assert.equal(membershipTerms({ ...late, priceCents: 3660 }, '2028-12-31').priceCents, 10);
  assert.equal(membershipTerms({ ...late, priceCents: 1 }, '2026-12-31').priceCents, 1);
  // Rounded half up: 1000 × 92 / 365 = 252.05 → 252; 500 × 73 / 365 = 100.
  assert.equal(membershipTerms({ ...late, priceCents: 1000 }, '2026-10-01').priceCents, 252);
  assert.equal(membershipTerms({ ...late, priceCents: 500 }, '2026-10-20').priceCents, 100);
  // Pay what you want: the suggestion and the minimum both; free stays free.
  const pwyw = { ...late, priceKind: 'pay_what_you_want' as const, priceCents: 2000, minPriceCents: 730 };
  assert.deepEqual(
    [membershipTerms(pwyw, '2026-10-01').priceCents, membershipTerms(pwyw, '2026-10-01').minPriceCents],
    [504, 184],
  );
  assert.equal(membershipTerms({ ...late, priceKind: 'free', priceCents: 0 }, '2026-10-01').priceCents, 0);
});

test('other validity kinds ignore the rule', () => {
  const months = {
    ...year,
    validityKind: 'months' as const,
    validityValue: 12,
    lateRule: 'next_year' as const,
    lateFrom: '10-01',
  };
  assert.equal(membershipTerms(months, '2026-11-15').endsOn, '2027-11-14');
  assert.equal(membershipTerms(months, '2026-11-15').applied, 'none');
});

test('the day of the rule is read as day/month', () => {
  assert.equal(parseDayOfYear('1/10'), '10-01');
  assert.equal(parseDayOfYear(' 01-10 '), '10-01');
  assert.equal(parseDayOfYear('29/02'), '02-29');
  for (const bad of ['31/04', '0/1', '1/13', '2026-10-01', '', 10, null])
    assert.equal(parseDayOfYear(bad), null, String(bad));
});
