// "Pay at a counter" in a real browser (Debian's Chromium): the person at the bar opens their wallet,
// chooses the venue and the most it may take, and shows a QR code; the venue's till reads the code
// (here: jsQR in the page, as the scanner's fallback does) and is paid once with it. On a phone screen.
// REZO_SCREENSHOTS=/some/dir also saves the pages.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import jsqr from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { SYSTEM } from '../../src/access/actor.ts';
import { createApiKey } from '../../src/apikeys/createApiKey.ts';
import { ensureAccount } from '../../src/ledger/ensureAccount.ts';
import { createLedgerWorld, type LedgerWorld } from '../../src/ledger/testFixtures.ts';
import { uuidv7 } from '../../src/shared/ids.ts';
import { withKey, type TestNode } from '../harness.ts';
import { horizontalOverflow, newVisitor, noChromium, unlabelledControls, useBrowserNode } from './browser.ts';

describe('paying at a counter with a wallet code, in a browser', { skip: noChromium }, () => {
  let t: TestNode;
  let w: LedgerWorld;
  let browser: Browser;
  let base: string;

  useBrowserNode({ env: 'development' }, async (node) => {
    ({ t, browser, base } = node);
    w = await createLedgerWorld(t.db);
  });

  async function shot(page: Page, name: string) {
    const dir = process.env.REZO_SCREENSHOTS;
    if (!dir) return;
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
  }

  async function noSidewaysScroll(page: Page) {
    const { page: width, screen } = await horizontalOverflow(page);
    assert.ok(width <= screen, `${page.url()}: ${width} px wide on a ${screen} px screen`);
  }

  /** Logs in through the mailed link (read from the outbox), as the harness does for HTTP clients. */
  async function logIn(page: Page, email: string) {
    await page.goto(`${base}/login`);
    await page.getByLabel('Adresse e-mail').fill(email);
    await page.getByRole('button', { name: 'Recevoir le lien' }).click();
    await page.getByRole('heading', { name: 'Vérifiez vos courriels' }).waitFor();
    const link = /\/login\/[A-Za-z0-9_-]{43}/.exec((await t.lastMailTo(email))!.text)![0];
    await page.goto(`${base}${link}`);
    await page.getByRole('button', { name: 'Me connecter' }).click();
    await page.waitForURL(/\/account/);
  }

  /** What a till's camera reads: the pixels of the QR as the phone shows it, decoded by jsQR (the
   *  library the till uses). The page's CSP (img-src 'self') rightly forbids redrawing it from a
   *  data: URL inside the page, so the pixels come from a screenshot. */
  async function readQr(page: Page): Promise<string> {
    const shot = await page.locator('figure.qr svg').screenshot();
    const png = PNG.sync.read(shot);
    return jsqr.default(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? '';
  }

  test('on a phone: choose the venue and 20 €, show the code; the bar is paid once with it; next time one tap', async () => {
    const email = `bar-${uuidv7()}@example.org`;
    const context = await newVisitor(browser, { width: 390, height: 844 });
    const page = await context.newPage();
    try {
      await logIn(page, email);
      const me = await t.db.selectFrom('people').select('id').where('email', '=', email).executeTakeFirstOrThrow();
      const wallet = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'person', ownerRef: me.id });
      await w.fund(wallet.id, 5000);
      await page.goto(`${base}/wallet`);
      await page.getByRole('link', { name: 'Afficher mon code de paiement' }).click();
      await page.getByRole('heading', { name: 'Payer au comptoir' }).waitFor();
      assert.deepEqual(await unlabelledControls(page), []);
      await noSidewaysScroll(page);
      await page.getByLabel('Lieu').selectOption(w.venueB.slug);
      await shot(page, 'wallet-pay-choose-390');
      await page.getByRole('button', { name: '20 €' }).click();
      await page.getByRole('heading', { name: /^Payer à / }).waitFor();
      await page.getByText('Au plus 20,00').waitFor();
      await noSidewaysScroll(page);
      await shot(page, 'wallet-pay-code-390');
      const pass = await readQr(page);
      assert.ok(pass.length > 100, 'the QR code carries the pass');

      // The bar's integration takes 12,50 with it, once.
      const { secret } = await createApiKey(t.db, SYSTEM, { slug: w.venueB.slug, name: 'bar', scopes: ['till'] });
      const bar = await w.placeAccount(w.venueB.id, w.euro);
      const pay = (amount: number, holder: string) =>
        withKey(t.app, secret, 'POST', '/api/v1/transfers', {
          transfers: [{ id: uuidv7(), debitAccountId: wallet.id, creditAccountId: bar.id, amount, kind: 'payment' }],
          holder,
        });
      assert.equal((await pay(1250, pass)).statusCode, 201);
      assert.equal((await pay(100, pass)).statusCode, 409);

      // At the next round: the wallet's button shows a new code for the same venue and maximum at once.
      await page.goto(`${base}/wallet`);
      await page.getByRole('link', { name: 'Afficher mon code de paiement' }).click();
      await page.getByText('Au plus 20,00').waitFor();
      const next = await readQr(page);
      assert.notEqual(next, pass);
      assert.equal((await pay(2000, next)).statusCode, 201);
      await page.getByRole('link', { name: 'Autre lieu ou autre montant' }).click();
      await page.getByRole('heading', { name: 'Payer au comptoir' }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('the venue admin sets its refund limits on the Refunds page', async () => {
    const admin = await t.db
      .selectFrom('people')
      .select('email')
      .where('id', '=', w.adminA.personId)
      .executeTakeFirstOrThrow();
    const context = await newVisitor(browser, { width: 1366, height: 900 });
    const page = await context.newPage();
    try {
      await logIn(page, admin.email);
      await page.goto(`${base}/venues/${w.venueA.slug}/admin`);
      await page.getByRole('link', { name: 'Remboursements' }).click();
      await page.getByRole('heading', { level: 1, name: 'Remboursements et versements' }).waitFor();
      assert.deepEqual(await unlabelledControls(page), []);
      await page.getByLabel('Maximum par remboursement').fill('150');
      await page.getByLabel('Maximum sur 24 heures').fill('100');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.getByRole('alert').waitFor();
      await page.getByLabel('Maximum sur 24 heures').fill('600,00');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.getByRole('status').getByText('Les plafonds sont enregistrés.').waitFor();
      assert.equal(await page.getByLabel('Maximum par remboursement').inputValue(), '150,00');
      await shot(page, 'refunds-1366');
    } finally {
      await context.close();
    }
  });
});
