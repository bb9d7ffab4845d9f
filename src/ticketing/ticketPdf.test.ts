import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import jsqr from 'jsqr';
import QRCode from 'qrcode';
import { SMTPServer } from 'smtp-server';
import { createTestNode, type TestNode } from '../../test/harness.ts';
import { FakeStripe } from '../../test/fakes/fakeStripe.ts';
import { translate, type Language } from '../i18n/i18n.ts';
import { attachmentsOf as renderedAttachmentsOf } from '../mail/attachmentRenderers.ts';
import { uuidv7 } from '../shared/ids.ts';
import { confirmFreeOrder } from './confirmFreeOrder.ts';
import { payOrder } from './payOrder.ts';
import { placeOrder } from './placeOrder.ts';
import { eventOnStripe, eventSelling } from './testFixtures.ts';
import { ticketsPdf } from './ticketPdf.ts';
import { signTicket } from './ticketSignature.ts';
import { paymentOf } from '../payments/testFixtures.ts';

// jsqr is CommonJS with an ES default in its types: the function is its `default`.
const jsQR = jsqr.default;

/** Page objects of a PDF (not the /Pages tree). */
const pages = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type \/Page\b(?!s)/g) ?? []).length;
/** The text of an uncompressed pdfkit PDF: its standard fonts write hex strings of WinAnsi codes in TJ arrays, split at kerning pairs. */
const textOf = (pdf: Buffer) =>
  [...pdf.toString('latin1').matchAll(/\[([^\]]*)\] TJ/g)]
    .map((m) =>
      [...m[1]!.matchAll(/<([0-9a-f]*)>/gi)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''),
    )
    .join('\n');
const hasText = (pdf: Buffer, text: string) => textOf(pdf).includes(text);

