// The till PWA in a real browser (Debian's Chromium): pairing with a one-time code (the key pair is
// made and kept by the browser), opening with a staff card typed as a keyboard-wedge reader types it,
// selling by card (green with the new balance), a card short of funds (red with what is missing, then
// split with cash), a blocked card, and the network lost: no green, a cash sale kept and sent later,
// a card sale retried with the same id, each recorded exactly once.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createLedgerWorld, type LedgerWorld } from '../../src/ledger/testFixtures.ts';
import { ensureAccount } from '../../src/ledger/ensureAccount.ts';
import { ensurePerson } from '../../src/accounts/people.ts';
import { createPairingCode } from '../../src/till/createPairingCode.ts';
import { closeDay } from '../../src/till/closeDay.ts';
import { currentBusinessDay } from '../../src/till/businessDay.ts';
import { uuidv7 } from '../../src/shared/ids.ts';
import { createTestNode, type TestNode } from '../harness.ts';
import {
  contrast,
  freePort,
  horizontalOverflow,
  launchBrowser,
  logInThroughMail,
  newVisitor,
  noChromium,
  unlabelledControls,
  cspViolations,
} from './browser.ts';

const eur = (cents: number) =>
  new Intl.NumberFormat('fr-FR', { style: 'currency', currency: 'EUR' }).format(cents / 100).replace(/\s/g, ' ');
const tokens = (cents: number, code: string) =>
  `${new Intl.NumberFormat('fr-FR', { minimumFractionDigits: 2 }).format(cents / 100)} ${code}`.replace(/\s/g, ' ');
const spaces = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();

/** REZO_SCREENSHOTS=/some/dir: the till's screen at 1366 and 390 px (then back to the test's own size). */
async function screenshots(page: Page, name: string) {
  const shots = process.env.REZO_SCREENSHOTS;
  if (!shots) return;
  await mkdir(shots, { recursive: true });
  const size = page.viewportSize();
  for (const [width, height] of [
    [1366, 768],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: join(shots, `till-${name}-${width}.png`), fullPage: true });
  }
  if (size) await page.setViewportSize(size);
}

/** The device API is written by another module at the same time: these tests run once its routes exist. */
const hasRoute = (t: TestNode, method: 'GET' | 'POST', url: string) => t.app.hasRoute({ method, url });

