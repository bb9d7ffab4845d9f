// Settlement as a treasurer and a venue admin meet it, in Debian's Chromium, on the demo territory:
// the federation's page, a past run, a statement paid by SEPA from its form, a statement to receive,
// a new run up to now, the venue's own statements and the transparency page — at 1366 px and 390 px,
// every control named, nothing scrolling sideways. REZO_SCREENSHOTS=/some/dir saves each page.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestNode } from '../harness.ts';
import { loadDemo } from '../../src/demo/loadDemo.ts';
import {
  horizontalOverflow,
  logInThroughMail,
  newVisitor,
  noChromium,
  unlabelledControls,
  useBrowserNode,
} from './browser.ts';

describe('settlement in a browser', { skip: noChromium }, () => {
  let t: TestNode;
  let browser: Browser;
  let base: string;

  useBrowserNode({ env: 'development' }, async (node) => {
    ({ t, browser, base } = node);
    assert.equal(await loadDemo(t.db, t.config), true);
  });

  const shots = process.env.REZO_SCREENSHOTS;
  const problems: string[] = [];
  /** Checks the page as a person would meet it, and saves it when asked. */
  async function review(page: Page, name: string, width: number) {
    assert.deepEqual(await unlabelledControls(page), [], `every control of ${page.url()} has an accessible name`);
    const size = await horizontalOverflow(page);
    if (size.page > size.screen) problems.push(`${name} at ${width} px is ${size.page} px wide`);
    const small = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('main button:not(.link), main a.button')]
        .map((el) => ({ what: el.textContent?.trim(), height: Math.round(el.getBoundingClientRect().height) }))
        .filter((b) => b.height < 44),
    );
    for (const b of small) problems.push(`${name} at ${width} px: “${b.what}” is ${b.height} px high`);
    if (shots) await page.screenshot({ path: join(shots, `settlement-${name}-${width}.png`), fullPage: true });
  }

  test('a treasurer reads the federation, pays a venue by SEPA, sees what a venue owes, runs a new period', async () => {
    if (shots) await mkdir(shots, { recursive: true });
    for (const width of [1366, 390]) {
      const context = await newVisitor(browser, { width, height: width > 500 ? 900 : 844 });
      const page = await context.newPage();
      try {
        await logInThroughMail(page, base, 'tresorerie@demo.rezo.test');
        await page.getByRole('link', { name: 'Réseau des lieux de La Réunion' }).click();
        await page.getByRole('heading', { name: /Règlement — Réseau des lieux/ }).waitFor();
        await page.getByRole('listitem').filter({ hasText: 'La Fabrik' }).waitFor();
        await review(page, 'federation', width);

        await page.getByRole('table', { name: 'Règlements faits' }).getByRole('link').first().click();
        await page.getByRole('heading', { name: 'Relevés du règlement' }).waitFor();
        await review(page, 'run', width);

        // The statement still to pay (La Fabrik): paid by SEPA from its form, once.
        await page.getByRole('listitem').filter({ hasText: 'La Fabrik' }).getByRole('link').click();
        await page.getByRole('heading', { name: /Relevé .* La Fabrik/ }).waitFor();
        await page.getByText('Signature vérifiée').waitFor();
        if (width === 1366) {
          await review(page, 'statement-to-pay', width);
          await page.getByLabel('Référence du virement').fill('VIR-2026-0042');
          await page.getByRole('button', { name: 'Enregistrer le virement' }).click();
          await page.getByText(/Payé au lieu : .* \(référence VIR-2026-0042\)/).waitFor();
          assert.equal(await page.getByRole('button', { name: 'Enregistrer le virement' }).count(), 0);
        }
        await review(page, 'statement-paid', width);

        // A venue that collected more cash than it is owed: the page says it must transfer.
        await page.goBack();
        await page.goBack();
        await page.getByRole('listitem').filter({ hasText: 'Festival du Lagon' }).getByRole('link').click();
        await page.getByText(/Le lieu doit virer .* à la fédération/).waitFor();
        await review(page, 'statement-to-receive', width);

        if (width === 1366) {
          await page.goto(`${base}/settlement/reseau-reunion`);
          await page.getByLabel('Jusqu’à maintenant').check();
          await page.getByRole('button', { name: 'Faire le règlement' }).click();
          await page.getByRole('heading', { name: 'Relevés du règlement' }).waitFor();
          await page.getByText(/Règlement terminé le/).waitFor();
        }
      } finally {
        await context.close();
      }
    }
    assert.deepEqual(problems, []);
  });

  test('a venue admin reads its statements and their signed PDF; everyone reads the reserve', async () => {
    for (const width of [1366, 390]) {
      const context = await newVisitor(browser, { width, height: 844 });
      const page = await context.newPage();
      try {
        await logInThroughMail(page, base, 'marie@demo.rezo.test');
        await page.goto(`${base}/venues/la-fabrik/admin/settlement`);
        await page.getByRole('heading', { name: 'Règlement avec la fédération' }).waitFor();
        await page
          .getByRole('link', { name: /reseau-reunion-0000/ })
          .first()
          .waitFor();
        await review(page, 'venue', width);
        const pdf = await page.request.get(
          `${base}${await page.getByRole('link', { name: 'PDF' }).first().getAttribute('href')}`,
        );
        assert.equal(pdf.headers()['content-type'], 'application/pdf');
        await page.goto(`${base}/transparency`);
        await page.getByText('La réserve couvre tout').waitFor();
        await review(page, 'transparency', width);
      } finally {
        await context.close();
      }
    }
    assert.deepEqual(problems, []);
  });
});
