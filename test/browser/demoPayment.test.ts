// Buying a ticket with the demo payment provider in a real browser (Debian's Chromium): a node in
// development without Stripe; the visitor chooses tickets, lands on the node's own "Paiement de
// démonstration — aucun argent réel" page, cancels once, tries again and pays: the tickets are issued;
// and a logged-in buyer pays with the Rezo wallet.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { createTicketPrice } from '../../src/ticketing/createTicketPrice.ts';
import { eventSelling } from '../../src/ticketing/testFixtures.ts';
import type { TestNode } from '../harness.ts';
import { sql } from 'kysely';
import { createLedgerWorld } from '../../src/ledger/testFixtures.ts';
import { uuidv7 } from '../../src/shared/ids.ts';
import {
  cspViolations,
  logInThroughMail,
  newVisitor,
  noChromium,
  unlabelledControls,
  useBrowserNode,
} from './browser.ts';

describe('buying a ticket with the demo payment in a browser', { skip: noChromium }, () => {
  let t: TestNode;
  let browser: Browser;
  let base: string;

  useBrowserNode({ env: 'development', demoPayments: true }, (node) => ({ t, browser, base } = node));

  test('cancel on the demo page, then pay: two tickets with their QR codes', async () => {
    const ev = await eventSelling(
      t.db,
      { slug: 'salle-demo', capacity: 40 },
      { name: 'Plein tarif', kind: 'fixed', price: '15' },
    );
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

  test('a logged-in buyer pays with the Rezo wallet: the ticket is issued and the wallet debited', async () => {
    const world = await createLedgerWorld(t.db);
    await t.db
      .updateTable('places')
      .set({ modules: ['agenda', 'ticketing'] } as never)
      .where('id', '=', world.venueA.id)
      .execute();
    const eventId = uuidv7();
    await t.db
      .insertInto('events')
      .values({
        place_id: world.venueA.id,
        id: eventId,
        slug: 'concert-portefeuille',
        title: 'Concert au portefeuille',
        state: 'published',
        visibility: 'public',
        capacity: 20,
      } as never)
      .execute();
    await t.db
      .insertInto('event_dates')
      .values({
        place_id: world.venueA.id,
        event_id: eventId,
        id: uuidv7(),
        starts_at: sql<Date>`now() + interval '7 days'`,
        timezone: 'Indian/Reunion',
      } as never)
      .execute();
    await createTicketPrice(t.db, world.adminA, {
      slug: world.venueA.slug,
      eventId,
      name: 'Plein tarif',
      kind: 'fixed',
      price: '12',
    });
    const buyer = await world.person();
    await world.fund(buyer.euro.id, 3000);
    const context = await newVisitor(browser, { width: 360, height: 740 });
    const page = await context.newPage();
    try {
      await logInThroughMail(page, base, buyer.email);
      await page.goto(`${base}/events/concert-portefeuille`);
      await page.getByRole('heading', { name: 'Billets' }).waitFor();
      await page.getByLabel(/^Plein tarif/).selectOption('1');
      await page.getByRole('button', { name: 'Payer avec mon portefeuille Rezo' }).click();
      await page.waitForURL(/\/orders\/[0-9a-f-]{36}\?payment=paid/);
      assert.equal(await page.getByRole('img', { name: /QR code du billet/ }).count(), 1);
      await page.goto(`${base}/wallet`);
      await page.getByText('18,00').first().waitFor();
    } finally {
      await context.close();
    }
  });

  test('no page visited above broke its Content-Security-Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