/** Paints a page's squares (`x y w h re`, top-down as pdfkit writes them; the first is the QR's white background) at 3 px per point. */
function rasterise(content: string): [Uint8ClampedArray, number, number] {
  const scale = 3;
  const [w, h] = [298 * scale, 420 * scale];
  const pixels = new Uint8ClampedArray(w * h * 4).fill(255);
  const rects = [...content.matchAll(/([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re\n/g)]
    .slice(1)
    .map((m) => m.slice(1, 5).map(Number) as [number, number, number, number]);
  for (const [x, y, rw, rh] of rects) {
    for (let py = Math.round(y * scale); py < Math.round((y + rh) * scale); py++) {
      for (let px = Math.round(x * scale); px < Math.round((x + rw) * scale); px++)
        pixels.fill(0, (py * w + px) * 4, (py * w + px) * 4 + 3);
    }
  }
  return [pixels, w, h];
}

const mailsTo = (t: TestNode, email: string) =>
  t.db.selectFrom('mail_outbox').selectAll().where('to_address', '=', email).orderBy('created_at').execute();
/** The rows queued with a mail (the PDF is not rendered yet: it is made at delivery). */
const attachmentsOf = (t: TestNode, mailId: string) =>
  t.db.selectFrom('mail_attachments').selectAll().where('mail_id', '=', mailId).orderBy('position').execute();
/** The attachments as the delivery sends them: rendered now (and stored). */
const deliveredAttachmentsOf = (t: TestNode, mailId: string) => renderedAttachmentsOf(t.db, mailId);

describe('ticket PDF, confirmation mail and my tickets', () => {
  let t: TestNode;
  let fake: FakeStripe;
  before(async () => {
    fake = await new FakeStripe().start();
    t = await createTestNode({
      env: 'development',
      stripeSecretKey: 'sk_test_rezo',
      stripeWebhookSecret: fake.webhookSecret,
      stripeApiUrl: fake.apiUrl,
    });
  });
  after(async () => {
    await t.close();
    await fake.stop();
  });

  async function deliver(event: unknown) {
    const { payload, signature } = fake.signed(event);
    return t.app.inject({
      method: 'POST',
      url: '/webhooks/stripe',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload,
    });
  }

  /** A paid order of `quantity` tickets, paid through the fake Stripe; the webhook is delivered `deliveries` times. */
  async function paidOrder(
    slug: string,
    email: string,
    options: { quantity?: number; deliveries?: number; language?: Language } = {},
  ) {
    const ev = await eventOnStripe(
      t.db,
      { slug, capacity: 10 },
      { name: 'Plein tarif', kind: 'fixed', price: '12,50' },
    );
    const [priceId] = ev.priceIds;
    const placed = await placeOrder(t.db, t.config, null, {
      slug,
      email,
      name: 'Ada Lovelace',
      language: options.language ?? 'fr',
      lines: [{ priceId, eventDateId: ev.dateIds[0]!, quantity: options.quantity ?? 2 }],
    });
    await payOrder(t.db, t.node.stripe, t.config, null, placed.id);
    const payment = await paymentOf(t, placed.id);
    const event = fake.complete(payment.provider_session_id!);
    for (let i = 0; i < (options.deliveries ?? 1); i++) assert.equal((await deliver(event)).statusCode, 200);
    return { ...placed, ev, payment, event };
  }

  test('the PDF has one page per valid ticket with the reference, holder, price and signed payload', async () => {
    const order = await paidOrder('pdfpages', 'pages@example.org', { quantity: 3 });
    const pdf = await ticketsPdf(t.db, order.id, { compress: false });
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.equal(pages(pdf), 3);
    assert.ok(hasText(pdf, order.reference), 'the order reference is written on the ticket');
    assert.ok(hasText(pdf, 'Ada Lovelace'), 'the holder');
    assert.ok(hasText(pdf, 'Plein tarif'), 'the price name');
    assert.ok(hasText(pdf, 'Concert'), 'the event title');
    assert.ok(hasText(pdf, translate('fr', 'tickets.pdf.holder').toUpperCase()), 'labels in the order language');
    // The QR: one square per dark module of each ticket's signed payload, plus its white background.
    const all = await t.db
      .selectFrom('tickets')
      .select(['id', 'place_id', 'event_date_id'])
      .where('order_id', '=', order.id)
      .execute();
    let dark = 0;
    for (const x of all) {
      const payload = await signTicket(t.db, { placeId: x.place_id, id: x.id, eventDateId: x.event_date_id });
      assert.ok(textOf(pdf).replace(/\n/g, '').includes(payload), 'the payload is written under its QR (wrapped)');
      const { modules } = QRCode.create(payload, { errorCorrectionLevel: 'M' });
      dark += modules.data.reduce((n, bit) => n + bit, 0);
    }
    assert.equal((pdf.toString('latin1').match(/ re\n/g) ?? []).length, dark + all.length);
    // And it scans: the first page's squares, rasterised, decode to the first ticket's payload.
    const firstStream = /stream\n([\s\S]*?)endstream/.exec(pdf.toString('latin1'))![1]!;
    const scanned = jsQR(...rasterise(firstStream));
    assert.ok(scanned, 'the QR decodes');
    const payloads = await Promise.all(
      all.map((x) => signTicket(t.db, { placeId: x.place_id, id: x.id, eventDateId: x.event_date_id })),
    );
    assert.ok(payloads.includes(scanned.data), scanned.data);
    const ticket = await t.db
      .selectFrom('tickets')
      .select('id')
      .where('order_id', '=', order.id)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const idB64 = Buffer.from(ticket.id.replace(/-/g, ''), 'hex').toString('base64url');
    // Written under the QR in lines of equal length (cut by the PDF, never after a '-' of its own).
    const under = textOf(pdf).split('\n');
    assert.ok(under.join('').includes(`R1.${idB64}.`), 'the payload is written under the QR');
    assert.ok(
      payloads.every((p) => under.join('').includes(p)),
      'every payload is written in full',
    );

    // A cancelled ticket is not printed; with none left there is no PDF.
    await t.db.updateTable('tickets').set({ status: 'cancelled' }).where('id', '=', ticket.id).execute();
    assert.equal(pages(await ticketsPdf(t.db, order.id, { compress: false })), 2);
    await t.db.updateTable('tickets').set({ status: 'cancelled' }).where('order_id', '=', order.id).execute();
    await assert.rejects(ticketsPdf(t.db, order.id), (e: Error & { code?: string }) => e.code === 'not-found');
    await assert.rejects(ticketsPdf(t.db, uuidv7()), (e: Error & { code?: string }) => e.code === 'not-found');
    await assert.rejects(ticketsPdf(t.db, 'not-a-uuid'), (e: Error & { code?: string }) => e.code === 'not-found');
  });

  test('a webhook delivered twice queues one confirmation mail, in the order language, with the PDF attached', async () => {
    const order = await paidOrder('pdfmail', 'twice@example.org', { quantity: 2, deliveries: 2, language: 'en' });
    const mails = await mailsTo(t, 'twice@example.org');
    assert.equal(mails.length, 1, 'one mail for one order');
    const mail = mails[0]!;
    assert.equal(mail.language, 'en');
    assert.equal(
      mail.subject,
      translate('en', 'tickets.mail.subject', { reference: order.reference, place: 'Salle pdfmail' }),
    );
    assert.ok(mail.text_body.includes(`${t.config.baseUrl}/orders/${order.id}`), mail.text_body);
    const queued = await attachmentsOf(t, mail.id);
    assert.equal(queued.length, 1);
    assert.equal(queued[0]!.bytes, null, 'not rendered in the transaction that confirmed the payment');
    assert.deepEqual([queued[0]!.render, queued[0]!.render_ref], ['tickets.order-pdf', order.id]);
    const files = await deliveredAttachmentsOf(t, mail.id);
    assert.equal(files.length, 1);
    assert.equal(files[0]!.filename, `tickets-${order.reference}.pdf`);
    assert.equal(files[0]!.contentType, 'application/pdf');
    const bytes = files[0]!.bytes;
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.equal(pages(bytes), 2);
    // Rendered once and kept: a second delivery attempt sends the same bytes.
    const stored = await attachmentsOf(t, mail.id);
    assert.ok(stored[0]!.bytes && Buffer.from(stored[0]!.bytes).equals(bytes));
    assert.ok((await deliveredAttachmentsOf(t, mail.id))[0]!.bytes.equals(bytes));
    assert.equal((await t.db.selectFrom('tickets').select('id').where('order_id', '=', order.id).execute()).length, 2);

    const dev = await t.app.inject('/dev/mail');
    assert.equal(dev.statusCode, 200);
    assert.ok(dev.body.includes(`tickets-${order.reference}.pdf`), '/dev/mail names the attachment');
  });

  test('tickets cancelled before the mail leaves are not in its PDF; with none left the mail goes without a file', async () => {
    const order = await paidOrder('pdflate', 'cancelled-before@example.org', { quantity: 2 });
    const [mail] = await mailsTo(t, 'cancelled-before@example.org');
    const first = await t.db
      .selectFrom('tickets')
      .select('id')
      .where('order_id', '=', order.id)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    await t.db.updateTable('tickets').set({ status: 'cancelled' }).where('id', '=', first.id).execute();
    const other = await paidOrder('pdflate2', 'cancelled-all@example.org', { quantity: 1 });
    const [otherMail] = await mailsTo(t, 'cancelled-all@example.org');
    await t.db.updateTable('tickets').set({ status: 'cancelled' }).where('order_id', '=', other.id).execute();
    const files = await deliveredAttachmentsOf(t, mail!.id);
    assert.equal(pages(files[0]!.bytes), 1);
    assert.deepEqual(await deliveredAttachmentsOf(t, otherMail!.id), []);
    assert.equal((await attachmentsOf(t, otherMail!.id))[0]!.bytes, null, 'nothing stored when nothing was rendered');
  });

  test('a payment that cannot be applied (order cancelled meanwhile) sends no confirmation', async () => {
    const ev = await eventOnStripe(
      t.db,
      { slug: 'pdfnone', capacity: 10 },
      { name: 'Plein tarif', kind: 'fixed', price: '5' },
    );
    const [priceId] = ev.priceIds;
    const placed = await placeOrder(t.db, t.config, null, {
      slug: 'pdfnone',
      email: 'late@example.org',
      name: 'Late',
      language: 'fr',
      lines: [{ priceId, eventDateId: ev.dateIds[0]!, quantity: 1 }],
    });
    await payOrder(t.db, t.node.stripe, t.config, null, placed.id);
    await t.db.updateTable('orders').set({ status: 'cancelled' }).where('id', '=', placed.id).execute();
    const payment = await paymentOf(t, placed.id);
    assert.equal((await deliver(fake.complete(payment.provider_session_id!))).statusCode, 200);
    assert.equal((await mailsTo(t, 'late@example.org')).length, 0);
  });

  test('a free booking confirmed by its link gets the confirmation with its PDF too, once', async () => {
    const ev = await eventSelling(t.db, { slug: 'pdffree', capacity: 5 }, { name: 'Entrée libre', kind: 'free' });
    const [priceId] = ev.priceIds;
    const placed = await placeOrder(t.db, t.config, null, {
      slug: 'pdffree',
      email: 'free@example.org',
      name: 'Grace',
      language: 'fr',
      lines: [{ priceId, eventDateId: ev.dateIds[0]!, quantity: 1 }],
    });
    const token = /\/orders\/confirm\/([A-Za-z0-9_-]{43})/.exec((await t.lastMailTo('free@example.org'))!.text)![1]!;
    await confirmFreeOrder(t.db, t.config, token);
    await confirmFreeOrder(t.db, t.config, token);
    const mails = await mailsTo(t, 'free@example.org');
    assert.equal(mails.length, 2, 'the booking link, then one confirmation');
    assert.equal(
      mails[1]!.subject,
      translate('fr', 'tickets.mail.subject', { reference: placed.reference, place: 'Salle pdffree' }),
    );
    const files = await deliveredAttachmentsOf(t, mails[1]!.id);
    assert.equal(files.length, 1);
    assert.equal(pages(files[0]!.bytes), 1);
    assert.equal((await attachmentsOf(t, mails[0]!.id)).length, 0, 'the booking link carries no file');
  });

  test('my tickets lists the paid orders of the person (by account or address), and the PDF downloads with the order id', async () => {
    const order = await paidOrder('pdfmine', 'mine@example.org', { quantity: 1 });
    const me = await t.loginAs('Mine@Example.org');
    const account = await me.get('/account');
    assert.equal(account.statusCode, 200);
    assert.ok(
      account.body.includes(translate('fr', 'tickets.mine.title')) ||
        account.body.includes(translate('en', 'tickets.mine.title')),
    );
    assert.ok(account.body.includes(`href="/orders/${order.id}"`), 'a link to the order');
    assert.ok(account.body.includes(`href="/orders/${order.id}/tickets.pdf"`), 'a link to the PDF');
    assert.ok(account.body.includes(order.reference));

    const other = await t.loginAs('someone-else@example.org');
    const theirs = await other.get('/account');
    assert.equal(theirs.statusCode, 200);
    assert.ok(!theirs.body.includes(order.id), 'nobody else sees the order in their account');

    const download = await me.get(`/orders/${order.id}/tickets.pdf`);
    assert.equal(download.statusCode, 200);
    assert.match(String(download.headers['content-type']), /^application\/pdf/);
    assert.match(String(download.headers['content-disposition']), /attachment; filename="billets-/);
    assert.equal(download.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');

    // The id is the access, as for the order page: whoever holds it downloads (the buyer may forward
    // it); a guessed id finds nothing, a malformed one neither.
    assert.equal((await other.get(`/orders/${order.id}/tickets.pdf`)).statusCode, 200);
    assert.equal((await other.get(`/orders/${uuidv7()}/tickets.pdf`)).statusCode, 404);
    assert.equal((await other.get('/orders/1234/tickets.pdf')).statusCode, 404);
    assert.equal((await t.client().get(`/orders/${uuidv7()}/tickets.pdf`)).statusCode, 404);
  });

  test('a pending order has no PDF and is not listed', async () => {
    const ev = await eventSelling(
      t.db,
      { slug: 'pdfpending', capacity: 10 },
      { name: 'Plein tarif', kind: 'fixed', price: '5' },
    );
    const [priceId] = ev.priceIds;
    const placed = await placeOrder(t.db, t.config, null, {
      slug: 'pdfpending',
      email: 'pending@example.org',
      name: 'P',
      language: 'fr',
      lines: [{ priceId, eventDateId: ev.dateIds[0]!, quantity: 1 }],
    });
    assert.equal((await t.client().get(`/orders/${placed.id}/tickets.pdf`)).statusCode, 404);
    const me = await t.loginAs('pending@example.org');
    const account = await me.get('/account');
    assert.ok(!account.body.includes(placed.id));
    assert.ok(
      account.body.includes(translate('fr', 'tickets.mine.none')) ||
        account.body.includes(translate('en', 'tickets.mine.none')),
    );
  });
});

describe('the confirmation over SMTP', () => {
  const received: string[] = [];
  let arrived: (() => void) | null = null;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString('latin1')));
      stream.on('end', () => {
        received.push(raw);
        arrived?.();
        callback();
      });
    },
  });
  let t: TestNode;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.server.address() as { port: number }).port;
    t = await createTestNode({
      env: 'production',
      smtpUrl: `smtp://127.0.0.1:${port}`,
      mailFrom: 'Rezo Test <rezo@example.org>',
    });
  });
  after(async () => {
    await t.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('the mail goes out with the PDF as an application/pdf attachment', async () => {
    const ev = await eventSelling(t.db, { slug: 'smtppdf', capacity: 5 }, { name: 'Entrée libre', kind: 'free' });
    const [priceId] = ev.priceIds;
    const placed = await placeOrder(t.db, t.config, null, {
      slug: 'smtppdf',
      email: 'smtp@example.org',
      name: 'Grace',
      language: 'fr',
      lines: [{ priceId, eventDateId: ev.dateIds[0]!, quantity: 2 }],
    });
    const token = /\/orders\/confirm\/([A-Za-z0-9_-]{43})/.exec((await t.lastMailTo('smtp@example.org'))!.text)![1]!;
    await confirmFreeOrder(t.db, t.config, token);
    for (let i = 0; i < 100 && received.length < 2; i++) {
      await t.node.mail.flush();
      if (received.length < 2)
        await new Promise<void>((resolve) => {
          arrived = resolve;
          setTimeout(resolve, 50);
        });
    }
    assert.equal(received.length, 2, 'the booking link and the confirmation');
    const raw = received.find((r) => r.includes('application/pdf'));
    assert.ok(raw, 'one mail carries a PDF');
    assert.match(raw, new RegExp(`filename="?billets-${placed.reference}\\.pdf`));
    const part = raw.split(/\r\n\r\n/).find((_p, i, all) => /application\/pdf/i.test(all[i - 1] ?? ''));
    const pdf = Buffer.from(part!.split(/\r\n--/)[0]!.replace(/\s+/g, ''), 'base64');
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    const rows = await t.db
      .selectFrom('mail_outbox')
      .select('status')
      .where('to_address', '=', 'smtp@example.org')
      .execute();
    assert.deepEqual(
      rows.map((r) => r.status),
      ['sent', 'sent'],
    );
  });
});
