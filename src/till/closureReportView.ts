import type { FastifyRequest } from 'fastify';
import { html, type Html } from '../http/html.ts';
import { localeOf } from '../i18n/i18n.ts';
import { formatEuros } from '../shared/money.ts';
import type { ClosureTotals } from './closureReport.ts';

/** What the drawer part of a report shows: a Z has all four amounts; an X (nothing counted yet) only what is expected. */
export interface DrawerFigures {
  openingFloatCents?: number;
  expectedCashCents: number;
  countedCashCents?: number;
  differenceCents?: number;
}

/** The report's print rules (A4 or an 80 mm receipt), as a style element carrying the page's nonce. */
export function reportStyle(request: FastifyRequest, receipt: boolean): Html {
  return html`<style nonce="${request.ctx.cspNonce}">
.zreport table.z { width: 100%; border-collapse: collapse; margin: 0 0 1rem; }
.zreport table.z caption { text-align: left; font-weight: bold; padding: .5rem 0 .25rem; }
.zreport table.z th, .zreport table.z td { border-bottom: 1px solid #ccc; padding: .25rem .4rem; text-align: left; }
.zreport .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.zreport .sig { word-break: break-all; font-size: .8em; }
.zreport.receipt { max-width: 80mm; font-size: .9rem; }
@media print {
  header.site, footer.site, .skip, .no-print { display: none !important; }
  body { background: #fff; color: #000; }
  main { padding: 0; margin: 0; max-width: none; }
  .zreport table.z th, .zreport table.z td { border-color: #000; }
}
@page { size: ${receipt ? '80mm auto' : 'A4'}; margin: ${receipt ? '3mm' : '12mm'}; }
${receipt ? html`@media print { .zreport { width: 74mm; font-size: 8.5pt; } .zreport table.z th, .zreport table.z td { padding: 1px 2px; } }` : ''}
</style>`;
}

/** The tables of a Z closure or an X snapshot: summary, payments, VAT, movements, categories, articles, drawer. */
export function reportTables(request: FastifyRequest, tt: ClosureTotals, drawer: DrawerFigures): Html {
  const { t, lang } = request.ctx;
  const eur = (cents: number) => formatEuros(cents, lang);
  const locale = localeOf(lang);
  const rate = (bp: number) => `${new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(bp / 100)} %`;
  const table = (caption: string, head: string[], rows: Html[]) =>
    rows.length === 0
      ? ''
      : html`<table class="z"><caption>${caption}</caption><thead><tr>${head.map((h, i) => html`<th scope="col"${i > 0 ? html` class="num"` : ''}>${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table>`;
  const num = (v: string | number) => html`<td class="num">${v}</td>`;
  const row = (label: string, cents: number | undefined) =>
    cents === undefined ? [] : [html`<tr><th scope="row">${label}</th>${num(eur(cents))}</tr>`];
  const float = drawer.openingFloatCents;
  return html`${table(
    t('closures.report.summary'),
    ['', ''],
    [
      html`<tr><th scope="row">${t('closures.salesCount')}</th>${num(tt.salesCount)}</tr>`,
      html`<tr><th scope="row">${t('closures.reversals')}</th>${num(`${tt.reversals.count} · ${eur(tt.reversals.amountCents)}`)}</tr>`,
      ...(tt.late?.days ?? []).map(
        (d) =>
          html`<tr class="late"><th scope="row">${t('closures.late', { day: d.soldOn })}</th>${num(`${d.count} · ${eur(d.amountCents)}`)}</tr>`,
      ),
      html`<tr><th scope="row">${t('closures.itemsTotal')}</th>${num(eur(tt.itemsTotalCents))}</tr>`,
      html`<tr><th scope="row">${t('closures.paymentsTotal')}</th>${num(eur(tt.paymentsTotalCents))}</tr>`,
    ],
  )}
${table(
  t('closures.report.payments'),
  [t('closures.col.method'), t('closures.col.count'), t('closures.col.amount')],
  tt.payments.map(
    (p) =>
      html`<tr><td>${t(`closures.method.${p.method}`)}${p.currency ? html` (${p.currency})` : ''}</td>${num(p.count)}${num(eur(p.amountCents))}</tr>`,
  ),
)}
${table(
  t('closures.report.vat'),
  [t('closures.col.rate'), t('closures.col.gross'), t('closures.col.vat'), t('closures.col.net')],
  tt.vat.map(
    (v) =>
      html`<tr><td>${rate(v.rate)}</td>${num(eur(v.grossCents))}${num(eur(v.vatCents))}${num(eur(v.netCents))}</tr>`,
  ),
)}
${table(
  t('closures.report.movements'),
  [t('closures.col.kind'), t('closures.col.method'), t('closures.col.quantity'), t('closures.col.amount')],
  tt.movements.map(
    (m) =>
      html`<tr><td>${t(`closures.kind.${m.kind}`)}</td><td class="num">${t(`closures.method.${m.method}`)}</td>${num(m.quantity)}${num(eur(m.amountCents))}</tr>`,
  ),
)}
${table(
  t('closures.report.categories'),
  [t('closures.col.category'), t('closures.col.quantity'), t('closures.col.amount')],
  tt.categories.map(
    (x) =>
      html`<tr><td>${x.category ?? t('closures.noCategory')}</td>${num(x.quantity)}${num(eur(x.amountCents))}</tr>`,
  ),
)}
${table(
  t('closures.report.articles'),
  [t('closures.col.article'), t('closures.col.quantity'), t('closures.col.amount')],
  tt.articles.map(
    (a) =>
      html`<tr><td>${a.name}${a.kind === 'sale' ? '' : html` <small>(${t(`closures.kind.${a.kind}`)})</small>`}</td>${num(a.quantity)}${num(eur(a.amountCents))}</tr>`,
  ),
)}
${table(
  t('closures.report.cash'),
  ['', ''],
  [
    ...row(t('closures.openingFloat'), float),
    ...row(t('closures.expectedCash'), drawer.expectedCashCents),
    ...row(t('closures.expectedInDrawer'), float === undefined ? undefined : float + drawer.expectedCashCents),
    ...row(t('closures.countedCash'), drawer.countedCashCents),
    ...row(t('closures.difference'), drawer.differenceCents),
  ],
)}`;
}
