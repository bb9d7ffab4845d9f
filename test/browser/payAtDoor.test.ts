// "Payer sur place" in a real browser (Debian's Chromium): the venue's admin turns payment on site on,
// a visitor orders with "Payer sur place" and is told plainly that nothing is paid yet and until when,
// the door volunteer finds the order by name, takes a cheque and marks it paid, and the ticket is then
// valid at check-in. REZO_SCREENSHOTS=/some/dir saves the pages at 1366 and 390 px.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { signTicket } from '../../src/ticketing/ticketSignature.ts';
import { addTeamMember, eventOnSale } from '../../src/ticketing/testFixtures.ts';
import {
  cspViolations,
  logInThroughMail,
  lookAt as look,
  newVisitor,
  noChromium,
  useBrowserNode,
  type BrowserNode,
} from './browser.ts';

describe('paying at the door, in a browser', { skip: noChromium }, () => {
  // No online payment at all: the paid price is on sale only because the venue takes it at the door.
  const node = {} as BrowserNode;
  useBrowserNode({ env: 'development', demoPayments: false }, (started) => Object.assign(node, started));

  test('ordered with "Payer sur place", marked paid at the door, then valid at check-in', async () => {
    const { t, browser, base } = node;
    const ev = await eventOnSale(t.db, 'la-caisse', { name: 'Plein tarif', price: '15' });
    await addTeamMember(t.db, ev.place.id, 'benevole@example.org', 'door');

    // The venue's admin turns it on, on the event's ticketing page (a wrong value first).
    const adminContext = await newVisitor(browser, { width: 1366, height: 900 });
    const admin = await adminContext.newPage();
    try {
      await logInThroughMail(admin, base, 'admin@la-caisse.example');
      await admin.goto(`${base}/venues/la-caisse/admin/events/${ev.eventId}/tickets`);
      await admin.getByRole('heading', { name: 'Paiement sur place' }).waitFor();
      await admin.getByLabel('Accepter le paiement sur place').check();
      await admin.getByLabel(/Durée de réservation/).fill('deux jours');
      await admin.locator('form[action$="/on-site"]').getByRole('button', { name: 'Enregistrer' }).click();
      await admin.getByText('Nombre entier de 1 à 720 attendu.').last().waitFor();
      await look(admin, 'onsite-admin-422');
      await admin.getByLabel(/Durée de réservation/).fill('48');
      await admin.locator('form[action$="/on-site"]').getByRole('button', { name: 'Enregistrer' }).click();
      await admin.getByText('Paiement sur place enregistré.').waitFor();
      await admin.getByText(/Activé : commandes gardées 48 h au plus/).waitFor();
      await look(admin, 'onsite-admin-setting');
    } finally {
      await adminContext.close();
    }

    // A visitor logs in and orders two seats with "Payer sur place", on a phone.
    const buyerContext = await newVisitor(browser, { width: 390, height: 844 });
    const buyer = await buyerContext.newPage();
    let orderUrl = '';
    try {
      await buyer.goto(`${base}/events/la-caisse-concert`);
      await buyer.getByText(/connectez-vous pour choisir/).waitFor();
      await logInThroughMail(buyer, base, 'noe@example.org');
      await buyer.goto(`${base}/events/la-caisse-concert`);
      await buyer.getByLabel(/Plein tarif/).selectOption('2');
      await buyer.getByLabel('Nom', { exact: true }).fill('Noé Spectateur');
      await look(buyer, 'onsite-event-page');
      await buyer.getByRole('button', { name: 'Payer sur place' }).click();
      await buyer.getByRole('heading', { name: 'Réservée — pas encore payée' }).waitFor();
      await buyer.getByText(/Payez 30,00.€ .*avant le /).waitFor();
      await buyer.getByText('Passé ce délai, la commande est annulée et les places sont remises en vente.').waitFor();
      orderUrl = buyer.url();
      await look(buyer, 'onsite-order-unpaid');
    } finally {
      await buyerContext.close();
    }
    const orderId = orderUrl.split('/').pop()!;
    assert.match((await t.lastMailTo('noe@example.org'))!.subject, /à payer sur place avant le/);

    // The door volunteer finds the order by name, takes a cheque, marks it paid, then scans the ticket.
    const doorContext = await newVisitor(browser, { width: 1366, height: 900 });
    const page = await doorContext.newPage();
    try {
      await logInThroughMail(page, base, 'benevole@example.org');
      await page.goto(`${base}/venues/la-caisse/scan/${ev.eventId}`);
      await page.getByRole('link', { name: 'Commandes à payer sur place' }).click();
      await page.getByRole('heading', { name: 'À encaisser' }).waitFor();
      await page.getByLabel('Nom, référence ou adresse').fill('noé');
      await page.getByRole('button', { name: 'Chercher' }).click();
      const card = page.locator('.on-site-orders li', { hasText: 'Noé Spectateur' });
      await card.waitFor();
      await look(page, 'onsite-door-list');
      await card.getByLabel('Moyen de paiement').selectOption('cheque');
      await card.getByRole('button', { name: 'Marquer payé' }).click();
      await page.getByText(/payée : ses billets sont valables/).waitFor();
      await page.getByText('Aucune commande à encaisser.').waitFor();
      await look(page, 'onsite-door-marked');

      const ticket = await t.db
        .selectFrom('tickets')
        .selectAll()
        .where('order_id', '=', orderId)
        .orderBy('id')
        .executeTakeFirstOrThrow();
      const code = await signTicket(t.db, {
        placeId: ticket.place_id,
        id: ticket.id,
        eventDateId: ticket.event_date_id,
      });
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${base}/venues/la-caisse/scan/${ev.eventId}`);
      await page.locator('html[data-scanner="ready"]').waitFor();
      await page.getByLabel('Code du billet').fill(code);
      await page.getByLabel('Code du billet').press('Enter');
      await page.locator('#scan-result').getByText('Valide', { exact: true }).waitFor();
      await page.locator('#scan-result').getByText('Noé Spectateur · Plein tarif').waitFor();
    } finally {
      await doorContext.close();
    }
    const payment = await t.db
      .selectFrom('payments')
      .select(['status', 'method', 'provider'])
      .where('subject_id', '=', orderId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(payment, { status: 'paid', method: 'cheque', provider: 'on_site' });
    assert.deepEqual(cspViolations, []);
  });
});
