// The agenda as a visitor browses it (issue 16 §4), in Chromium: the home page's strips with
// posters, an event page with its ticket form, calendar links and map, on a 390 px phone and a
// 1366 px screen. No page scrolls sideways; the map draws its tiles (answered here by a stub, the
// test never reaches openstreetmap.org) without breaking the page's policy.
// REZO_SCREENSHOTS=/some/dir saves each page at both sizes.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import type { TestNode } from '../harness.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { loadDemo } from '../../src/demo/loadDemo.ts';
import { createTicketPrice } from '../../src/ticketing/createTicketPrice.ts';
import { cspViolations, horizontalOverflow, newVisitor, noChromium, useBrowserNode } from './browser.ts';

describe('browsing the agenda', { skip: noChromium }, () => {
  let t: TestNode;
  let browser: Browser;
  let base: string;
  let eventPath = '';
  let tile: Buffer;

  useBrowserNode({ demoPayments: true }, async (node) => {
    ({ t, browser, base } = node);
    assert.equal(await loadDemo(t.db, t.config), true);
    tile = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#dfe6d8' } })
      .png()
      .toBuffer();
    // An event at a venue with coordinates, sold through the node when the demo sells it.
    const event = await t.db
      .selectFrom('events')
      .innerJoin('places', 'places.id', 'events.place_id')
      .select(['events.slug', 'events.id'])
      .where('places.slug', '=', 'salle-kabaret')
      .where('events.state', '=', 'published')
      .where('events.visibility', '=', 'public')
      .orderBy('events.created_at')
      .executeTakeFirstOrThrow();
    eventPath = `/events/${event.slug}`;
    for (const [name, price] of [
      ['Plein tarif', '18'],
      ['Adhérent', '12'],
    ])
      await createTicketPrice(t.db, SYSTEM, { slug: 'salle-kabaret', eventId: event.id, name, kind: 'fixed', price });
  });

  test('home, agenda and an event page at 390 and 1366 px: no sideways scroll, posters and the map drawn', async () => {
    const shots = process.env.REZO_SCREENSHOTS;
    if (shots) await mkdir(shots, { recursive: true });
    const problems: string[] = [];
    for (const viewport of [
      { width: 390, height: 844 },
      { width: 1366, height: 900 },
    ]) {
      const context = await newVisitor(browser, viewport);
      const tiles: string[] = [];
      await context.route('https://tile.openstreetmap.org/**', (route) => {
        tiles.push(route.request().url());
        return route.fulfill({ status: 200, contentType: 'image/png', body: tile });
      });
      try {
        const page = await context.newPage();
        for (const [name, path] of [
          ['home', '/'],
          ['agenda', '/agenda'],
          ['event', eventPath],
          ['month', '/agenda?view=month'],
        ] as const) {
          const response = await page.goto(`${base}${path}`);
          assert.equal(response?.status(), 200, `${path} opens`);
          if (name === 'event') {
            await page.locator('#event-map.leaflet-container .leaflet-tile-loaded').first().waitFor();
            await page.locator('.leaflet-marker-icon').waitFor();
          }
          // Lazy posters: scroll through the page so they load before the screenshot.
          await page.evaluate(async () => {
            for (let y = 0; y < document.body.scrollHeight; y += 600) {
              window.scrollTo(0, y);
              await new Promise((r) => setTimeout(r, 50));
            }
            window.scrollTo(0, 0);
          });
          const broken = await page.evaluate(() =>
            [...document.querySelectorAll('img[srcset]')]
              .filter((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth === 0)
              .map((img) => img.getAttribute('src')),
          );
          if (broken.length) problems.push(`${path} at ${viewport.width} px: broken posters ${broken.join(', ')}`);
          if (name === 'home' || name === 'event' || (name === 'agenda' && viewport.width === 1366)) {
            const posters = await page.locator('img[srcset]').count();
            if (posters === 0) problems.push(`${path} at ${viewport.width} px shows no poster`);
          }
          if (shots) await page.screenshot({ path: join(shots, `${name}-${viewport.width}.png`), fullPage: true });
          const { page: width, screen } = await horizontalOverflow(page);
          if (width > screen) problems.push(`${path} at ${viewport.width} px is ${width} px wide: it scrolls sideways`);
          if (name === 'event' && viewport.width === 390) {
            // The ticket form starts on the first screen of a phone.
            const tickets = page.locator('#tickets');
            const top = await tickets.evaluate((el) => el.getBoundingClientRect().top);
            if (top > viewport.height) problems.push(`the ticket form starts at ${Math.round(top)} px on a phone`);
          }
        }
        assert.ok(tiles.length > 0, 'the map asked for OpenStreetMap tiles');
      } finally {
        await context.close();
      }
    }
    assert.deepEqual(problems, []);
  });

  test('the filters: closed on a phone, open on a wide screen; tags are chips of the tags in use, several at once', async () => {
    for (const [width, open] of [
      [390, false],
      [1366, true],
    ] as const) {
      const context = await newVisitor(browser, { width, height: 844 });
      try {
        const page = await context.newPage();
        await page.goto(`${base}/agenda`);
        await page.waitForFunction(() => document.querySelector('script[src="/static/agenda/filters.js"]'));
        await page.waitForLoadState('networkidle');
        assert.equal(await page.locator('details.filters-box').evaluate((d) => (d as HTMLDetailsElement).open), open);
        if (!open) await page.locator('details.filters-box > summary').click();
        const chips = page.locator('fieldset.chips input[name=tag]');
        const offered = await chips.evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
        assert.ok(offered.includes('concert') && offered.includes('jam'), `tags offered: ${offered.join(', ')}`);
        await page.getByLabel('#concert').check();
        await page.getByLabel('#jam').check();
        await Promise.all([
          // The chips come most used first: either order of the two tags in the query.
          page.waitForURL((url) => url.searchParams.getAll('tag').sort().join() === 'concert,jam'),
          page.getByRole('button', { name: 'Filtrer' }).click(),
        ]);
        assert.match(await page.locator('details.filters-box > summary').innerText(), /1 actif/);
        const titles = await page.locator('ul.cards h3').allInnerTexts();
        assert.ok(titles.length > 0);
        assert.ok(
          titles.some((title) => /Jam/.test(title)) && titles.some((title) => !/Jam/.test(title)),
          `events with either tag: ${titles.join(' | ')}`,
        );
        const { page: pageWidth, screen } = await horizontalOverflow(page);
        assert.ok(pageWidth <= screen, `${width} px: the filtered agenda scrolls sideways`);
      } finally {
        await context.close();
      }
    }
  });

  test('no page visited above broke its Content-Security-Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