describe('the till in a browser', { skip: noChromium }, () => {
  let t: TestNode;
  let browser: Browser;
  let base: string;
  let w: LedgerWorld;
  let place: { id: string; slug: string };
  let apiReady = false;
  const uid = () => randomBytes(7).toString('hex').toUpperCase();
  let numbers = 0;

  async function card(personId: string | null, status: 'active' | 'blocked' = 'active') {
    const batch = uuidv7();
    await t.db.insertInto('card_batches').values({ id: batch, name: 'Lot test', card_count: 1 }).execute();
    const row = {
      id: uuidv7(),
      batch_id: batch,
      uid: uid(),
      number: `C-${Date.now().toString(36)}-${numbers++}`,
      qr_token_sha256: createHash('sha256').update(randomBytes(16)).digest('hex'),
      person_id: personId,
      linked_at: personId ? new Date() : null,
      status,
      blocked_at: status === 'blocked' ? new Date() : null,
    };
    await t.db.insertInto('cards').values(row).execute();
    return row;
  }
  /** An anonymous card holding `cents` euro tokens (minted against cash). */
  async function fundedCard(cents: number) {
    const c = await card(null);
    const account = await ensureAccount(t.db, { currencyId: w.euro.id, ownerKind: 'card', ownerRef: c.id });
    if (cents > 0) await w.fund(account.id, cents);
    return { ...c, accountId: account.id };
  }
  const balanceOf = async (accountId: string) =>
    Number(
      (await t.db.selectFrom('ledger_accounts').select('balance').where('id', '=', accountId).executeTakeFirstOrThrow())
        .balance,
    );

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await createTestNode({ env: 'development', baseUrl: base });
    await t.app.listen({ host: '127.0.0.1', port });
    browser = await launchBrowser();
    w = await createLedgerWorld(t.db);
    place = w.venueA;
    apiReady =
      hasRoute(t, 'POST', '/api/v1/devices/pair') &&
      hasRoute(t, 'POST', '/api/v1/till/sales') &&
      hasRoute(t, 'POST', '/api/v1/till/open');
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  /** The venue's bar, made once: a cashier with a staff card, a point of sale with drinks and a top-up. */
  let bar: Promise<{ staff: { uid: string }; pointId: string; cashierEmail: string }> | null = null;
  function theBar() {
    bar ??= (async () => {
      const cashier = await ensurePerson(t.db, `caissier-${Date.now()}@example.org`, 'fr');
      await t.db.updateTable('people').set({ name: 'Camille Caisse' }).where('id', '=', cashier.id).execute();
      await t.db
        .insertInto('place_members')
        .values({ place_id: place.id, person_id: cashier.id, role: 'cashier' })
        .execute();
      const staff = await card(cashier.id);
      const pointId = uuidv7();
      const drinks = uuidv7();
      const [beer, soda, topUp] = [uuidv7(), uuidv7(), uuidv7()];
      await t.db.insertInto('pos_points').values({ place_id: place.id, id: pointId, name: 'Bar principal' }).execute();
      await t.db
        .insertInto('pos_categories')
        .values({ place_id: place.id, id: drinks, name: 'Boissons', colour: '#ffd54f' })
        .execute();
      await t.db
        .insertInto('pos_articles')
        .values([
          {
            place_id: place.id,
            id: beer,
            category_id: drinks,
            name: 'Bière',
            kind: 'sale',
            price_cents: 400,
            vat_rate: 2000,
          },
          {
            place_id: place.id,
            id: soda,
            category_id: drinks,
            name: 'Soda',
            kind: 'sale',
            price_cents: 250,
            vat_rate: 550,
          },
          {
            place_id: place.id,
            id: topUp,
            category_id: null,
            name: 'Recharge',
            kind: 'top_up',
            price_cents: null,
            currency_id: w.euro.id,
            colour: '#0d47a1',
          },
        ])
        .execute();
      await t.db
        .insertInto('pos_point_articles')
        .values(
          [beer, soda, topUp].map((article_id, position) => ({
            place_id: place.id,
            point_id: pointId,
            article_id,
            position,
          })),
        )
        .execute();
      return { staff, pointId, cashierEmail: cashier.email };
    })();
    return bar;
  }

  async function pair(page: Page, name: string) {
    // The code as the venue admin's devices page makes it (that page is tested in the first test).
    const { code } = await createPairingCode(t.db, w.adminA, { placeId: place.id, kind: 'till', name });
    await page.goto(`${base}/till`);
    await page.locator('html[data-till="pairing"]').waitFor();
    await page.getByLabel('Code d’association').fill(code.toLowerCase());
    await page.getByRole('button', { name: 'Associer' }).click();
    await page.locator('html[data-till="open"]').waitFor();
    return code;
  }

  test('the page renders, pairs the browser with a one-time code, and a used code is refused', async () => {
    const context = await newVisitor(browser, { width: 360, height: 640 });
    const page = await context.newPage();
    try {
      await page.goto(`${base}/till`);
      await page.getByRole('heading', { name: 'Associer cette caisse' }).waitFor();
      assert.deepEqual(await unlabelledControls(page), []);
      // A wrong code: refused, nothing paired.
      await page.getByLabel('Code d’association').fill('ABCD-EFGH');
      await page.getByRole('button', { name: 'Associer' }).click();
      await page.getByText('Code inconnu, déjà utilisé ou expiré').waitFor();
      assert.equal(
        (await t.db.selectFrom('ledger_devices').select('id').where('name', '=', 'Bar du test').execute()).length,
        0,
      );

      // The venue admin shows a code (and its QR link) on the devices page; the till opens the link.
      const admin = await newVisitor(browser);
      const adminPage = await admin.newPage();
      const { email } = await t.db
        .selectFrom('people')
        .select('email')
        .where('id', '=', w.adminA.personId)
        .executeTakeFirstOrThrow();
      await logInThroughMail(adminPage, base, email);
      await adminPage.goto(`${base}/venues/${place.slug}/admin/devices`);
      await adminPage.getByLabel('Nom').fill('Bar du test');
      await adminPage.getByRole('button', { name: 'Afficher un code d’appairage' }).click();
      const shown = adminPage.locator('#pairing');
      const code = spaces(await shown.locator('p.mono').textContent());
      const link = spaces(await shown.locator('figcaption').textContent());
      assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
      await page.goto(link);
      await page.locator('html[data-till="pairing"]').waitFor();
      assert.equal(await page.getByLabel('Code d’association').inputValue(), code, 'the QR link fills the code in');
      await page.getByRole('button', { name: 'Associer' }).click();
      await page.locator('html[data-till="open"]').waitFor();
      assert.equal(new URL(page.url()).hash, '', 'the code leaves the address bar');
      await page.getByRole('heading', { name: 'Passez une carte du personnel' }).waitFor();
      const devices = await t.db
        .selectFrom('ledger_devices')
        .select(['id', 'public_key', 'kind'])
        .where('place_id', '=', place.id)
        .where('name', '=', 'Bar du test')
        .execute();
      assert.equal(devices.length, 1, 'one device paired');
      assert.equal(devices[0]!.kind, 'till');
      // The key the browser made: Ed25519, kept in IndexedDB as a CryptoKey whose private half cannot be read.
      const kept = await page.evaluate(
        () =>
          new Promise<{ type: string; extractable: boolean; algorithm: string; deviceId: string }>(
            (resolve, reject) => {
              const open = indexedDB.open('rezo-till', 1);
              open.onsuccess = () => {
                const get = open.result.transaction('device').objectStore('device').get('current');
                get.onsuccess = () =>
                  resolve({
                    type: get.result.privateKey.type,
                    extractable: get.result.privateKey.extractable,
                    algorithm: get.result.privateKey.algorithm.name,
                    deviceId: get.result.deviceId,
                  });
                get.onerror = () => reject(get.error);
              };
            },
          ),
      );
      assert.deepEqual(kept, { type: 'private', extractable: false, algorithm: 'Ed25519', deviceId: devices[0]!.id });
      // After a reload the till is still paired.
      await page.reload();
      await page.locator('html[data-till="open"]').waitFor();
      const { page: width, screen } = await horizontalOverflow(page);
      assert.ok(width <= screen, `the till fits a 360 px phone (${width} px)`);

      // The same code again, typed in another browser: used, refused.
      const other = await newVisitor(browser, { width: 800, height: 480 });
      const second = await other.newPage();
      await second.goto(`${base}/till`);
      await second.locator('html[data-till="pairing"]').waitFor();
      await second.getByLabel('Code d’association').fill(code);
      await second.getByRole('button', { name: 'Associer' }).click();
      await second.getByText('Code inconnu, déjà utilisé ou expiré').waitFor();
      await other.close();
      await admin.close();

      // The PWA parts.
      const manifest = (await (await fetch(`${base}/till/manifest.webmanifest`)).json()) as {
        start_url: string;
        scope: string;
        display: string;
      };
      assert.deepEqual([manifest.start_url, manifest.scope, manifest.display], ['/till', '/till', 'standalone']);
      const sw = await fetch(`${base}/till/sw.js`);
      assert.equal(sw.headers.get('service-worker-allowed'), '/till');
      assert.match(await sw.text(), /\/static\/till\/main\.js/);
    } finally {
      await context.close();
    }
  });

  test('sell by card, short card split with cash, blocked card, lost network', async (s) => {
    if (!apiReady) {
      s.skip('the till API (src/till/apiRoutes.ts) does not answer yet');
      return;
    }
    const { staff } = await theBar();
    const customer = await fundedCard(1000);
    const blocked = await card(null, 'blocked');
    const salesOf = (id: string) =>
      t.db.selectFrom('till_sales').select(['id', 'total_cents']).where('id', '=', id).execute();

    const context = await newVisitor(browser, { width: 800, height: 480 });
    const page = await context.newPage();
    const result = page.locator('#till-result');
    const resultKind = () => result.getAttribute('data-kind');
    const resultText = async () => spaces(await result.textContent());
    async function wedge(cardUid: string) {
      // A USB reader types the UID and Enter into whatever has the focus: the till puts it back on its
      // reader field after each tap (a card comes after the cashier's tap, never in the same millisecond).
      await page.waitForFunction(
        () => document.activeElement?.id === 'till-wedge' || document.activeElement?.id === 'till-card-typed',
        undefined,
        { timeout: 2000 },
      );
      await page.keyboard.type(cardUid);
      await page.keyboard.press('Enter');
    }
    async function closeResult() {
      // A green answer also goes away by itself after a few seconds: either way, it must be gone.
      await result
        .getByRole('button', { name: 'Fermer' })
        .click({ timeout: 2000 })
        .catch(() => undefined);
      await result.waitFor({ state: 'hidden' });
    }
    // Every signed request of the till: which signature version it carries, and for which target.
    const signed: { version: string | undefined; target: string }[] = [];
    page.on('request', (r) => {
      const headers = r.headers();
      if (headers['x-rezo-signature'])
        signed.push({ version: headers['x-rezo-signature-version'], target: new URL(r.url()).pathname });
    });
    try {
      await pair(page, 'Caisse 2');
      await wedge(staff.uid);
      await page.locator('html[data-till="sale"]').waitFor();
      await page.getByText('par Camille Caisse').waitFor();
      assert.deepEqual(await unlabelledControls(page), []);
      await screenshots(page, 'sale');
      const { page: width, screen } = await horizontalOverflow(page);
      assert.ok(width <= screen, `the till fits an 800×480 screen (${width} px)`);
      const small = await page.evaluate(() =>
        [...document.querySelectorAll('button')]
          .filter((b) => b.offsetParent !== null && b.getBoundingClientRect().height < 56)
          .map((b) => b.textContent),
      );
      assert.deepEqual(small, [], 'every touch target is at least 56 px high');
      const beerButton = page.getByRole('button', { name: /^Bière/ });
      const colours = await beerButton.evaluate((b) => [
        getComputedStyle(b).backgroundColor,
        getComputedStyle(b).color,
      ]);
      assert.ok(contrast(colours[0]!, colours[1]!) >= 4.5, `readable article button (${colours.join(' on ')})`);
      assert.ok(((await beerButton.boundingBox())?.height ?? 0) >= 56, 'big article buttons');

      // Two beers by card: green, with the new balance.
      await beerButton.click();
      await beerButton.click();
      assert.equal(spaces(await page.locator('#till-total').textContent()), eur(800));
      await screenshots(page, 'cart');
      await wedge(customer.uid);
      await result.waitFor();
      assert.equal(await resultKind(), 'ok');
      await screenshots(page, 'paid');
      assert.match(await resultText(), new RegExp(`Payé ${eur(800)}`));
      assert.match(await resultText(), new RegExp(`Nouveau solde : ${tokens(200, w.euro.code)}`));
      assert.equal(await balanceOf(customer.accountId), 200);
      await closeResult();

      // Two beers again: the card holds 2 €, 6 € are missing; the rest in cash, 10 € handed over.
      await beerButton.click();
      await beerButton.click();
      await page.getByRole('button', { name: 'Carte', exact: true }).click();
      await page.getByText('Passez la carte du client').waitFor();
      await wedge(customer.uid);
      await result.waitFor();
      assert.equal(await resultKind(), 'ko');
      assert.match(await resultText(), /Solde insuffisant/);
      assert.match(await resultText(), new RegExp(`Il manque ${eur(600)}`));
      assert.equal(await balanceOf(customer.accountId), 200, 'a refused sale takes nothing');
      await result.getByRole('button', { name: 'Le reste en espèces' }).click();
      await page.getByLabel('Somme reçue (€)').fill('10');
      await page.locator('.till-change').filter({ hasText: 'À rendre' }).waitFor();
      assert.equal(spaces(await page.locator('.till-change').textContent()), `À rendre : ${eur(400)}`);
      await page.getByRole('button', { name: /^Encaisser/ }).click();
      await result.waitFor();
      assert.equal(await resultKind(), 'ok');
      assert.match(await resultText(), new RegExp(`Payé ${eur(800)}`));
      assert.match(await resultText(), new RegExp(`Rendre ${eur(400)}`));
      assert.equal(await balanceOf(customer.accountId), 0);
      await closeResult();

      // A blocked card: red, with the reason.
      await page.getByRole('button', { name: /^Soda/ }).click();
      await wedge(blocked.uid);
      await result.waitFor();
      assert.equal(await resultKind(), 'ko');
      assert.match(await resultText(), /Carte bloquée/);
      await closeResult();
      await page.getByRole('button', { name: 'Vider' }).click();

      // The network is lost after the server got the request: the till cannot know, says so, never green.
      const second = await fundedCard(1000);
      let reached = 0;
      await page.route('**/api/v1/till/sales', async (route) => {
        await route.fetch();
        reached++;
        await route.abort();
      });
      await page.getByRole('button', { name: /^Soda/ }).click();
      await wedge(second.uid);
      await result.waitFor();
      assert.equal(await resultKind(), 'warn');
      assert.match(await resultText(), /Serveur injoignable/);
      assert.match(await resultText(), /Paiement NON confirmé/);
      await page.getByText('Hors ligne', { exact: true }).waitFor();
      assert.equal(reached, 1);
      assert.equal(await balanceOf(second.accountId), 750, 'the server took it');
      // A card sale is never queued: the cashier retries it, with the same id, once the network is back.
      await page.unroute('**/api/v1/till/sales');
      await result.getByRole('button', { name: 'Réessayer' }).click();
      await page.locator('#till-result[data-kind="ok"]').waitFor();
      assert.match(await resultText(), new RegExp(`Nouveau solde : ${tokens(750, w.euro.code)}`));
      assert.equal(await balanceOf(second.accountId), 750, 'charged once');
      await page.getByText('En ligne', { exact: true }).waitFor();
      await closeResult();

      // Lost in transit again, and the cashier gives up: the till first asks the server what became of
      // the sale (GET /api/v1/till/sales/{id}) and shows it green, as recorded: no second charge.
      const third = await fundedCard(1000);
      await page.route('**/api/v1/till/sales', async (route) => {
        await route.fetch();
        await route.abort();
      });
      await page.getByRole('button', { name: /^Soda/ }).click();
      await wedge(third.uid);
      await page.locator('#till-result[data-kind="warn"]').waitFor();
      await page.unroute('**/api/v1/till/sales');
      const asked = page.waitForResponse(
        (r) => /\/api\/v1\/till\/sales\/[0-9a-f-]{36}$/.test(r.url()) && r.request().method() === 'GET',
      );
      await result.getByRole('button', { name: 'Abandonner' }).click();
      assert.equal((await asked).status(), 200);
      await page.locator('#till-result[data-kind="ok"]').waitFor();
      assert.match(await resultText(), new RegExp(`Payé ${eur(250)}`));
      assert.match(await resultText(), new RegExp(`Nouveau solde : ${tokens(750, w.euro.code)}`));
      assert.match(
        await resultText(),
        /Le serveur avait enregistré cette vente : ne l’encaissez pas une seconde fois\./,
      );
      assert.equal(await balanceOf(third.accountId), 750, 'charged once');
      await closeResult();
      // Lost before the server got it: giving up asks, hears 404 (never recorded), and nothing is charged.
      await page.route('**/api/v1/till/sales', (route) => route.abort());
      await page.getByRole('button', { name: /^Soda/ }).click();
      await wedge(third.uid);
      await page.locator('#till-result[data-kind="warn"]').waitFor();
      await page.unroute('**/api/v1/till/sales');
      const unknown = page.waitForResponse(
        (r) => /\/api\/v1\/till\/sales\/[0-9a-f-]{36}$/.test(r.url()) && r.request().method() === 'GET',
      );
      await result.getByRole('button', { name: 'Abandonner' }).click();
      assert.equal((await unknown).status(), 404);
      await page.locator('#till-result[data-kind="ko"]').waitFor();
      assert.match(await resultText(), /Vente non enregistrée : rien n’a été débité\./);
      assert.equal(await balanceOf(third.accountId), 750, 'nothing charged');
      await closeResult();
      await page.getByRole('button', { name: 'Vider' }).click();

      // Cash while the server cannot be reached: one sale gets through unseen, one does not; both wait.
      const seen: string[] = [];
      await page.route('**/api/v1/till/sales', async (route) => {
        const body = JSON.parse(route.request().postData() ?? '{}') as { id: string };
        seen.push(body.id);
        if (seen.length === 1) await route.fetch();
        await route.abort();
      });
      for (const n of [1, 2]) {
        await beerButton.click();
        await page.getByRole('button', { name: 'Espèces', exact: true }).click();
        await page.getByRole('button', { name: 'Compte juste' }).click();
        await page.getByRole('button', { name: /^Encaisser/ }).click();
        await result.waitFor();
        assert.equal(await resultKind(), 'queued', 'never green without the server');
        assert.match(await resultText(), /Vente enregistrée/);
        await page.getByRole('button', { name: `${n} vente${n > 1 ? 's' : ''} en attente : envoyer` }).waitFor();
        await closeResult();
      }
      assert.equal(seen.length, 2);
      assert.equal((await salesOf(seen[0]!)).length, 1, 'the first reached the server');
      assert.equal((await salesOf(seen[1]!)).length, 0, 'the second did not');
      // Sending while still unreachable keeps both.
      await page.getByRole('button', { name: '2 ventes en attente : envoyer' }).click();
      await page.getByRole('button', { name: '2 ventes en attente : envoyer' }).waitFor();
      await page.unroute('**/api/v1/till/sales');
      // The till also sends its queue by itself every 15 s: it may have done so already.
      await closeResult();
      const send = page.locator('#till-queue');
      if (await send.isVisible()) await send.click({ timeout: 2000 }).catch(() => undefined);
      await page.locator('#till-queue').waitFor({ state: 'hidden' });
      for (const id of seen.slice(0, 2))
        assert.deepEqual(await salesOf(id), [{ id, total_cents: 400 }], 'each queued sale is recorded exactly once');

      // The last sale cancelled: a reversal.
      await page.getByRole('button', { name: 'Annuler la dernière vente' }).click();
      // The way out does not read as the action: "Garder la vente", not "Annuler".
      await page.getByRole('dialog').getByRole('button', { name: 'Garder la vente' }).waitFor();
      await page.getByRole('dialog').getByRole('button', { name: 'Annuler cette vente' }).click();
      await result.waitFor();
      assert.equal(await resultKind(), 'ok');
      assert.match(await resultText(), /Vente annulée/);
      const reversal = await t.db
        .selectFrom('till_sales')
        .select(['total_cents'])
        .where('reverses_sale_id', '=', seen[1]!)
        .execute();
      assert.deepEqual(
        reversal.map((r) => Number(r.total_cents)),
        [-400],
      );
      await closeResult();

      // A card tapped with an empty cart shows its balances.
      await wedge(second.uid);
      await result.waitFor();
      assert.equal(await resultKind(), 'info');
      assert.match(await resultText(), new RegExp(tokens(750, w.euro.code)));
      assert.match(await resultText(), /Aucune adhésion valable/);
      await closeResult();

      // A top-up at the counter: the amount on the keypad, paid in cash, credited to the card tapped.
      await page.getByRole('button', { name: /^Recharge/ }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: '2', exact: true }).click();
      await dialog.getByRole('button', { name: '0', exact: true }).click();
      assert.equal(await dialog.getByLabel('Montant (€)').inputValue(), '20');
      await dialog.getByRole('button', { name: 'Ajouter' }).click();
      assert.equal(spaces(await page.locator('#till-total').textContent()), eur(2000));
      await page.getByRole('button', { name: 'Espèces', exact: true }).click();
      await page.getByText('Cette vente demande une carte : passez la carte du client').waitFor();
      await wedge(second.uid);
      await page.getByRole('button', { name: 'Compte juste' }).click();
      await page.getByRole('button', { name: /^Encaisser/ }).click();
      await page.locator('#till-result[data-kind="ok"]').waitFor();
      assert.match(await resultText(), new RegExp(`Nouveau solde : ${tokens(2750, w.euro.code)}`));
      assert.equal(await balanceOf(second.accountId), 2750);
      await closeResult();

      // The same till on a 5-inch phone: nothing to scroll sideways, the pay buttons on screen.
      await page.setViewportSize({ width: 360, height: 640 });
      await beerButton.click();
      const narrow = await horizontalOverflow(page);
      assert.ok(narrow.page <= narrow.screen, `the till fits a 360 px phone (${narrow.page} px)`);
      for (const name of ['Carte', 'Espèces', 'Terminal CB']) {
        const box = await page.getByRole('button', { name, exact: true }).boundingBox();
        assert.ok(box && box.y + box.height <= 640 && box.height >= 56, `${name} is on screen and big enough`);
      }

      // The till signs version 2 (the query string covered: docs/LEDGER.md, "Device signatures"), and
      // the envelopes kept with its transfers say so.
      assert.ok(signed.length > 3, 'the till signed its requests');
      assert.deepEqual(
        signed.filter((r) => r.version !== '2'),
        [],
      );
      const { id: deviceId } = await t.db
        .selectFrom('ledger_devices')
        .select('id')
        .where('place_id', '=', place.id)
        .where('name', '=', 'Caisse 2')
        .executeTakeFirstOrThrow();
      const envelopes = await t.db
        .selectFrom('ledger_transfers')
        .select('device_signature')
        .where('authorised_by', '=', 'device')
        .where('authoriser_id', '=', deviceId)
        .execute();
      assert.ok(envelopes.length > 0);
      assert.deepEqual(
        envelopes.filter((e) => e.device_signature?.version !== '2'),
        [],
      );
    } finally {
      await context.close();
    }
  });

  test('starts without network from the service worker, queues cash and sends it when back', async (s) => {
    if (!apiReady) {
      s.skip('the till API (src/till/apiRoutes.ts) does not answer yet');
      return;
    }
    const { staff, pointId } = await theBar();
    const context = await newVisitor(browser, { width: 800, height: 480 });
    const page = await context.newPage();
    try {
      await pair(page, 'Caisse 3');
      await page.waitForFunction(() => document.activeElement?.id === 'till-wedge', undefined, { timeout: 2000 });
      await page.keyboard.type(staff.uid.toLowerCase().replace(/(..)/g, '$1:').slice(0, -1));
      await page.keyboard.press('Enter');
      await page.locator('html[data-till="sale"]').waitFor();
      assert.equal(await page.evaluate(() => navigator.serviceWorker.ready.then((r) => r.scope)), `${base}/till`);

      await context.setOffline(true);
      await page.reload();
      await page.locator('html[data-till="sale"]').waitFor();
      await page.getByText('Hors ligne', { exact: true }).waitFor();
      await page.getByRole('button', { name: /^Bière/ }).click();
      // Offline, "Carte" cannot be pressed (a card's balance is on the server); cash can.
      assert.equal(await page.getByRole('button', { name: 'Carte', exact: true }).isDisabled(), true);
      await page.getByRole('button', { name: 'Espèces', exact: true }).click();
      await page.getByLabel('Somme reçue (€)').fill('5');
      await page.getByRole('button', { name: /^Encaisser/ }).click();
      await page.locator('#till-result[data-kind="queued"]').waitFor();
      await page.getByRole('button', { name: '1 vente en attente : envoyer' }).waitFor();
      const before = await t.db.selectFrom('till_sales').select('id').where('point_id', '=', pointId).execute();

      await context.setOffline(false);
      await page.locator('#till-queue').waitFor({ state: 'hidden' });
      const after = await t.db
        .selectFrom('till_sales')
        .select(['id', 'total_cents'])
        .where('point_id', '=', pointId)
        .execute();
      assert.equal(after.length, before.length + 1, 'the queued sale is on the server, once');
      await page.getByText('En ligne', { exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });

  test('in English, and a browser without Ed25519 is told so', async () => {
    const context = await newVisitor(browser, { width: 360, height: 640 });
    await context.addInitScript(`(() => {
      const generate = crypto.subtle.generateKey.bind(crypto.subtle);
      crypto.subtle.generateKey = (algorithm, ...rest) =>
        (algorithm && (algorithm.name || algorithm)) === 'Ed25519' ? Promise.reject(new DOMException('no', 'NotSupportedError')) : generate(algorithm, ...rest);
    })();`);
    const page = await context.newPage();
    try {
      await page.goto(`${base}/till?lang=en`);
      await page.getByRole('heading', { name: 'Pair this till' }).waitFor();
      await page.locator('html[data-till="unsupported"]').waitFor();
      await page.getByText('This browser cannot sign requests (Ed25519)').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Pair' }).isDisabled(), true);
    } finally {
      await context.close();
    }
  });

  // Last: once the day is closed, its point of sale takes no more sales today.
  test('at the end of the night the cashier closes the day: counted cash, signed Z report that matches the journal', async (s) => {
    if (!apiReady) {
      s.skip('the till API (src/till/apiRoutes.ts) does not answer yet');
      return;
    }
    const { pointId, cashierEmail } = await theBar();
    const sold = await t.db
      .selectFrom('till_journal')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('point_id', '=', pointId)
      .executeTakeFirstOrThrow();
    assert.ok(Number(sold.n) > 0, 'the earlier tests sold at this bar');
    const context = await newVisitor(browser, { width: 360, height: 640 });
    const page = await context.newPage();
    try {
      await logInThroughMail(page, base, cashierEmail);
      await page.goto(`${base}/venues/${place.slug}/admin/till/closures`);
      await page.getByLabel('Espèces comptées (euros)').first().fill('abc');
      await page.getByRole('button', { name: 'Clôturer cette journée' }).first().click();
      await page.locator('.error-summary, [role="alert"]').first().waitFor();
      assert.equal(
        (await t.db.selectFrom('till_closures').select('id').execute()).length,
        0,
        'a bad amount closes nothing',
      );
      await page.getByLabel('Espèces comptées (euros)').first().fill('12,50');
      await page.getByRole('button', { name: 'Clôturer cette journée' }).first().click();
      // The Z asks again: it says the point stops selling for that day, shows the difference, writes nothing yet.
      await page.getByText(/ne pourra plus vendre pour la journée du/).waitFor();
      assert.equal((await t.db.selectFrom('till_closures').select('id').execute()).length, 0, 'asking closes nothing');
      await page.getByRole('button', { name: 'Clôturer définitivement' }).click();
      await page.getByText('Vérifié : les totaux égalent le journal et la signature du nœud est valide.').waitFor();
      const closure = await t.db.selectFrom('till_closures').selectAll().executeTakeFirstOrThrow();
      assert.equal(closure.point_id, pointId);
      assert.equal(Number(closure.counted_cash_cents), 1250);
      assert.equal(Number(closure.difference_cents), 1250 - Number(closure.expected_cash_cents));
    } finally {
      await context.close();
    }
  });
  // After the closure test: this one closes a day of its own point of sale.
  test('a sale queued offline, its day closed, then synced: booked late on the next day, on its closure; a refused one is kept and shown, never lost', async (s) => {
    if (!apiReady) {
      s.skip('the till API (src/till/apiRoutes.ts) does not answer yet');
      return;
    }
    const { staff } = await theBar();
    // A point of its own, with a beer and a juice.
    const pointId = uuidv7();
    const [beer, juice] = [uuidv7(), uuidv7()];
    await t.db.insertInto('pos_points').values({ place_id: place.id, id: pointId, name: 'Terrasse' }).execute();
    await t.db
      .insertInto('pos_articles')
      .values([
        { place_id: place.id, id: beer, name: 'Dodo', kind: 'sale', price_cents: 350, vat_rate: 850 },
        { place_id: place.id, id: juice, name: 'Jus de goyavier', kind: 'sale', price_cents: 250, vat_rate: 210 },
      ])
      .execute();
    await t.db
      .insertInto('pos_point_articles')
      .values([
        { place_id: place.id, point_id: pointId, article_id: beer, position: 0 },
        { place_id: place.id, point_id: pointId, article_id: juice, position: 1 },
      ])
      .execute();
    const today = await currentBusinessDay(t.db, place.id);
    const next = new Date(`${today}T12:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    const nextDay = next.toISOString().slice(0, 10);
    const salesHere = () =>
      t.db
        .selectFrom('till_sales')
        .select(['id', 'business_day', 'late_from_day', 'total_cents'])
        .where('point_id', '=', pointId)
        .orderBy('created_at')
        .execute();
    const queuedInBrowser = (page: Page) =>
      page.evaluate(
        () =>
          new Promise<{ total: number; refused: number }>((resolve, reject) => {
            const open = indexedDB.open('rezo-till', 1);
            open.onsuccess = () => {
              const all = open.result.transaction('queue').objectStore('queue').getAll();
              all.onsuccess = () =>
                resolve({
                  total: all.result.length,
                  refused: all.result.filter((e: { refused?: unknown }) => e.refused).length,
                });
              all.onerror = () => reject(all.error);
            };
          }),
      );

    const context = await newVisitor(browser, { width: 800, height: 480 });
    const page = await context.newPage();
    const result = page.locator('#till-result');
    const text = async () => spaces(await result.textContent());
    const closeResult = async () => {
      await result
        .getByRole('button', { name: 'Fermer' })
        .click({ timeout: 2000 })
        .catch(() => undefined);
      await result.waitFor({ state: 'hidden' });
    };
    async function sellInCash(article: string) {
      await page.getByRole('button', { name: new RegExp(`^${article}`) }).click();
      await page.getByRole('button', { name: 'Espèces', exact: true }).click();
      await page.getByRole('button', { name: 'Compte juste' }).click();
      await page.getByRole('button', { name: /^Encaisser/ }).click();
      await page.locator('#till-result[data-kind="queued"]').waitFor();
      assert.match(await text(), /Vente enregistrée/);
      await closeResult();
    }
    try {
      await pair(page, 'Caisse terrasse');
      await page.waitForFunction(() => document.activeElement?.id === 'till-wedge', undefined, { timeout: 2000 });
      await page.keyboard.type(staff.uid);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Terrasse' }).click();
      await page.locator('html[data-till="sale"]').waitFor();

      // The network is gone for sales: two cash sales wait in the till, with their time of sale.
      await page.route('**/api/v1/till/sales', (route) => route.abort());
      await sellInCash('Dodo');
      await sellInCash('Jus de goyavier');
      await page.getByRole('button', { name: '2 ventes en attente : envoyer' }).waitFor();
      assert.deepEqual(await salesHere(), []);

      // Meanwhile the night is closed at this point (Z report), and the juice is taken off the menu.
      await closeDay(t.db, w.adminA, { placeId: place.id, pointId, businessDay: today, countedCashCents: 600 });
      await t.db.updateTable('pos_articles').set({ archived: true }).where('id', '=', juice).execute();

      // The network is back: the beer is booked on the next open day, marked late; the juice is
      // refused by the server — and kept on the till, shown to the cashier.
      await page.unroute('**/api/v1/till/sales');
      await page.getByRole('button', { name: '2 ventes en attente : envoyer' }).click();
      await page.locator('#till-result[data-kind="ko"]').waitFor();
      assert.match(await text(), /Vente en attente refusée/);
      assert.match(await text(), /reste gardée sur cette caisse/);
      await page.locator('#till-queue').waitFor({ state: 'hidden' });
      await page.getByRole('button', { name: '1 vente non enregistrée : voir' }).waitFor();
      const first = await salesHere();
      assert.deepEqual(
        first.map((r) => [r.business_day, r.late_from_day, Number(r.total_cents)]),
        [[nextDay, today, 350]],
      );
      assert.deepEqual(await queuedInBrowser(page), { total: 1, refused: 1 }, 'the refused sale is still on the till');
      await closeResult();

      // Still there after a restart of the till.
      await page.reload();
      await page.locator('html[data-till="sale"]').waitFor();
      await page.getByRole('button', { name: '1 vente non enregistrée : voir' }).click();
      await page.locator('#till-result[data-kind="ko"]').waitFor();
      assert.match(await text(), /Ventes non enregistrées/);
      assert.match(await text(), new RegExp(`${eur(250)} — `));
      // The juice is back on the menu: sent again on request, recorded late too, nothing left behind.
      await t.db.updateTable('pos_articles').set({ archived: false }).where('id', '=', juice).execute();
      await result.getByRole('button', { name: 'Réessayer' }).click();
      await page.locator('#till-refused').waitFor({ state: 'hidden' });
      await page.locator('#till-result[data-kind="info"]').waitFor();
      assert.match(await text(), /enregistrée en retard/);
      assert.deepEqual(await queuedInBrowser(page), { total: 0, refused: 0 });
      const both = await salesHere();
      assert.deepEqual(
        both.map((r) => [r.business_day, r.late_from_day, Number(r.total_cents)]),
        [
          [nextDay, today, 350],
          [nextDay, today, 250],
        ],
      );

      // The venue's closures: the next day (to close) shows the two late sales.
      const admin = await newVisitor(browser);
      const adminPage = await admin.newPage();
      const { email } = await t.db
        .selectFrom('people')
        .select('email')
        .where('id', '=', w.adminA.personId)
        .executeTakeFirstOrThrow();
      await logInThroughMail(adminPage, base, email);
      await adminPage.goto(`${base}/venues/${place.slug}/admin/till/closures`);
      const day = adminPage.locator('article').filter({ hasText: 'Terrasse' }).filter({ hasText: 'retard' });
      assert.match(
        spaces(await day.textContent()),
        new RegExp(`Ventes hors ligne arrivées en retard, vendues le ${today} — 2 · ${eur(600)}`),
      );
      await admin.close();
    } finally {
      await context.close();
    }
  });

  test('gift credit costs the customer nothing: the cart total and the cash asked leave it out, as the server does', async (s) => {
    if (!apiReady) {
      s.skip('the till API (src/till/apiRoutes.ts) does not answer yet');
      return;
    }
    const { staff } = await theBar();
    // A point of its own: a 10 € gift credit (the venue's gift currency) and a beer.
    const pointId = uuidv7();
    const [gift, beer] = [uuidv7(), uuidv7()];
    await t.db.insertInto('pos_points').values({ place_id: place.id, id: pointId, name: 'Accueil' }).execute();
    await t.db
      .insertInto('pos_articles')
      .values([
        {
          place_id: place.id,
          id: gift,
          name: 'Avoir 10',
          kind: 'gift_top_up',
          price_cents: 1000,
          vat_rate: 0,
          currency_id: w.gift.id,
        },
        { place_id: place.id, id: beer, name: 'Pression', kind: 'sale', price_cents: 400, vat_rate: 2000 },
      ])
      .execute();
    await t.db
      .insertInto('pos_point_articles')
      .values([
        { place_id: place.id, point_id: pointId, article_id: gift, position: 0 },
        { place_id: place.id, point_id: pointId, article_id: beer, position: 1 },
      ])
      .execute();
    const customer = await card(null);
    const context = await newVisitor(browser, { width: 800, height: 480 });
    const page = await context.newPage();
    const result = page.locator('#till-result');
    try {
      await pair(page, 'Caisse accueil');
      await page.waitForFunction(() => document.activeElement?.id === 'till-wedge', undefined, { timeout: 2000 });
      await page.keyboard.type(staff.uid);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Accueil' }).click();
      await page.locator('html[data-till="sale"]').waitFor();

      await page.getByRole('button', { name: /^Avoir 10/ }).click();
      assert.equal(spaces(await page.locator('#till-total').textContent()), eur(0));
      await page.getByRole('button', { name: /^Pression/ }).click();
      assert.equal(spaces(await page.locator('#till-total').textContent()), eur(400));
      // Cash: the card the credit is for first, then the 4 € of the beer only.
      await page.getByRole('button', { name: 'Espèces', exact: true }).click();
      await page.waitForFunction(() => document.activeElement?.id === 'till-wedge', undefined, { timeout: 2000 });
      await page.keyboard.type(customer.uid);
      await page.keyboard.press('Enter');
      await page.getByLabel('Somme reçue (€)').fill('5');
      await page.getByRole('button', { name: /^Encaisser/ }).click();
      await result.waitFor();
      assert.equal(await result.getAttribute('data-kind'), 'ok', spaces(await result.textContent()));
      assert.match(spaces(await result.textContent()), new RegExp(`Payé ${eur(400)}`));
      const sales = await t.db
        .selectFrom('till_sales')
        .select(['total_cents'])
        .where('point_id', '=', pointId)
        .execute();
      assert.deepEqual(
        sales.map((x) => Number(x.total_cents)),
        [400],
      );
    } finally {
      await context.close();
    }
  });

  test('a phone-sized till takes a card by its printed number and by its QR code read with the camera', async (s) => {
    if (!apiReady) {
      s.skip('the till API (src/till/apiRoutes.ts) does not answer yet');
      return;
    }
    const { staff } = await theBar();
    const customer = await fundedCard(1000);
    // A point of its own (the bar's day is closed by the test above): a draught beer.
    const pointId = uuidv7();
    const beer = uuidv7();
    await t.db.insertInto('pos_points').values({ place_id: place.id, id: pointId, name: 'Bar téléphone' }).execute();
    await t.db
      .insertInto('pos_articles')
      .values({ place_id: place.id, id: beer, name: 'Demi', kind: 'sale', price_cents: 400, vat_rate: 2000 })
      .execute();
    await t.db
      .insertInto('pos_point_articles')
      .values({ place_id: place.id, point_id: pointId, article_id: beer, position: 0 })
      .execute();
    // The card's QR token, as printed: the card page's address holds it.
    const token = `qr${randomBytes(16).toString('hex')}`;
    await t.db
      .updateTable('cards')
      .set({ qr_token_sha256: createHash('sha256').update(token).digest('hex') })
      .where('id', '=', customer.id)
      .execute();
    const context = await newVisitor(browser, { width: 390, height: 844 });
    // The camera: a blank stream, and a BarcodeDetector that sees the card's QR code (its address).
    await context.addInitScript((qr: string) => {
      const w = window as unknown as Record<string, unknown>;
      Object.defineProperty(navigator.mediaDevices, 'getUserMedia', {
        value: async () => {
          const canvas = document.createElement('canvas');
          canvas.width = 320;
          canvas.height = 240;
          canvas.getContext('2d')!.fillRect(0, 0, 320, 240);
          return canvas.captureStream(5);
        },
      });
      w.BarcodeDetector = class {
        async detect() {
          return [{ rawValue: qr, format: 'qr_code' }];
        }
      };
    }, `${base}/cards/${token}`);
    const page = await context.newPage();
    const result = page.locator('#till-result');
    const text = async () => spaces(await result.textContent());
    const sales = () =>
      t.db
        .selectFrom('till_sales')
        .innerJoin('cards', 'cards.id', 'till_sales.card_id')
        .select(['till_sales.total_cents'])
        .where('cards.id', '=', customer.id)
        .execute();
    try {
      await pair(page, 'Téléphone bar');
      await page.waitForFunction(() => document.activeElement?.id === 'till-wedge', undefined, { timeout: 2000 });
      await page.keyboard.type(staff.uid);
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Bar téléphone' }).click();
      await page.locator('html[data-till="sale"]').waitFor();
      const { page: width, screen } = await horizontalOverflow(page);
      assert.ok(width <= screen, `no sideways scroll at 390 px (${width} > ${screen})`);
      // Empty cart, the printed number typed: the card's balance, named by its number, never its UID.
      await page.getByLabel('Taper un numéro de carte').fill(customer.number.toLowerCase());
      await page.getByLabel('Taper un numéro de carte').press('Enter');
      await result.waitFor();
      assert.match(await text(), new RegExp(customer.number));
      assert.ok(!(await text()).includes(customer.uid));
      await screenshots(page, 'card-by-number');
      await result.getByRole('button', { name: 'Fermer' }).click();
      await result.waitFor({ state: 'hidden' });
      // A beer paid by the card's number.
      await page.getByRole('button', { name: /^Demi/ }).click();
      await page.getByLabel('Taper un numéro de carte').fill(customer.number);
      await page.getByLabel('Taper un numéro de carte').press('Enter');
      await result.waitFor();
      assert.equal(await result.getAttribute('data-kind'), 'ok', await text());
      await result
        .getByRole('button', { name: 'Fermer' })
        .click({ timeout: 2000 })
        .catch(() => undefined);
      await result.waitFor({ state: 'hidden' });
      // A beer paid by the QR code, read with the camera.
      await page.getByRole('button', { name: /^Demi/ }).click();
      await page.getByRole('button', { name: 'Lire le QR de la carte' }).click();
      await result.waitFor();
      assert.equal(await result.getAttribute('data-kind'), 'ok', await text());
      assert.ok(await page.locator('#till-camera-view').isHidden());
      await screenshots(page, 'card-by-qr');
      assert.deepEqual(
        (await sales()).map((x) => Number(x.total_cents)),
        [400, 400],
      );
      assert.equal(await balanceOf(customer.accountId), 200);
    } finally {
      await context.close();
    }
  });

  test('no page visited above broke its Content-Security-Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
