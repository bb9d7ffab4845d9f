import { decimalSeparator, translate, type Language } from '../i18n/i18n.ts';
import type { SettledItem } from '../ledger/index.ts';
import type { Statement } from './statements.ts';

/**
 * CSV for French accounting (docs/SETTLEMENT.md, "Pages, exports"): `;` separator, decimal comma, dates
 * JJ/MM/AAAA in the venue's time zone, CRLF; the route adds the UTF-8 BOM. Text cells a spreadsheet would
 * run as formulas are defused with an apostrophe. Crédit raises what the federation owes the venue,
 * Débit lowers it; token and cash movements carry "TVA non applicable" (payment means, not sales).
 */

const FORMULA = /^[=+\-@\t\r]/;

function cell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  let s = value;
  if (FORMULA.test(s)) s = `'${s}`;
  return /[";\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const line = (cells: (string | number | null)[]) => cells.map(cell).join(';') + '\r\n';

/** Cents as a French decimal, unsigned: 123456 → "1234,56". */
export function frenchAmount(cents: number): string {
  const abs = Math.abs(cents);
  return `${Math.floor(abs / 100)},${String(abs % 100).padStart(2, '0')}`;
}

/** JJ/MM/AAAA of an instant in a zone. */
export function frenchDate(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('fr-FR', { timeZone, day: '2-digit', month: '2-digit', year: 'numeric' })
    .formatToParts(instant)
    .filter((p) => p.type !== 'literal')
    .reduce<Record<string, string>>((o, p) => ({ ...o, [p.type]: p.value }), {});
  return `${parts.day}/${parts.month}/${parts.year}`;
}

/** A fee rate in basis points as a percentage with two decimals: 150 → "1,50" (fr) or "1.50" (en). */
export const feeRate = (bps: number, lang: Language) => (bps / 100).toFixed(2).replace('.', decimalSeparator(lang));

/** [Débit, Crédit] of a signed amount (+ owed to the venue: crédit). */
const debitCredit = (cents: number): [string, string] =>
  cents < 0 ? [frenchAmount(cents), ''] : cents > 0 ? ['', frenchAmount(cents)] : ['', frenchAmount(0)];

/** One statement, one line per movement it settled, between its opening and closing balances. */
export function statementCsv(s: Statement, items: SettledItem[], timeZone: string, lang: Language): string {
  const t = (key: string, params?: Record<string, string | number>) => translate(lang, key, params);
  const vat = t('settlement.csv.noVat');
  const day = (d: Date) => frenchDate(d, timeZone);
  const rows = [
    line([
      t('settlement.csv.date'),
      t('settlement.csv.voucher'),
      t('settlement.csv.reference'),
      t('settlement.csv.label'),
      t('settlement.csv.debit'),
      t('settlement.csv.credit'),
      t('settlement.csv.vat'),
    ]),
    line([
      day(s.periodStart ?? s.createdAt),
      s.reference,
      '',
      t('settlement.opening'),
      ...debitCredit(s.openingCents),
      '',
    ]),
  ];
  for (const i of items) {
    const label =
      t(`settlement.lines.${i.line}`) +
      (i.subject ? ` — ${i.subject}` : '') +
      (i.late ? ` (${t('settlement.late')})` : '');
    rows.push(line([day(i.createdAt), s.reference, i.transferId, label, ...debitCredit(i.amountCents), vat]));
  }
  if (s.feeCents > 0)
    rows.push(
      line([
        day(s.createdAt),
        s.reference,
        '',
        t('settlement.fee', { rate: feeRate(s.feeBps, lang) }),
        ...debitCredit(-s.feeCents),
        '',
      ]),
    );
  rows.push(line([day(s.coversTo), s.reference, '', t('settlement.closing'), ...debitCredit(s.closingCents), '']));
  if (s.payout?.status === 'paid')
    rows.push(
      line([
        s.payout.paidOn ? s.payout.paidOn.split('-').reverse().join('/') : day(s.payout.updatedAt),
        s.reference,
        s.payout.reference,
        t(s.payout.direction === 'to_venue' ? 'settlement.csv.payout' : 'settlement.csv.remittance', {
          method: t(`settlement.methods.${s.payout.method}`),
        }),
        ...debitCredit(-s.closingCents),
        '',
      ]),
    );
  return rows.join('');
}

/**
 * The accountant's export of a run (treasurer): per statement, its opening, one line per kind of movement
 * with their count, the fee, the closing, and its payout or remittance when recorded.
 */
export function runExportCsv(statements: Statement[], timeZone: string, lang: Language): string {
  const t = (key: string, params?: Record<string, string | number>) => translate(lang, key, params);
  const vat = t('settlement.csv.noVat');
  const rows = [
    line([
      t('settlement.csv.statement'),
      t('settlement.csv.venue'),
      t('settlement.csv.start'),
      t('settlement.csv.end'),
      t('settlement.csv.movement'),
      t('settlement.csv.count'),
      t('settlement.csv.debit'),
      t('settlement.csv.credit'),
      t('settlement.csv.vat'),
      t('settlement.csv.reference'),
    ]),
  ];
  for (const s of statements) {
    const zone = timeZone;
    const head = [
      s.reference,
      s.placeName,
      s.periodStart ? frenchDate(s.periodStart, zone) : '',
      frenchDate(s.coversTo, zone),
    ];
    rows.push(line([...head, t('settlement.opening'), null, ...debitCredit(s.openingCents), '', '']));
    for (const l of s.lines)
      rows.push(line([...head, t(`settlement.lines.${l.line}`), l.count, ...debitCredit(l.amountCents), vat, '']));
    if (s.feeCents > 0)
      rows.push(
        line([
          ...head,
          t('settlement.fee', { rate: feeRate(s.feeBps, lang) }),
          null,
          ...debitCredit(-s.feeCents),
          '',
          '',
        ]),
      );
    rows.push(line([...head, t('settlement.closing'), null, ...debitCredit(s.closingCents), '', '']));
    if (s.payout?.status === 'paid')
      rows.push(
        line([
          ...head,
          t(s.payout.direction === 'to_venue' ? 'settlement.csv.payout' : 'settlement.csv.remittance', {
            method: t(`settlement.methods.${s.payout.method}`),
          }),
          null,
          ...debitCredit(-s.closingCents),
          '',
          s.payout.reference,
        ]),
      );
  }
  return rows.join('');
}
