import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { Db } from '../db/database.ts';
import { localeOf, translate } from '../i18n/i18n.ts';
import { notFound } from '../shared/errors.ts';
import { isUuid } from '../shared/ids.ts';
import { formatEuros } from '../shared/money.ts';
import { pdfBytes, winAnsi } from '../shared/pdf.ts';
import { signTicket } from './ticketSignature.ts';
import { eventDatesByIds, eventsByIds } from '../agenda/index.ts';
import { findPlaceById } from '../places/index.ts';

/** A6 in points: one ticket per page, printable or shown on a phone. */
const PAGE: [number, number] = [298, 420];
const MARGIN = 22;
const QR_SIZE = 150;

/**
 * The QR of a payload drawn as vector squares (the same symbol as the order page's SVG): sharp at any
 * print size and about twenty times cheaper than encoding and decoding a PNG (the PDF is made for every
 * confirmation mail, by the mail delivery, and for every download).
 */
function drawQr(doc: PDFKit.PDFDocument, payload: string, x: number, y: number) {
  const { modules } = QRCode.create(payload, { errorCorrectionLevel: 'M' });
  const quiet = 2;
  const cell = QR_SIZE / (modules.size + 2 * quiet);
  doc.rect(x, y, QR_SIZE, QR_SIZE).fill('#ffffff');
  for (let row = 0; row < modules.size; row++) {
    for (let col = 0; col < modules.size; col++) {
      if (modules.get(row, col)) doc.rect(x + (col + quiet) * cell, y + (row + quiet) * cell, cell, cell);
    }
  }
  doc.fill('#000000');
}

/**
 * The valid tickets of an order as a PDF, one page each, in the order's language: event, date and time
 * in the date's zone, where, holder, price, order reference and the QR of the signed payload (with
 * the payload written under it, for typing at the door). `compress: false` keeps the text readable
 * in the file (tests). 404 when the order has no valid ticket.
 */
export async function ticketsPdf(db: Db, orderId: string, options: { compress?: boolean } = {}): Promise<Buffer> {
  if (!isUuid(orderId)) throw notFound('order');
  const order = await db
    .selectFrom('orders')
    .select(['place_id', 'id', 'reference', 'language'])
    .where('id', '=', orderId)
    .executeTakeFirst();
  if (!order) throw notFound('order');
  const found = await db
    .selectFrom('tickets as tk')
    .innerJoin('order_lines as l', (j) => j.onRef('l.place_id', '=', 'tk.place_id').onRef('l.id', '=', 'tk.line_id'))
    .innerJoin('ticket_prices as p', (j) => j.onRef('p.place_id', '=', 'tk.place_id').onRef('p.id', '=', 'tk.price_id'))
    .select([
      'tk.id',
      'tk.place_id',
      'tk.event_id',
      'tk.event_date_id',
      'tk.holder_name',
      'p.name as price_name',
      'l.unit_price_cents',
    ])
    .where('tk.place_id', '=', order.place_id)
    .where('tk.order_id', '=', order.id)
    .where('tk.status', '=', 'valid')
    .orderBy('tk.id')
    .execute();
  const [events, dates, place] = await Promise.all([
    eventsByIds(
      db,
      found.map((x) => x.event_id),
    ),
    eventDatesByIds(
      db,
      found.map((x) => x.event_date_id),
    ),
    findPlaceById(db, order.place_id),
  ]);
  // By date, then (the query's order, kept by the stable sort) by ticket.
  const tickets = found
    .flatMap((x) => {
      const e = events.get(x.event_id);
      const d = dates.get(x.event_date_id);
      if (!e || !d || !place) return [];
      return [
        {
          ...x,
          title: e.title,
          starts_at: d.startsAt,
          timezone: d.timezone,
          at_venue: e.atVenue,
          location_name: e.locationName,
          event_street: e.street,
          event_postal_code: e.postalCode,
          event_city: e.city,
          place_name: place.name,
          street: place.street,
          postal_code: place.postalCode,
          city: place.city,
        },
      ];
    })
    .sort((a, b) => a.starts_at.getTime() - b.starts_at.getTime());
  if (tickets.length === 0) throw notFound('tickets');
  const lang = order.language;
  const t = (key: string, params?: Record<string, string | number>) => translate(lang, key, params);
  const locale = localeOf(lang);

  const doc = new PDFDocument({
    size: PAGE,
    margin: MARGIN,
    autoFirstPage: false,
    compress: options.compress ?? true,
    info: { Title: `${t('tickets.pdf.title')} ${order.reference}` },
  });
  const done = pdfBytes(doc);
  const width = PAGE[0] - 2 * MARGIN;
  const label = (key: string, value: string) => {
    doc
      .font('Helvetica')
      .fontSize(7)
      .fillColor('#555555')
      .text(winAnsi(t(key)).toUpperCase(), { width });
    doc.font('Helvetica').fontSize(10).fillColor('#000000').text(winAnsi(value), { width });
    doc.moveDown(0.3);
  };

  for (const x of tickets) {
    const payload = await signTicket(db, { placeId: x.place_id, id: x.id, eventDateId: x.event_date_id });
    const where = x.at_venue
      ? [x.place_name, x.street, [x.postal_code, x.city].filter(Boolean).join(' ')]
      : [
          x.location_name || x.place_name,
          x.event_street,
          [x.event_postal_code, x.event_city].filter(Boolean).join(' '),
        ];
    doc.addPage();
    doc.font('Helvetica-Bold').fontSize(14).fillColor('#000000').text(winAnsi(x.title), { width });
    doc.moveDown(0.4);
    label(
      'tickets.pdf.date',
      x.starts_at.toLocaleString(locale, { timeZone: x.timezone, dateStyle: 'full', timeStyle: 'short' }),
    );
    label('tickets.pdf.place', where.filter(Boolean).join(', '));
    label('tickets.pdf.holder', x.holder_name);
    label('tickets.pdf.price', `${x.price_name} · ${formatEuros(x.unit_price_cents, lang)}`);
    label('tickets.pdf.order', order.reference);
    const top = Math.min(doc.y + 4, PAGE[1] - MARGIN - QR_SIZE - 26);
    drawQr(doc, payload, (PAGE[0] - QR_SIZE) / 2, top);
    // Cut into lines of equal length ourselves (Courier: 0.6 em a character): left to the line breaker,
    // the payload would wrap after a '-' of its base64url, which reads like a hyphenation at the door.
    const perLine = Math.floor(width / (5.5 * 0.6));
    const chunks = payload.match(new RegExp(`.{1,${perLine}}`, 'g')) ?? [payload];
    doc
      .font('Courier')
      .fontSize(5.5)
      .fillColor('#000000')
      .text(chunks.join('\n'), MARGIN, top + QR_SIZE + 4, { width, align: 'center' });
  }
  doc.end();
  return done;
}
