import { localeOf, type Language } from '../i18n/i18n.ts';

// Amounts typed by a person: one rule for the server and the till in the browser (tillRules.js).
export { parseEuros } from './tillRules.js';

/** Formats cents as euros for a person: 1250 → "12,50 €" (fr) or "€12.50" (en). */
export function formatEuros(cents: number, lang: Language): string {
  return new Intl.NumberFormat(localeOf(lang), { style: 'currency', currency: 'EUR' }).format(cents / 100);
}

/**
 * The largest amount, in minor units (cents, minutes, points), that any single money input may carry:
 * a price, a payment, a transfer, a sale line, a top-up. 10 million euros — far above any real
 * operation, far below 2^53 — so an amount accepted at the edge can never overflow a sum read back
 * as a JavaScript number. Checked by the request schemas and by database CHECKs behind them.
 */
export const MAX_AMOUNT_MINOR = 1_000_000_000;

/**
 * The largest supply (−balance of the issuance account) a currency may reach, in minor units:
 * 10^15, well below 2^53 ≈ 9.007 × 10^15, so every balance and every block's supply stays exact
 * and readable. A database CHECK on the issuance account enforces it.
 */
export const MAX_SUPPLY_MINOR = 1_000_000_000_000_000;
