// The ticketing journey in a real browser (Debian's Chromium): a visitor finds an event on the
// agenda, buys two tickets and pays on the fake Stripe's hosted page, gets the tickets with their QR
// codes; then the door scans one of them twice: the second scan is refused.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ensurePerson } from '../../src/accounts/people.ts';
import { eventOnStripe } from '../../src/ticketing/testFixtures.ts';
import { FakeStripe } from '../fakes/fakeStripe.ts';
import type { TestNode } from '../harness.ts';
import { cspViolations, logInThroughMail, newVisitor, noChromium, useBrowserNode } from './browser.ts';

describe('buying tickets in a browser', { skip: noChromium }, () => {
  let t: TestNode;
  let fake: FakeStripe;
  let browser: Browser;
  let base: string;

  before(async () => {
    fake = await new FakeStripe().start();
  });
  after(async () => {
    await fake?.stop();
  });
  useBrowserNode(
    () => ({
      env: 'development',
      stripeSecretKey: 'sk_test_rezo',
      stripeWebhookSecret: fake.webhookSecret,
      stripeApiUrl: fake.apiUrl,
    }),
    (node) => {
      ({ t, browser, base } = node);
      fake.webhookUrl = `${base}/webhooks/stripe`;
    },
  );

  test('find the event on the agenda, buy two tickets through Stripe, and the door lets one in once', async () => {
    const ev = await eventOnStripe(
      t.db,
      { slug: 'salle-achat', capacity: 40 },
      { name: 'Plein tarif', kind: 'fixed', price: '15' },
    );
    const door = await ensurePerson(t.db, 'porte@achat.example', 'fr');
    await t.db
      .insertInto('place_members')
      .values({ place_id: ev.place.id, person_id: door.id, role: 'door' })
      .execute();

    const buyer = await newVisitor(browser, { width: 360, height: 740 });
    const page = await buyer.newPage();
    let code: string;
    try {
      await page.goto(`${base}/agenda`);
      await page.getByRole('link', { name: 'Concert' }).first().click();
      await page.getByRole('heading', { name: 'Billets' }).waitFor();
      await page.getByText('40 places restantes').waitFor();
      await page.getByLabel(/^Plein tarif/).selectOption('2');
      await page.getByLabel('Adresse e-mail *').fill('acheteuse@example.org');
      await page.getByLabel('Nom', { exact: true }).fill('Awa Acheteuse');
      await page.getByRole('button', { name: 'Réserver' }).click();
      // The fake Stripe's hosted page.
      await page.getByRole('heading', { name: 'Paiement de 30.00 EUR' }).waitFor();
      await page.getByRole('button', { name: 'Payer' }).click();
      await page.waitForURL(/\/orders\/[0-9a-f-]{36}\?payment=paid/);
      await page.getByText(/payée/).first().waitFor();
      const qrs = page.getByRole('img', { name: /QR code du billet/ });
      assert.equal(await qrs.count(), 2);
      code = (await page.locator('figure.qr figcaption').first().textContent())!.trim();
      assert.match(code, /^R1\./);
    } finally {
      await buyer.close();
    }
    const sold = await t.db
      .selectFrom('tickets')
      .select('id')
      .where('event_id', '=', ev.eventId)
      .where('status', '=', 'valid')
      .execute();
    assert.equal(sold.length, 2);

    const staff = await newVisitor(browser, { width: 360, height: 740 });
    const scanner = await staff.newPage();
    try {
      await logInThroughMail(scanner, base, 'porte@achat.example');
      await scanner.goto(`${base}/venues/salle-achat/scan/${ev.eventId}`);
      await scanner.locator('html[data-scanner="ready"]').waitFor();
      const result = scanner.locator('#scan-result');
      for (const expected of ['Valide', /^Déjà entré/]) {
        await scanner.getByLabel('Code du billet').fill(code);
        await scanner.getByLabel('Code du billet').press('Enter');
        await result.getByText(expected, typeof expected === 'string' ? { exact: true } : {}).waitFor();
      }
      assert.match((await result.getAttribute('class'))!, /\bko\b/);
    } finally {
      await staff.close();
    }
  });
  test('no page visited above broke its Content-Security-Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
