// The door scanner in a real browser (Debian's Chromium): a door person logs in, scans a ticket
// (green), scans it again (red), loses the network, lets a second ticket in offline and refuses a
// forged code, then synchronises and the server has the entry.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { personActor, SYSTEM } from '../../src/access/actor.ts';
import { ensurePerson } from '../../src/accounts/people.ts';
import { checkIn } from '../../src/ticketing/checkIn.ts';
import { completeOrder } from '../../src/ticketing/completeOrder.ts';
import { placeOrder } from '../../src/ticketing/placeOrder.ts';
import { signTicket } from '../../src/ticketing/ticketSignature.ts';
import { eventSelling } from '../../src/ticketing/testFixtures.ts';
import { createPairingCode } from '../../src/till/createPairingCode.ts';
import type { TestNode } from '../harness.ts';
import {
  cspViolations,
  horizontalOverflow,
  logInThroughMail,
  newVisitor,
  noChromium,
  unlabelledControls,
  useBrowserNode,
} from './browser.ts';

/** REZO_SCREENSHOTS=/some/dir saves the door phone's pages there (as journey.test.ts does). */
async function snap(page: Page, name: string) {
  const dir = process.env.REZO_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, name), fullPage: true });
}

describe('the door scanner in a browser', { skip: noChromium }, () => {
  let t: TestNode;
  let browser: Browser;
  let base: string;

  useBrowserNode({ env: 'development' }, (node) => ({ t, browser, base } = node));

  async function typeCode(page: Page, code: string) {
    await page.getByLabel('Code du billet').fill(code);
    await page.getByLabel('Code du billet').press('Enter');
  }

  test('scan online, twice, then offline, then synchronise', async () => {
    const ev = await eventSelling(
      t.db,
      { slug: 'la-porte', capacity: 100 },
      { name: 'Plein tarif', kind: 'fixed', price: '15' },
    );
    const [price] = ev.priceIds;
    const placed = await placeOrder(t.db, t.config, null, {
      slug: 'la-porte',
      email: 'fan@example.org',
      name: 'Zoé Fan',
      language: 'fr',
      lines: [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 3 }],
    });
    await t.db.transaction().execute((trx) => completeOrder(trx, t.config, SYSTEM, placed.id, null));
    const tickets = await t.db
      .selectFrom('tickets')
      .selectAll()
      .where('order_id', '=', placed.id)
      .orderBy('id')
      .execute();
    const [first, second, third] = await Promise.all(
      tickets.map((x) => signTicket(t.db, { placeId: x.place_id, id: x.id, eventDateId: x.event_date_id })),
    );
    const door = await ensurePerson(t.db, 'porte@example.org', 'fr');
    await t.db
      .insertInto('place_members')
      .values({ place_id: ev.place.id, person_id: door.id, role: 'door' })
      .execute();
    // The forged code: the second ticket's payload with its signature's first character changed.
    const parts = second!.split('.');
    const forged = [...parts.slice(0, 4), (parts[4]!.startsWith('A') ? 'B' : 'A') + parts[4]!.slice(1)].join('.');

    const context = await newVisitor(browser, { width: 360, height: 740 });
    const page = await context.newPage();
    try {
      await logInThroughMail(page, base, 'porte@example.org');
      await page.goto(`${base}/venues/la-porte/scan`);
      await page.getByRole('heading', { name: 'Contrôle des billets' }).waitFor();
      await page.getByRole('link', { name: 'Concert' }).click();
      await page.waitForURL(`${base}/venues/la-porte/scan/${ev.eventId}`);
      await page.locator('html[data-scanner="ready"]').waitFor();
      assert.deepEqual(await unlabelledControls(page), []);
      const { page: width, screen } = await horizontalOverflow(page);
      assert.ok(width <= screen, `the scanner fits a 360 px phone (${width} px)`);
      const result = page.locator('#scan-result');
      await page.getByText('0 entrée').waitFor();
      await page.getByText('En ligne').waitFor();

      await typeCode(page, first!);
      await result.getByText('Valide', { exact: true }).waitFor();
      await result.getByText('Zoé Fan · Plein tarif').waitFor();
      assert.match((await result.getAttribute('class'))!, /\bok\b/);
      await page.getByText('1 entrée').waitFor();

      await typeCode(page, first!);
      await result.getByText(/^Déjà entré \(à \d\d:\d\d\)$/).waitFor();
      assert.match((await result.getAttribute('class'))!, /\bko\b/);

      // The network drops: the phone decides by itself.
      await page.route('**/api/v1/checkins', (r) => r.abort());
      await typeCode(page, second!);
      await result.getByText('Valide (hors ligne)').waitFor();
      assert.match((await result.getAttribute('class'))!, /\bok\b/);
      await page.getByText('Hors ligne', { exact: true }).waitFor();
      await page.getByRole('button', { name: 'Synchroniser (1 en attente)' }).waitFor();
      await page.getByText('2 entrées').waitFor();

      await typeCode(page, forged);
      await result.getByText('Code inconnu').waitFor();
      assert.match((await result.getAttribute('class'))!, /\bko\b/);
      await typeCode(page, second!);
      await result.getByText(/^Déjà entré \(à \d\d:\d\d\)$/).waitFor();
      await page.getByRole('button', { name: 'Synchroniser (1 en attente)' }).waitFor();
      assert.equal(
        await t.db.selectFrom('checkins').select('id').where('ticket_id', '=', tickets[1]!.id).executeTakeFirst(),
        undefined,
        'nothing reached the server',
      );

      // Meanwhile another phone, online, lets the third ticket in; this phone cannot know and lets it
      // in too: the synchronisation must report the conflict.
      const [elsewhere] = await checkIn(t.db, personActor(door.id), {
        slug: 'la-porte',
        eventId: ev.eventId,
        scans: [{ payload: third!, nonce: 'other-phone-0001' }],
      });
      assert.equal(elsewhere!.result, 'valid');
      await typeCode(page, third!);
      await result.getByText('Valide (hors ligne)').waitFor();
      await page.getByRole('button', { name: 'Synchroniser (2 en attente)' }).waitFor();

      // A failed sync keeps the queue.
      await page.getByRole('button', { name: 'Synchroniser (2 en attente)' }).click();
      await page.getByText('Synchronisation impossible').waitFor();
      await page.getByRole('button', { name: 'Synchroniser (2 en attente)' }).waitFor();

      await page.unroute('**/api/v1/checkins');
      await page.getByRole('button', { name: 'Synchroniser (2 en attente)' }).click();
      await page.getByRole('button', { name: 'Synchroniser (0 en attente)' }).waitFor();
      await page.getByText(/^1 conflit\(s\) .*Zoé Fan · Plein tarif : Déjà entré \(à \d\d:\d\d\)$/).waitFor();
      await page.getByText('En ligne').waitFor();
      const entries = await t.db
        .selectFrom('checkins')
        .select('ticket_id')
        .where('place_id', '=', ev.place.id)
        .where('result', '=', 'valid')
        .execute();
      assert.deepEqual(
        entries.map((e) => e.ticket_id).sort(),
        tickets.map((x) => x.id).sort(),
        'the offline entry is on the server, once per ticket',
      );
      assert.equal(
        (await t.db.selectFrom('checkins').select('id').where('ticket_id', '=', tickets[1]!.id).execute()).length,
        1,
        'the forged code and the refused rescan were never sent',
      );

      // Pressing again with nothing queued sends nothing twice and says it is in sync.
      await page.getByRole('button', { name: 'Synchroniser (0 en attente)' }).click();
      await page.getByText('Synchronisé.').waitFor();
      assert.equal(
        (await t.db.selectFrom('checkins').select('id').where('place_id', '=', ev.place.id).execute()).length,
        5,
        'two online scans, the other phone, the two synced',
      );
    } finally {
      await context.close();
    }
  });

  test('the camera reads a QR code with jsQR when the browser has no BarcodeDetector', async () => {
    const ev = await eventSelling(
      t.db,
      { slug: 'la-camera', capacity: 10 },
      { name: 'Libre', kind: 'fixed', price: '5' },
    );
    const [price] = ev.priceIds;
    const placed = await placeOrder(t.db, t.config, null, {
      slug: 'la-camera',
      email: 'cam@example.org',
      name: 'Kim Caméra',
      language: 'fr',
      lines: [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 1 }],
    });
    await t.db.transaction().execute((trx) => completeOrder(trx, t.config, SYSTEM, placed.id, null));
    const ticket = await t.db
      .selectFrom('tickets')
      .selectAll()
      .where('order_id', '=', placed.id)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const payload = await signTicket(t.db, {
      placeId: ticket.place_id,
      id: ticket.id,
      eventDateId: ticket.event_date_id,
    });
    const door = await ensurePerson(t.db, 'camera@example.org', 'fr');
    await t.db
      .insertInto('place_members')
      .values({ place_id: ev.place.id, person_id: door.id, role: 'door' })
      .execute();
    const qr = await QRCode.toBuffer(payload, { errorCorrectionLevel: 'M', margin: 4, width: 400 });

    const context = await newVisitor(browser, { width: 360, height: 740 });
    // The ticket's picture comes from the node's own origin, as the pages' policy allows images
    // (img-src 'self'): the browser is handed it at an address of the test's own.
    const qrUrl = `${base}/test-camera/ticket.png`;
    await context.route(qrUrl, (route) => route.fulfill({ status: 200, contentType: 'image/png', body: qr }));
    // A camera that films the ticket: a canvas with the QR drawn on it, as a media stream. No
    // BarcodeDetector, so the script falls back to jsQR.
    await context.addInitScript(`(() => {
      delete window.BarcodeDetector;
      navigator.mediaDevices.getUserMedia = () => new Promise((resolve) => {
        const canvas = document.createElement('canvas');
        canvas.width = 640; canvas.height = 480;
        const g = canvas.getContext('2d');
        const image = new Image();
        image.onload = () => {
          const draw = () => { g.fillStyle = '#fff'; g.fillRect(0, 0, 640, 480); g.drawImage(image, 140, 60, 360, 360); };
          draw();
          setInterval(draw, 100);
          resolve(canvas.captureStream(10));
        };
        image.src = ${JSON.stringify(qrUrl)};
      });
    })();`);
    const page = await context.newPage();
    try {
      await logInThroughMail(page, base, 'camera@example.org');
      await page.goto(`${base}/venues/la-camera/scan/${ev.eventId}`);
      await page.locator('html[data-scanner="ready"]').waitFor();
      await page.getByRole('button', { name: 'Caméra' }).click();
      await page.locator('#scan-result').getByText('Valide', { exact: true }).waitFor();
      await page.locator('#scan-result').getByText('Kim Caméra · Libre').waitFor();
      assert.equal(
        await page.evaluate(() => typeof (window as unknown as { jsQR?: unknown }).jsQR),
        'function',
        'jsQR was loaded',
      );
      await page.getByRole('button', { name: 'Arrêter la caméra' }).click();
      await page.getByRole('button', { name: 'Caméra' }).waitFor();
      // The camera saw the code many times; it entered once, and was not refused as a rescan.
      const scans = await t.db.selectFrom('checkins').select('result').where('ticket_id', '=', ticket.id).execute();
      assert.deepEqual(
        scans.map((x) => x.result),
        ['valid'],
      );
    } finally {
      await context.close();
    }
  });
  test('a phone paired as a scanner opens the door without a login, scans a ticket, and is never a till', async () => {
    const ev = await eventSelling(
      t.db,
      { slug: 'la-porte-tel', capacity: 100 },
      { name: 'Plein tarif', kind: 'fixed', price: '15' },
    );
    const [price] = ev.priceIds;
    const placed = await placeOrder(t.db, t.config, null, {
      slug: 'la-porte-tel',
      email: 'tel@example.org',
      name: 'Noa Tel',
      language: 'fr',
      lines: [{ priceId: price, eventDateId: ev.dateIds[0]!, quantity: 2 }],
    });
    await t.db.transaction().execute((trx) => completeOrder(trx, t.config, SYSTEM, placed.id, null));
    const ticket = await t.db
      .selectFrom('tickets')
      .selectAll()
      .where('order_id', '=', placed.id)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const payload = await signTicket(t.db, {
      placeId: ticket.place_id,
      id: ticket.id,
      eventDateId: ticket.event_date_id,
    });

    // The admin's QR code for a scanner opens /door#pair=CODE: no login on the door phone.
    const { code } = await createPairingCode(t.db, ev.admin, {
      placeId: ev.place.id,
      kind: 'scanner',
      name: 'Porte 1',
    });
    const context = await newVisitor(browser, { width: 390, height: 800 });
    const page = await context.newPage();
    try {
      await page.goto(`${base}/door#pair=${code}`);
      await page.locator('html[data-door="pairing"]').waitFor();
      assert.deepEqual(await unlabelledControls(page), []);
      await page.getByRole('button', { name: 'Appairer ce téléphone' }).click();
      await page.locator('html[data-door="events"]').waitFor();
      assert.equal(new URL(page.url()).hash, '', 'the code left the address bar');
      await page.locator('#door-place').getByText('Porte 1').waitFor();
      await snap(page, 'door-events-390.png');
      await page.getByRole('link', { name: 'Concert' }).click();
      await page.waitForURL(`${base}/door/scan/${ev.eventId}`);
      await page.locator('html[data-scanner="ready"]').waitFor();
      await page.getByRole('heading', { name: 'Concert' }).waitFor();
      await typeCode(page, payload);
      const result = page.locator('#scan-result');
      await result.getByText('Valide', { exact: true }).waitFor();
      await result.getByText('Noa Tel · Plein tarif').waitFor();
      await page.getByText('1 entrée sur 2 billets vendus').waitFor();

      // The second guest has no phone: found by name, let in with one tap (the same scan, its nonce).
      await page.getByLabel('Nom du porteur').fill('noa');
      await page.getByRole('button', { name: 'Chercher' }).click();
      const people = page.locator('#scan-people li');
      await people.nth(1).waitFor();
      assert.equal(await people.count(), 2);
      await snap(page, 'door-search-390.png');
      assert.equal(
        await page.locator('#scan-people button:disabled').count(),
        1,
        'the one already in cannot enter again',
      );
      await page.getByRole('button', { name: 'Faire entrer' }).click();
      await result.getByText('Valide', { exact: true }).waitFor();
      await page.getByText('2 entrées sur 2 billets vendus').waitFor();
      await snap(page, 'door-scan-390.png');
      const entries = await t.db
        .selectFrom('checkins as c')
        .innerJoin('ledger_devices as d', (j) =>
          j.onRef('d.place_id', '=', 'c.place_id').onRef('d.id', '=', 'c.device_id'),
        )
        .select(['c.result', 'd.name', 'd.kind'])
        .where('c.ticket_id', '=', ticket.id)
        .execute();
      assert.deepEqual(
        entries,
        [{ result: 'valid', name: 'Porte 1', kind: 'scanner' }],
        'the entry names the door phone',
      );

      // The door phone is never a till: /till sends it back to the door.
      await page.goto(`${base}/till`);
      await page.waitForURL(`${base}/door`);
      await page.locator('html[data-door="events"]').waitFor();
    } finally {
      await context.close();
    }

    // A scanner's code typed into a till: the phone becomes the door's, not a till.
    const second = await createPairingCode(t.db, ev.admin, { placeId: ev.place.id, kind: 'scanner', name: 'Porte 2' });
    const other = await newVisitor(browser, { width: 1366, height: 900 });
    const page2 = await other.newPage();
    try {
      await page2.goto(`${base}/till`);
      await page2.locator('html[data-till="pairing"]').waitFor();
      await page2.getByLabel('Code d’association').fill(second.code);
      await page2.getByRole('button', { name: 'Associer' }).click();
      await page2.waitForURL(`${base}/door`);
      await page2.locator('html[data-door="events"]').waitFor();
      await snap(page2, 'door-events-1366.png');
      await page2.getByRole('link', { name: 'Concert' }).click();
      await page2.locator('html[data-scanner="ready"]').waitFor();
      await snap(page2, 'door-scan-1366.png');
    } finally {
      await other.close();
    }
  });
  test('no page visited above broke its Content-Security-Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
