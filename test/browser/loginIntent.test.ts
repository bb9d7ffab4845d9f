// The intent survives login (issue 16 §5): a visitor who clicks "Adhérer" while logged out logs in by
// the mailed link and lands on the membership form — its validity dates and price shown before paying
// — not on the home or account page; the same for the event page's "Se connecter".
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { personActor, SYSTEM } from '../../src/access/actor.ts';
import { ensurePerson } from '../../src/accounts/people.ts';
import { createMembershipProduct } from '../../src/memberships/createMembershipProduct.ts';
import { createPlace } from '../../src/places/createPlace.ts';
import type { TestNode } from '../harness.ts';
import {
  cspViolations,
  logInFromLoginPage,
  newVisitor,
  noChromium,
  unlabelledControls,
  useBrowserNode,
} from './browser.ts';

describe('what a logged-out visitor wanted survives the login', { skip: noChromium }, () => {
  let t: TestNode;
  let browser: Browser;
  let base: string;
  useBrowserNode({ env: 'development' }, (node) => {
    ({ t, browser, base } = node);
  });

  test('"Adhérer" → login by link → back on the membership form, with its dates and price', async () => {
    const admin = await ensurePerson(t.db, 'admin@jardin.example', 'fr');
    await createPlace(
      t.db,
      SYSTEM,
      { slug: 'jardin', name: 'Le Jardin', modules: ['agenda', 'memberships'] },
      admin.id,
    );
    const product = await createMembershipProduct(t.db, personActor(admin.id), 'jardin', {
      name: 'Saison',
      validity_kind: 'calendar_year',
      price_kind: 'free',
      late_rule: 'next_year',
      late_from: '01/01',
    });
    const visitor = await newVisitor(browser, { width: 390, height: 844 });
    const page = await visitor.newPage();
    try {
      await page.goto(`${base}/venues/jardin`);
      await page.getByRole('link', { name: /Adhérer — Saison/ }).click();
      await page.waitForURL(/\/login\?next=/);
      await logInFromLoginPage(page, base, 'nouvelle@example.org');
      await page.waitForURL(`${base}/venues/jardin/memberships/${product.id}`);
      await page.getByRole('heading', { name: 'Adhérer : Saison' }).waitFor();
      const period = await page.locator('#membership-period').innerText();
      assert.match(period, /^Du \d{1,2}/);
      assert.match(period, /elle compte aussi pour toute l’année prochaine/);
      assert.deepEqual(await unlabelledControls(page), []);
      await page.getByRole('button', { name: 'Confirmer l’adhésion' }).click();
      await page.waitForURL(/\/account\?membership=active/);
    } finally {
      await visitor.close();
    }
    assert.deepEqual(cspViolations, []);
  });
});
