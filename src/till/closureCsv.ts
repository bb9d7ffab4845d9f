import type { Db } from '../db/database.ts';
import { csvLine } from '../shared/csv.ts';
import type { Closure } from './closures.ts';

const euros = (cents: number) => (cents / 100).toFixed(2);

/**
 * One CSV line. Text cells go through csvLine (quoted, formula-like text defused); numbers — negative
 * amounts included — stay numbers, which csvLine would otherwise prefix with an apostrophe.
 */
function row(cells: (string | number | null)[]): string {
  return (
    cells
      .map((c) =>
        typeof c === 'number' || (typeof c === 'string' && /^-?\d+(\.\d+)?$/.test(c))
          ? String(c)
          : csvLine([c]).slice(0, -2),
      )
      .join(',') + '\r\n'
  );
}

/**
 * A closure as CSV, one figure per line: section, key, label, quantity, amount (euros, dot decimal).
 * Meant for a spreadsheet or an accountant's import; the header lines identify the closure.
 */
export function closureCsv(c: Closure): string {
  const t = c.totals;
  const rows: (string | number | null)[][] = [
    ['section', 'key', 'label', 'quantity', 'amount'],
    ['closure', 'id', c.id, null, null],
    ['closure', 'point', c.pointName, null, null],
    ['closure', 'business_day', c.businessDay, null, null],
    ['closure', 'closed_at', c.closedAt.toISOString(), null, null],
    [
      'closure',
      'journal_positions',
      c.firstPosition === null ? '' : `${c.firstPosition}-${c.lastPosition}`,
      c.lineCount,
      null,
    ],
    ['closure', 'journal_head', `${c.journalHeadPosition}:${c.journalHeadHash}`, null, null],
    ['closure', 'totals_sha256', c.totalsSha256, null, null],
    ['closure', 'signature', c.signature, null, null],
    ['summary', 'sales', null, t.salesCount, euros(t.itemsTotalCents)],
    ['summary', 'reversals', null, t.reversals.count, euros(t.reversals.amountCents)],
    ['summary', 'payments', null, null, euros(t.paymentsTotalCents)],
    ...(t.late?.days ?? []).map((d) => ['late', d.soldOn, null, d.count, euros(d.amountCents)]),
    ...t.payments.map((p) => [
      'payment',
      p.currency ? `${p.method}:${p.currency}` : p.method,
      null,
      p.count,
      euros(p.amountCents),
    ]),
    ...t.articles.map((a) => ['article', a.articleId, a.name, a.quantity, euros(a.amountCents)]),
    ...t.categories.map((x) => ['category', x.category ?? '', x.category ?? '', x.quantity, euros(x.amountCents)]),
    ...t.kinds.map((k) => ['kind', k.kind, null, k.quantity, euros(k.amountCents)]),
    ...t.movements.map((m) => ['movement', `${m.kind}:${m.method}`, null, m.quantity, euros(m.amountCents)]),
    ...t.vat.flatMap((v) => [
      ['vat_gross', String(v.rate), `${(v.rate / 100).toFixed(2)}%`, null, euros(v.grossCents)],
      ['vat', String(v.rate), `${(v.rate / 100).toFixed(2)}%`, null, euros(v.vatCents)],
      ['vat_net', String(v.rate), `${(v.rate / 100).toFixed(2)}%`, null, euros(v.netCents)],
    ]),
    ['cash', 'opening_float', null, null, euros(c.openingFloatCents)],
    ['cash', 'expected', null, null, euros(c.expectedCashCents)],
    ['cash', 'counted', null, null, euros(c.countedCashCents)],
    ['cash', 'difference', null, null, euros(c.differenceCents)],
    ['closure', 'note', c.note, null, null],
  ];
  return rows.map(row).join('');
}

/** The journal lines of a venue's business day (optionally one point of sale), in journal order, as CSV. */
export async function journalDayCsv(db: Db, placeId: string, businessDay: string, pointId?: string): Promise<string> {
  let q = db
    .selectFrom('till_journal as j')
    .leftJoin('pos_points as p', (j) => j.onRef('p.place_id', '=', 'j.place_id').onRef('p.id', '=', 'j.point_id'))
    .select([
      'j.position',
      'j.created_at',
      'j.business_day',
      'j.point_id',
      'p.name as point_name',
      'j.device_id',
      'j.cashier_person_id',
      'j.sale_id',
      'j.kind',
      'j.article_id',
      'j.article_name',
      'j.article_kind',
      'j.category_name',
      'j.quantity',
      'j.unit_price_cents',
      'j.vat_rate',
      'j.amount_cents',
      'j.payment_method',
      'j.currency_code',
      'j.transfer_id',
      'j.hash',
      'j.sold_at',
      'j.late_from_day',
    ])
    .where('j.place_id', '=', placeId)
    .where('j.business_day', '=', businessDay);
  if (pointId) q = q.where('j.point_id', '=', pointId);
  const lines = await q.orderBy('j.position').execute();
  return (
    row([
      'position',
      'created_at',
      'business_day',
      'point_id',
      'point',
      'device_id',
      'cashier_id',
      'sale_id',
      'kind',
      'article_id',
      'article',
      'article_kind',
      'category',
      'quantity',
      'unit_price',
      'vat_rate',
      'amount',
      'payment_method',
      'currency',
      'transfer_id',
      'hash',
      'sold_at',
      'late_from_day',
    ]) +
    lines
      .map((l) =>
        row([
          Number(l.position),
          l.created_at.toISOString(),
          l.business_day,
          l.point_id,
          l.point_name ?? '',
          l.device_id,
          l.cashier_person_id,
          l.sale_id,
          l.kind,
          l.article_id ?? '',
          l.article_name ?? '',
          l.article_kind ?? '',
          l.category_name ?? '',
          l.quantity ?? '',
          l.unit_price_cents === null ? '' : euros(Number(l.unit_price_cents)),
          l.vat_rate === null ? '' : (l.vat_rate / 100).toFixed(2),
          euros(Number(l.amount_cents)),
          l.payment_method ?? '',
          l.currency_code ?? '',
          l.transfer_id ?? '',
          l.hash,
          l.sold_at ? l.sold_at.toISOString() : '',
          l.late_from_day ?? '',
        ]),
      )
      .join('')
  );
}
