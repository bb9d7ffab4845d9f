import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestNode } from '../harness.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { findEvent } from '../../src/agenda/events.ts';
import { publishEvent } from '../../src/agenda/publishEvent.ts';
import { sellTickets, venue } from '../../src/agenda/testFixtures.ts';
import { updateEvent } from '../../src/agenda/updateEvent.ts';
import * as kit from './browser.ts';

describe('the event form with a repeat rule', { skip: kit.noChromium }, () => {
  let t: TestNode;
  let browser: Browser;
  let base: string;
  let place: Awaited<ReturnType<typeof venue>>;

  kit.useBrowserNode({ env: 'development' }, async (node) => {
    ({ t, browser, base } = node);
    place = await venue(
      t.db,
      'la-boucle',
      { 'editor@la-boucle.example': 'editor' },
      { modules: ['agenda', 'ticketing'] },
    );
  });

  test('single dates or a rule: the script shows the chosen part; "Aperçu" lists the dates at 1366 and 390 px', async () => {
    const shots = process.env.REZO_SCREENSHOTS;
    if (shots) await mkdir(shots, { recursive: true });
    const context = await kit.newVisitor(browser, { width: 1366, height: 900 });
    const page = await context.newPage();
    await kit.logInThroughMail(page, base, 'editor@la-boucle.example');
    await page.goto(`${base}/venues/la-boucle/admin/events/new`);
    // Single dates by default: the rule is hidden until chosen.
    assert.equal(await page.locator('#date-rule').isVisible(), false);
    await page.getByLabel('Des dates qui se répètent').check();
    assert.equal(await page.locator('#date-single').isVisible(), false);
    assert.equal(await page.locator('.rule-monthly').isVisible(), false);
    await page.getByLabel('Titre').fill('Jam du mardi');
    await page.getByLabel('mardi').check();
    const start = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('À partir du').fill(start);
    await page.getByLabel('Heure de début').fill('20:00');
    await page.getByLabel('Heure de fin').fill('23:00');
    await page.getByLabel('Nombre de dates').fill('8');
    await page.getByRole('button', { name: 'Aperçu des dates' }).click();
    await page.locator('#recurrence-preview').waitFor();
    assert.equal(await page.locator('input[name="ruleKeep"]:checked').count(), 8);
    assert.equal(await page.locator('#date-rule').isVisible(), true, 'the rule stays chosen after the preview');
    const problems: string[] = [];
    for (const width of [1366, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await kit.horizontalOverflow(page);
      if (overflow.page > overflow.screen) problems.push(`${width}px: ${overflow.page} wide`);
      if (shots) await page.screenshot({ path: `${shots}/event-rule-${width}.png`, fullPage: true });
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(await kit.unlabelledControls(page), []);
    // Untick one date and save: seven dates.
    await page.locator('input[name="ruleKeep"]').nth(2).uncheck();
    await page.getByRole('button', { name: 'Enregistrer' }).click();
    await page.waitForURL(/notice=created/);
    const id = /events\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    const saved = (await findEvent(t.db, id))!;
    assert.equal(saved.dates.length, 7);
    // Tickets sold on the first Tuesday, then the rule moves to Thursdays: the sold date is kept and flagged.
    await publishEvent(t.db, SYSTEM, { eventId: id });
    await sellTickets(t.db, t.config, place.admin, { slug: 'la-boucle', eventId: id, dateId: saved.dates[0]!.id });
    const rule = saved.recurrence!;
    await updateEvent(t.db, SYSTEM, {
      eventId: id,
      recurrence: { ...rule, weekdays: ['TH'], endTime: '23:00', count: '4', until: '' },
    });
    await page.goto(`${base}/venues/la-boucle/admin/events/${id}`);
    await page.getByText('Billets vendus : date gardée telle quelle').waitFor();
    const wide: string[] = [];
    for (const width of [1366, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await kit.horizontalOverflow(page);
      if (overflow.page > overflow.screen) wide.push(`edit ${width}px: ${overflow.page} wide`);
      if (shots) await page.locator('#date-rule').screenshot({ path: `${shots}/event-rule-edit-${width}.png` });
    }
    assert.deepEqual(wide, []);
    assert.deepEqual(kit.cspViolations, []);
    await context.close();
  });
});
