// Buying a ticket with the demo payment provider in a real browser (Debian's Chromium): a node in
// development without Stripe; the visitor chooses tickets, lands on the node's own "Paiement de
// démonstration — aucun argent réel" page, cancels once, tries again and pays: the tickets are issued.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createTicketPrice } from '../../src/ticketing/createTicketPrice.ts';
import { eventWithDates } from '../../src/ticketing/testFixtures.ts';
import { createTestNode, type TestNode } from '../harness.ts';
import { cspViolations, freePort, launchBrowser, newVisitor, noChromium, unlabelledControls } from './browser.ts';

describe('buying a ticket with the demo payment in a browser', { skip: noChromium }, () => {
  let t: TestNode;
  let browser: Browser;
  let base: string;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await createTestNode({ env: 'development', baseUrl: base, demoPayments: true });
    await t.app.listen({ host: '127.0.0.1', port });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  test('cancel on the demo page, then pay: two tickets with their QR codes', async () => {
    const ev = await eventWithDates(t.db, { slug: 'salle-demo', capacity: 40 });
    await createTicketPrice(t.db, ev.admin, {
      slug: 'salle-demo',
      eventId: ev.eventId,
      name: 'Plein tarif',
      kind: 'fixed',
      price: '15',
    });
    const buyer = await newVisitor(browser, { width: 360, height: 740 });
    const page = await buyer.newPage();
    try {
      const order = async () => {
        await page.goto(`${base}/events/salle-demo-concert`);
        await page.getByRole('heading', { name: 'Billets' }).waitFor();
        await page.getByLabel(/^Plein tarif/).selectOption('2');
        await page.getByLabel('Adresse e-mail *').fill('demo-acheteuse@example.org');
        await page.getByLabel('Nom', { exact: true }).fill('Awa Démo');
        await page.getByRole('button', { name: 'Réserver' }).click();
        await page.getByRole('heading', { name: 'Paiement de démonstration — aucun argent réel' }).waitFor();
        await page.getByText('30,00').waitFor();
        assert.deepEqual(await unlabelledControls(page), []);
      };
      await order();
      await page.getByRole('button', { name: 'Annuler' }).click();
      await page.waitForURL(/\/orders\/[0-9a-f-]{36}\?payment=expired/);
      await order();
      await page.getByRole('button', { name: 'Payer' }).click();
      await page.waitForURL(/\/orders\/[0-9a-f-]{36}\?payment=paid/);
      await page.getByText(/payée/).first().waitFor();
      assert.equal(await page.getByRole('img', { name: /QR code du billet/ }).count(), 2);
    } finally {
      await buyer.close();
    }
    const payments = await t.db
      .selectFrom('payments')
      .select(['provider', 'status'])
      .where('place_id', '=', ev.place.id)
      .orderBy('created_at')
      .execute();
    assert.deepEqual(
      payments.map((p) => `${p.provider}:${p.status}`),
      ['demo:expired', 'demo:paid'],
    );
  });

  test('no page visited above broke its Content-Security-Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
