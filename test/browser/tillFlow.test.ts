// The till's flow at the counter, on a phone (issue 16 §3): answers that close by themselves (a refusal
// too, later, and at a tap), a cash sale kept offline told calmly, "Carte" unusable offline, banknotes
// giving the change, one-tap top-up amounts, a card's currencies usable here and not, the cancel dialog
// saying what it cancels and what happens, and a card sale without answer that does not hold up cash.
// (A card taken by its printed number and by its QR code at phone size: test/browser/till.test.ts.)
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { createPairingCode } from '../../src/till/createPairingCode.ts';
import { createTillWorld, type TestCard, type TillWorld } from '../../src/till/testFixtures.ts';
import type { TestNode } from '../harness.ts';
import { cspViolations, newVisitor, noChromium, useBrowserNode } from './browser.ts';

const PHONE = { width: 390, height: 844 };
const money = (cents: number) =>
  new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100).replace(/\s/g, ' ');
const flat = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();
/** A banknote's or a preset's label: "5 €". */
const note = (cents: number) => money(cents).replace(',00', '');
const FOUR_NOTES = [500, 1000, 2000, 5000].map(note);
/** The labels of the buttons in a group, in order. */
const labels = async (group: Locator) => (await group.getByRole('button').allTextContents()).map(flat);

/** REZO_SCREENSHOTS=/dir: the screen as it is now, at 1366 px and at the phone's 390 px. */
async function shoot(page: Page, name: string) {
  const dir = process.env.REZO_SCREENSHOTS;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  for (const width of [1366, PHONE.width]) {
    await page.setViewportSize({ width, height: width === PHONE.width ? PHONE.height : 768 });
    await page.screenshot({ path: join(dir, `till-flow-${name}-${width}.png`) });
  }
}

