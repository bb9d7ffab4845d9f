/**
 * Parses an amount of euros typed by a person — "12", "12,5", "12.50", "1 200,00" — into cents.
 * Returns null for anything else (negative, more than two decimals, letters). Never uses floats.
 */
export function parseEuros(input: string): number | null {
  const s = input.replace(/[\s\u00a0\u202f]/g, '').replace(/€$/, '');
  const m = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** Formats cents as euros for a person: 1250 → "12,50 €" (fr) or "€12.50" (en). */
export function formatEuros(cents: number, lang: 'fr' | 'en'): string {
  return new Intl.NumberFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', { style: 'currency', currency: 'EUR' }).format(
    cents / 100,
  );
}
