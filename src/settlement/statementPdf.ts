import { createHash } from 'node:crypto';
import PDFDocument from 'pdfkit';
import type { Db } from '../db/database.ts';
import { localeOf, translate, type Language } from '../i18n/i18n.ts';
import { loadNodeKey } from '../ledger/index.ts';
import { formatEuros } from '../shared/money.ts';
import { pdfBytes, winAnsi } from '../shared/pdf.ts';
import { feeRate } from './statementCsv.ts';
import { statementMessage } from './statementSignature.ts';
import type { Statement } from './statements.ts';

/** A4 in points. */
const PAGE: [number, number] = [595.28, 841.89];
const MARGIN = 50;

/**
 * A statement as a signed A4 PDF (docs/SETTLEMENT.md): who, which period, the opening balance, each
 * kind of movement with its count and sum, the fee, the closing and what happens to it, the VAT mention,
 * then the signed message, its Ed25519 signature by the node key and that key's fingerprint, so anyone
 * can check it against GET /api/v1/ledger/key. `compress: false` keeps the text readable (tests).
 */
export async function statementPdf(
  db: Db,
  s: Statement,
  options: { lang: Language; timeZone: string; baseUrl: string; compress?: boolean },
): Promise<Buffer> {
  const { lang, timeZone } = options;
  const t = (key: string, params?: Record<string, string | number>) => translate(lang, key, params);
  const eur = (cents: number) => winAnsi(formatEuros(cents, lang));
  const when = (d: Date) =>
    new Intl.DateTimeFormat(localeOf(lang), {
      dateStyle: 'long',
      timeStyle: 'short',
      timeZone,
    }).format(d);
  const key = await loadNodeKey(db);
  const fingerprint = createHash('sha256').update(Buffer.from(key.publicKeyBase64, 'base64')).digest('hex');
  const message = statementMessage(s);

  const doc = new PDFDocument({
    size: PAGE,
    margin: MARGIN,
    compress: options.compress ?? true,
    info: { Title: `${t('settlement.pdf.title')} ${s.reference}`, Author: s.federationName },
  });
  const done = pdfBytes(doc);
  const width = PAGE[0] - 2 * MARGIN;
  const text = (value: string, size = 10, font = 'Helvetica', colour = '#000000') =>
    doc.font(font).fontSize(size).fillColor(colour).text(winAnsi(value), { width });

  text(winAnsi(s.federationName), 10, 'Helvetica', '#555555');
  text(`${t('settlement.pdf.title')} ${s.reference}`, 18, 'Helvetica-Bold');
  doc.moveDown(0.3);
  text(t('settlement.pdf.venue', { name: s.placeName }), 12);
  text(
    t('settlement.pdf.period', {
      start: s.periodStart ? when(s.periodStart) : t('settlement.pdf.beginning'),
      end: when(s.periodEnd),
    }),
  );
  if (s.coversTo.getTime() !== s.periodEnd.getTime()) text(t('settlement.coversTo', { when: when(s.coversTo) }), 9);
  text(t('settlement.pdf.currency', { code: s.currencyCode, date: when(s.createdAt) }), 9, 'Helvetica', '#555555');
  doc.moveDown(1);

  // The figures: label on the left, count and amount on the right.
  const row = (label: string, count: string, amount: string, bold = false) => {
    const y = doc.y;
    doc
      .font(bold ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(10)
      .fillColor('#000000');
    doc.text(winAnsi(label), MARGIN, y, { width: width - 170 });
    const after = doc.y;
    doc.text(count, MARGIN + width - 170, y, { width: 50, align: 'right' });
    doc.text(amount, MARGIN + width - 110, y, { width: 110, align: 'right' });
    doc.y = Math.max(after, doc.y) + 4;
    doc.x = MARGIN;
  };
  const rule = () => {
    doc
      .moveTo(MARGIN, doc.y)
      .lineTo(MARGIN + width, doc.y)
      .strokeColor('#999999')
      .lineWidth(0.5)
      .stroke();
    doc.y += 4;
  };
  row(t('settlement.col.movement'), t('settlement.col.count'), t('settlement.col.amount'), true);
  rule();
  row(t('settlement.opening'), '', eur(s.openingCents));
  for (const l of s.lines) row(t(`settlement.lines.${l.line}`), String(l.count), eur(l.amountCents));
  if (s.feeCents > 0) row(t('settlement.fee', { rate: feeRate(s.feeBps, lang) }), '', eur(-s.feeCents));
  rule();
  row(t('settlement.closing'), '', eur(s.closingCents), true);
  doc.moveDown(0.5);
  text(
    t(`settlement.outcome.${s.state}`, {
      amount: eur(Math.abs(s.closingCents)),
      reference: s.payout?.reference ?? '',
      date: s.payout?.paidOn ?? '',
    }),
    11,
    'Helvetica-Bold',
  );
  doc.moveDown(0.5);
  text(t('settlement.explain'), 9, 'Helvetica', '#333333');
  doc.moveDown(0.3);
  text(t('settlement.vatNote'), 9, 'Helvetica', '#333333');

  doc.moveDown(1.5);
  text(t('settlement.pdf.signedTitle'), 10, 'Helvetica-Bold');
  text(t('settlement.pdf.signedHow', { url: `${options.baseUrl}/api/v1/ledger/key` }), 8, 'Helvetica', '#333333');
  doc.moveDown(0.3);
  text(t('settlement.pdf.message'), 8, 'Helvetica-Bold');
  // Cut in equal pieces, one per line: a long token never wraps at a place the reader could misread.
  const pieces = (value: string) => value.match(/.{1,96}/g) ?? [];
  for (const piece of pieces(message)) text(piece, 7, 'Courier');
  text(t('settlement.pdf.signature'), 8, 'Helvetica-Bold');
  for (const piece of pieces(s.signature)) text(piece, 7, 'Courier');
  text(t('settlement.pdf.fingerprint'), 8, 'Helvetica-Bold');
  text(fingerprint, 7, 'Courier');
  doc.end();
  return done;
}