describe('the till at the counter, on a phone', { skip: noChromium }, () => {
  let t: TestNode;
  let browser: Browser;
  let base: string;
  let w: TillWorld;
  useBrowserNode({ env: 'development' }, (node) => ({ t, browser, base } = node));
  before(async () => {
    w = await createTillWorld(t.db);
  });

  /** A phone paired as a till of the venue, opened by the cashier's card, on the bar's point of sale. */
  async function tillOnPhone(name: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await newVisitor(browser, PHONE);
    const page = await context.newPage();
    const { code } = await createPairingCode(t.db, w.ledger.adminA, { placeId: w.placeId, kind: 'till', name });
    await page.goto(`${base}/till?code=${code}`);
    await page.getByRole('button', { name: 'Associer' }).click();
    await page.locator('html[data-till="open"]').waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'till-wedge');
    await page.keyboard.type(w.cashier.card.uid);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Bar', exact: true }).click();
    await page.locator('html[data-till="sale"]').waitFor();
    return { context, page };
  }
  /** `run` on a till of its own, closed after it whatever happens. */
  async function atTill(name: string, run: (page: Page, context: BrowserContext) => Promise<void>) {
    const { context, page } = await tillOnPhone(name);
    try {
      await run(page, context);
    } finally {
      await context.close();
    }
  }
  /** A new anonymous card holding `cents` euro tokens. */
  async function customerWith(cents: number) {
    const card = await w.newCard();
    if (cents > 0) await w.fund(card, w.euro, cents);
    return card;
  }
  /**
   * A network that loses every card sale — after the server got it (`reached`) or before — and every
   * question about a sale (GET /api/v1/till/sales/{id}) until `answerQuestions`.
   */
  async function loseCardSales(page: Page, reached: boolean) {
    let questions = false;
    await page.route('**/api/v1/till/sales**', async (route) => {
      const request = route.request();
      if (request.method() === 'POST' && /"method":"card"/.test(request.postData() ?? '')) {
        if (reached) await route.fetch();
        return route.abort();
      }
      if (request.method() === 'GET' && !questions) return route.abort();
      return route.continue();
    });
    return {
      answerQuestions: () => {
        questions = true;
      },
    };
  }
  /** A beer paid by card whose answer is lost (see `loseCardSales`): the till says it is not confirmed. */
  async function beerWithoutAnswer(page: Page, customer: TestCard, reached: boolean) {
    const network = await loseCardSales(page, reached);
    await beer(page).click();
    await typeCard(page, customer);
    await page.locator('#till-result[data-kind="warn"]').waitFor();
    return network;
  }
  const result = (page: Page) => page.locator('#till-result');
  const resultText = async (page: Page) => flat(await result(page).textContent());
  const dialog = (page: Page) => page.getByRole('dialog');
  async function typeCard(page: Page, card: TestCard) {
    await page.getByLabel('Taper un numéro de carte').fill(card.number);
    await page.getByLabel('Taper un numéro de carte').press('Enter');
  }
  const beer = (page: Page) => page.getByRole('button', { name: /^sale / });
  async function payExactCash(page: Page) {
    await page.getByRole('button', { name: 'Espèces', exact: true }).click();
    await dialog(page).getByRole('button', { name: 'Compte juste' }).click();
    await dialog(page)
      .getByRole('button', { name: /^Encaisser/ })
      .click();
  }
  const salesAtBar = async () =>
    (
      await t.db
        .selectFrom('till_sales')
        .select(['id', 'total_cents', 'reverses_sale_id'])
        .where('point_id', '=', w.pointId)
        .orderBy('created_at')
        .execute()
    ).map((s) => ({ ...s, total_cents: Number(s.total_cents) }));

  test('banknotes give the change; answers close by themselves, a refusal later, a tap at once', async () => {
    await atTill('Téléphone billets', async (page) => {
      await beer(page).click();
      await page.getByRole('button', { name: 'Espèces', exact: true }).click();
      // A 3,50 € beer: every note from 5 € up, and "exact amount".
      const notes = dialog(page).getByRole('group', { name: 'Billets donnés par le client' });
      assert.deepEqual(await labels(notes), [...FOUR_NOTES, 'Compte juste']);
      await notes.getByRole('button', { name: note(2000) }).click();
      assert.equal(flat(await dialog(page).locator('.till-change').textContent()), `À rendre : ${money(1650)}`);
      await shoot(page, 'banknotes');
      await dialog(page)
        .getByRole('button', { name: /^Encaisser/ })
        .click();
      await page.locator('#till-result[data-kind="ok"]').waitFor();
      assert.match(await resultText(page), new RegExp(`Payé ${money(350)}`));
      assert.match(await resultText(page), new RegExp(`Rendre ${money(1650)}`));
      // Green goes away by itself (5 s), with nobody touching the till.
      const shown = Date.now();
      await result(page).waitFor({ state: 'hidden', timeout: 8000 });
      assert.ok(Date.now() - shown >= 3500, 'long enough to be seen');
      assert.deepEqual((await salesAtBar()).at(-1)?.total_cents, 350);

      // A refusal (a blocked card) is read, then goes away too — later than green.
      const blocked = await w.newCard({ blocked: true });
      await typeCard(page, blocked);
      await page.locator('#till-result[data-kind="ko"]').waitFor();
      assert.match(await resultText(page), /Carte bloquée/);
      const refusedAt = Date.now();
      await page.waitForTimeout(6000);
      assert.ok(await result(page).isVisible(), 'a refusal stays longer than a green answer');
      await result(page).waitFor({ state: 'hidden', timeout: 8000 });
      assert.ok(Date.now() - refusedAt >= 9000);
      // A tap anywhere on it closes it at once.
      await typeCard(page, blocked);
      await page.locator('#till-result[data-kind="ko"]').waitFor();
      await page.locator('#till-result .till-result-big').click();
      await result(page).waitFor({ state: 'hidden', timeout: 1000 });
    });
  });

  test('a top-up at one tap: 5, 10, 20 or 50 €, then the card', async () => {
    const customer = await w.newCard();
    await atTill('Téléphone recharge', async (page) => {
      await page.getByRole('button', { name: /^top_up / }).click();
      const presets = dialog(page).getByRole('group', { name: 'Montants courants' });
      assert.deepEqual(await labels(presets), FOUR_NOTES);
      await shoot(page, 'top-up-presets');
      await presets.getByRole('button', { name: note(2000) }).click();
      await dialog(page).waitFor({ state: 'hidden' });
      assert.equal(flat(await page.locator('#till-total').textContent()), money(2000));
      await page.getByRole('button', { name: 'Espèces', exact: true }).click();
      await page.getByText('Cette vente demande une carte : passez la carte du client').waitFor();
      await typeCard(page, customer);
      await dialog(page)
        .getByRole('button', { name: note(5000) })
        .click();
      assert.equal(flat(await dialog(page).locator('.till-change').textContent()), `À rendre : ${money(3000)}`);
      await dialog(page)
        .getByRole('button', { name: /^Encaisser/ })
        .click();
      await page.locator('#till-result[data-kind="ok"]').waitFor();
      assert.match(await resultText(page), new RegExp(`Rendre ${money(3000)}`));
      assert.equal(await w.balance(customer, w.euro), 2000);
    });
  });

  test('a card’s balances: the currencies usable here, and those that are not', async () => {
    const customer = await customerWith(750);
    await w.fund(customer, w.otherGift, 300);
    await atTill('Téléphone soldes', async (page) => {
      await typeCard(page, customer);
      await page.locator('#till-result[data-kind="info"]').waitFor();
      const listAfter = (heading: string) =>
        result(page)
          .getByRole('heading', { name: heading, exact: true })
          .locator('xpath=following-sibling::ul[1]')
          .textContent()
          .then(flat);
      assert.match(await listAfter('Utilisable ici'), new RegExp(`7,50 ${w.euro.code}`));
      assert.doesNotMatch(await listAfter('Utilisable ici'), new RegExp(w.otherGift.code));
      assert.match(await listAfter('Pas utilisable ici'), new RegExp(`3,00 ${w.otherGift.code} — Other gift`));
      assert.doesNotMatch(await listAfter('Pas utilisable ici'), new RegExp(w.euro.code));
      await shoot(page, 'balances');
    });
  });

  test('cancelling the last sale says which sale, and what happens to the money', async () => {
    const customer = await customerWith(1000);
    await atTill('Téléphone annulation', async (page) => {
      const { timezone } = await t.db
        .selectFrom('places')
        .select('timezone')
        .where('id', '=', w.placeId)
        .executeTakeFirstOrThrow();
      const beerName = flat(await beer(page).locator('.till-article-name').textContent());
      // Two beers by card.
      await beer(page).click();
      await beer(page).click();
      await typeCard(page, customer);
      await page.locator('#till-result[data-kind="ok"]').waitFor();
      await page.locator('#till-result .till-result-big').click();
      const sold = (await salesAtBar()).at(-1)!;
      const { created_at } = await t.db
        .selectFrom('till_sales')
        .select('created_at')
        .where('id', '=', sold.id)
        .executeTakeFirstOrThrow();
      const time = new Intl.DateTimeFormat('fr-FR', { timeStyle: 'short', timeZone: timezone }).format(created_at);

      await page.getByRole('button', { name: 'Annuler la dernière vente' }).click();
      await dialog(page).getByRole('heading', { name: 'Annuler cette vente ?' }).waitFor();
      const said = flat(await dialog(page).textContent());
      assert.match(said, new RegExp(`${money(700)}, vendue à ${time}`));
      assert.match(said, new RegExp(`2 × ${beerName}`));
      assert.match(said, new RegExp(`La carte ${customer.number} est recréditée de ${money(700)}\\.`));
      await shoot(page, 'cancel-card');
      // Keeping it changes nothing.
      await dialog(page).getByRole('button', { name: 'Garder la vente' }).click();
      await dialog(page).waitFor({ state: 'hidden' });
      assert.equal(await w.balance(customer, w.euro), 300);
      await page.getByRole('button', { name: 'Annuler la dernière vente' }).click();
      await dialog(page).getByRole('button', { name: 'Annuler cette vente', exact: true }).click();
      await page.locator('#till-result[data-kind="ok"]').waitFor();
      assert.match(await resultText(page), /Vente annulée/);
      assert.equal(await w.balance(customer, w.euro), 1000);
      assert.equal((await salesAtBar()).at(-1)?.reverses_sale_id, sold.id);
      await page.locator('#till-result .till-result-big').click();

      // A cash sale: the dialog says how much cash to give back.
      await beer(page).click();
      await payExactCash(page);
      await page.locator('#till-result[data-kind="ok"]').waitFor();
      await page.locator('#till-result .till-result-big').click();
      await page.getByRole('button', { name: 'Annuler la dernière vente' }).click();
      assert.match(flat(await dialog(page).textContent()), new RegExp(`Rendez ${money(350)} en espèces au client\\.`));
      await shoot(page, 'cancel-cash');
      await dialog(page).getByRole('button', { name: 'Garder la vente' }).click();
    });
  });

  test('offline: "Carte" cannot be pressed, a cash sale is kept calmly and sent when the network is back', async () => {
    await atTill('Téléphone hors ligne', async (page, context) => {
      const before = (await salesAtBar()).length;
      await context.setOffline(true);
      await page.getByText('Hors ligne', { exact: true }).waitFor();
      await beer(page).click();
      assert.equal(await page.getByRole('button', { name: 'Carte', exact: true }).isDisabled(), true);
      await payExactCash(page);
      await page.locator('#till-result[data-kind="queued"]').waitFor();
      assert.match(await resultText(page), /^Vente enregistrée ?Elle sera envoyée dès le retour du réseau\./);
      // Calm: not the colour of an error or a warning.
      const colour = await result(page).evaluate((e) => getComputedStyle(e).backgroundColor);
      assert.equal(colour, 'rgb(45, 74, 102)');
      await page.getByRole('button', { name: '1 vente en attente : envoyer' }).waitFor();
      await shoot(page, 'queued');
      // It closes by itself like a green answer.
      await result(page).waitFor({ state: 'hidden', timeout: 9000 });
      assert.equal((await salesAtBar()).length, before);

      await context.setOffline(false);
      await page.locator('#till-queue').waitFor({ state: 'hidden' });
      assert.equal((await salesAtBar()).length, before + 1, 'sent once the network is back');
    });
  });

  test('a card sale without answer stays pending in the bar, cash goes on, and it is settled in the background', async () => {
    const customer = await customerWith(1000);
    await atTill('Téléphone incertain', async (page) => {
      // The network drops the card sale (it never reaches the server), and the question about it too.
      const network = await beerWithoutAnswer(page, customer, false);
      assert.match(await resultText(page), new RegExp(`Paiement par carte de ${money(350)}`));
      await result(page).getByRole('button', { name: 'Fermer' }).click();
      const pending = page.getByRole('button', { name: `Paiement carte non confirmé : ${money(350)}` });
      await pending.waitFor();
      await shoot(page, 'uncertain');

      // The next customer pays cash: not held up by the card sale nobody knows about yet.
      await page.getByRole('button', { name: 'Vider' }).click();
      const before = (await salesAtBar()).length;
      await beer(page).click();
      await payExactCash(page);
      await page.locator('#till-result[data-kind="ok"]').waitFor();
      assert.equal((await salesAtBar()).length, before + 1);
      assert.ok(await pending.isVisible(), 'still pending');
      // A tap on it offers the same choice as when it happened.
      await page.locator('#till-result .till-result-big').click();
      await pending.click();
      await result(page).getByRole('button', { name: 'Réessayer' }).waitFor();
      await result(page).getByRole('button', { name: 'Fermer' }).click();

      // The server can be asked again: never recorded, the cashier is told, the bar is clear.
      network.answerQuestions();
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.locator('#till-result[data-kind="ko"]').waitFor();
      assert.match(await resultText(page), /Vente non enregistrée : rien n’a été débité\./);
      assert.match(await resultText(page), new RegExp(`Paiement par carte de ${money(350)}`));
      await pending.waitFor({ state: 'hidden' });
      assert.equal(await w.balance(customer, w.euro), 1000);
    });
  });

  test('an uncertain card sale found recorded in the background: green, and the next customer’s cart stays', async () => {
    const customer = await customerWith(1000);
    await atTill('Téléphone retrouvé', async (page) => {
      // The card sale reaches the server but its answer is lost; the question about it waits for the network.
      const network = await beerWithoutAnswer(page, customer, true);
      await result(page).getByRole('button', { name: 'Fermer' }).click();
      await page.getByRole('button', { name: 'Vider' }).click();
      // The next customer's two beers are on the till when the answer comes.
      await beer(page).click();
      await beer(page).click();
      network.answerQuestions();
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.locator('#till-result[data-kind="ok"]').waitFor();
      assert.match(await resultText(page), /Le serveur avait enregistré cette vente/);
      assert.match(await resultText(page), new RegExp(`Payé ${money(350)}`));
      assert.equal(flat(await page.locator('#till-total').textContent()), money(700), 'that cart is kept');
      await page.locator('#till-uncertain').waitFor({ state: 'hidden' });
      assert.equal(await w.balance(customer, w.euro), 650, 'charged once');
    });
  });

  test('no page visited above broke its Content-Security-Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
