// The foundation as a person meets it, in a real browser (Debian's Chromium): log in by mail, name
// oneself, create a venue, find it on the home page; the language switch; and checks of
// accessibility the HTTP tests cannot make (accessible names, contrast, phone layout).
// REZO_SCREENSHOTS=/some/dir also saves a screenshot of each reviewed page, phone and desktop.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestNode } from '../harness.ts';
import {
  contrast,
  cspViolations,
  horizontalOverflow,
  newVisitor,
  noChromium,
  unlabelledControls,
  useBrowserNode,
} from './browser.ts';

describe('in a browser', { skip: noChromium }, () => {
  let t: TestNode;
  let browser: Browser;
  let base: string;

  // development: /dev/mail shows the outbox.
  useBrowserNode({ env: 'development', operators: ['ops@example.org'] }, (node) => ({ t, browser, base } = node));

  async function assertLabelled(page: Page) {
    assert.deepEqual(await unlabelledControls(page), [], `every form control of ${page.url()} has an accessible name`);
  }

  /** Logs in through the pages, as a person would: form, outbox, link, button. */
  async function logIn(page: Page, email: string) {
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'Se connecter' }).click();
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    await assertLabelled(page);
    await page.getByLabel('Adresse e-mail').fill(email);
    await page.getByRole('button', { name: 'Recevoir le lien' }).click();
    await page.getByRole('heading', { name: 'Vérifiez vos courriels' }).waitFor();
    await page.getByRole('link', { name: 'Courriels (dév.)' }).click();
    const newest = page.getByRole('article').first();
    await newest.getByText(email).waitFor();
    const link = newest.getByRole('link', { name: /\/login\// });
    assert.ok((await link.getAttribute('href'))!.startsWith(`${base}/login/`), 'the mailed link leads to this node');
    await link.click();
    await page.getByRole('heading', { name: 'Confirmer la connexion' }).waitFor();
    await page.getByRole('button', { name: 'Me connecter' }).click();
    await page.waitForURL(/\/account/);
  }

  test('a person logs in by mail, gives a name, creates a venue and finds it on the home page', async () => {
    const context = await newVisitor(browser);
    const page = await context.newPage();
    try {
      await page.goto(`${base}/`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'fr');
      await page.getByText('Aucun lieu pour l’instant.').waitFor();
      await assertLabelled(page);

      await logIn(page, 'ana@example.org');
      assert.match(page.url(), /\/account\?welcome=1$/);
      await page.getByRole('heading', { name: 'Mon compte' }).waitFor();
      await page.getByRole('status').getByText('Bienvenue').waitFor();
      await page.getByText('ana@example.org').waitFor();
      await assertLabelled(page);

      await page.getByLabel('Nom').fill('Ana Rivière');
      await page.getByRole('button', { name: 'Enregistrer' }).click();
      await page.waitForURL((url) => url.pathname === '/account' && !url.searchParams.has('welcome'));
      assert.equal(await page.getByLabel('Nom').inputValue(), 'Ana Rivière', 'the name is saved');
      await page.getByText('Vous n’avez de rôle dans aucun lieu pour l’instant.').waitFor();

      await page.getByRole('link', { name: 'Créer un lieu' }).click();
      await page.getByRole('heading', { name: 'Créer un lieu' }).waitFor();
      await assertLabelled(page);
      await page.getByLabel('Identifiant dans l’adresse (slug)').fill('la-fabrik');
      // The name is "Nom", without the star that marks it as required (the star is aria-hidden).
      await page.getByRole('textbox', { name: 'Nom', exact: true }).fill('La Fabrik');
      await page.getByLabel('Ville').fill('Saint-Pierre');
      assert.equal(await page.getByLabel('Fuseau horaire').inputValue(), 'Indian/Reunion', 'the timezone is proposed');
      await page.getByRole('button', { name: 'Créer le lieu' }).click();

      await page.waitForURL(`${base}/venues/la-fabrik/admin?created=1`);
      await page.getByRole('heading', { name: 'Réglages du lieu' }).waitFor();
      await page.getByRole('status').getByText('Le lieu est créé.').waitFor();
      assert.equal(await page.getByRole('textbox', { name: 'Nom', exact: true }).inputValue(), 'La Fabrik');
      await assertLabelled(page);

      await page
        .getByRole('navigation', { name: 'Navigation principale' })
        .getByRole('link', { name: 'Lieux' })
        .click();
      await page.getByRole('heading', { name: '1 lieu' }).waitFor();
      await page
        .getByRole('listitem')
        .filter({ hasText: 'Saint-Pierre' })
        .getByRole('link', { name: 'La Fabrik' })
        .click();
      await page.waitForURL(`${base}/venues/la-fabrik`);
      await page.getByRole('heading', { level: 1, name: 'La Fabrik' }).waitFor();
      await page.getByText('Saint-Pierre').waitFor();
      // The venue's admin opens on its dashboard, the first tab of the admin menu.
      await page.getByRole('link', { name: 'Administrer ce lieu' }).click();
      await page.waitForURL(`${base}/venues/la-fabrik/admin/dashboard`);
      await page.getByRole('heading', { level: 1, name: 'Tableau de bord' }).waitFor();
      await page.getByRole('heading', { level: 2, name: /^Ce soir/ }).waitFor();
      await page.goBack();

      // The account page now lists the venue with the person's role.
      await page.getByRole('link', { name: 'Mon compte' }).click();
      await page.getByRole('listitem').filter({ hasText: 'La Fabrik' }).getByText('Administration').waitFor();
    } finally {
      await context.close();
    }

    // Someone else sees the venue, but no way to manage it.
    const visitor = await newVisitor(browser);
    try {
      const other = await visitor.newPage();
      await other.goto(`${base}/venues/la-fabrik`);
      await other.getByRole('heading', { level: 1, name: 'La Fabrik' }).waitFor();
      assert.equal(await other.getByRole('link', { name: 'Administrer ce lieu' }).count(), 0);
      await other.goto(`${base}/venues/la-fabrik/admin`);
      assert.match(other.url(), /\/login/, 'the admin page asks to log in');
    } finally {
      await visitor.close();
    }
  });

  test('the header link switches the pages to English, and the choice stays', async () => {
    const context = await newVisitor(browser);
    try {
      const page = await context.newPage();
      await page.goto(`${base}/`);
      await page.getByRole('link', { name: 'English' }).click();
      await page.getByRole('heading', { level: 1, name: /^The venues of / }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'en', 'the language stays on the next page');
      await page.getByLabel('E-mail address').waitFor();
      await page.getByRole('link', { name: 'Français' }).click();
      await page.getByRole('heading', { name: 'Connexion' }).waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    } finally {
      await context.close();
    }
  });

  test('the main colours have a text contrast of at least 4.5:1, and the focus ring stays visible', async () => {
    const context = await newVisitor(browser);
    try {
      const page = await context.newPage();
      await page.goto(`${base}/`);
      const colours = await page.evaluate(() => {
        const style = getComputedStyle(document.documentElement);
        const names = ['ink', 'muted', 'paper', 'soft', 'accent', 'accent-ink', 'danger', 'ok', 'focus'];
        return Object.fromEntries(names.map((n) => [n, style.getPropertyValue(`--${n}`).trim()]));
      });
      const pairs: [string, string][] = [
        ['ink', 'paper'],
        ['ink', 'soft'],
        ['muted', 'paper'],
        ['muted', 'soft'],
        ['accent', 'paper'],
        ['accent', 'soft'],
        ['accent-ink', 'accent'],
        ['danger', 'paper'],
        ['danger', 'soft'],
        ['ok', 'paper'],
        ['ok', 'soft'],
      ];
      for (const [fg, bg] of pairs) {
        const ratio = contrast(colours[fg]!, colours[bg]!);
        assert.ok(ratio >= 4.5, `--${fg} on --${bg}: ${ratio.toFixed(2)}:1 (4.5:1 needed)`);
      }
      // The rendered text, not only the variables: body, header links, a button, the footer.
      const rendered = await page.evaluate(() => {
        const pair = (selector: string, bgSelector = selector) => {
          const el = document.querySelector(selector)!;
          const bgEl = document.querySelector(bgSelector)!;
          let bg = getComputedStyle(bgEl).backgroundColor;
          for (
            let node: Element | null = bgEl;
            node && /rgba\(0, 0, 0, 0\)|transparent/.test(bg);
            node = node.parentElement
          ) {
            bg = getComputedStyle(node).backgroundColor;
          }
          return {
            selector,
            fg: getComputedStyle(el).color,
            bg: /rgba\(0, 0, 0, 0\)/.test(bg) ? 'rgb(255, 255, 255)' : bg,
          };
        };
        return [
          pair('main p.lead', 'body'),
          pair('header.site nav a', 'header.site'),
          pair('main a.button'),
          pair('footer.site p', 'body'),
          pair('main h1', 'body'),
        ];
      });
      for (const { selector, fg, bg } of rendered) {
        const ratio = contrast(fg, bg);
        assert.ok(ratio >= 4.5, `${selector}: ${fg} on ${bg} is ${ratio.toFixed(2)}:1 (4.5:1 needed)`);
      }
      // A focus indicator needs 3:1 against what it sits on (WCAG 1.4.11): Tab through the header
      // (green) into the page (white) and measure the ring of every stop.
      for (let stop = 1; stop <= 9; stop++) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(() => {
          const el = document.activeElement as HTMLElement;
          const style = getComputedStyle(el);
          let bg = 'rgba(0, 0, 0, 0)';
          for (let node = el.parentElement; node && /rgba\(0, 0, 0, 0\)/.test(bg); node = node.parentElement)
            bg = getComputedStyle(node).backgroundColor;
          const ring = [
            style.outlineStyle !== 'none' && style.outlineWidth !== '0px' ? style.outlineColor : '',
            ...(style.boxShadow.match(/rgba?\([^)]*\)/g) ?? []),
          ];
          return {
            what: `${el.tagName.toLowerCase()} “${(el.textContent || el.getAttribute('name') || '').trim()}”`,
            ring: ring.filter(Boolean),
            bg: /rgba\(0, 0, 0, 0\)/.test(bg) ? 'rgb(255, 255, 255)' : bg,
            left: el.getBoundingClientRect().left,
          };
        });
        if (stop === 1) assert.equal(focused.what, 'a “Aller au contenu”', 'the first Tab reaches the skip link');
        assert.ok(focused.left >= 0, `${focused.what} is on screen when focused`);
        assert.ok(focused.ring.length > 0, `${focused.what} shows a focus ring`);
        const best = Math.max(...focused.ring.map((c) => contrast(c, focused.bg)));
        assert.ok(best >= 3, `focus ring of ${focused.what} on ${focused.bg}: ${best.toFixed(2)}:1 (3:1 needed)`);
      }
    } finally {
      await context.close();
    }
  });

  test('on a phone (360 px) and a desktop, no page scrolls sideways and buttons are big enough to touch', async () => {
    // An operator with a venue and a team of two, made through HTTP; then the same person in the browser.
    const ops = await t.loginAs('ops@example.org');
    const created = await ops.postForm('/venues/new', {
      slug: 'le-kabardock',
      name: 'Le Kabardock',
      city: 'Le Port',
      timezone: 'Indian/Reunion',
      language: 'fr',
      country: 'FR',
      modules: 'agenda',
    });
    assert.equal(created.statusCode, 303);
    await ops.get('/venues/le-kabardock/admin/team');
    assert.equal(
      (
        await ops.postForm('/venues/le-kabardock/admin/team', {
          email: 'une-personne-au-nom-tres-long@association-culturelle.example.org',
          role: 'editor',
        })
      ).statusCode,
      200,
    );
    await ops.get('/venues/le-kabardock/admin/keys');
    assert.equal(
      (
        await ops.postForm('/venues/le-kabardock/admin/keys', {
          name: 'Site web',
          scopes: ['place:write', 'team:read'],
        })
      ).statusCode,
      201,
    );

    const pages: [string, string][] = [
      ['home', '/'],
      ['login', '/login'],
      ['account', '/account'],
      ['venue', '/venues/le-kabardock'],
      ['venue-settings', '/venues/le-kabardock/admin'],
      ['team', '/venues/le-kabardock/admin/team'],
      ['keys', '/venues/le-kabardock/admin/keys'],
      ['node-admin', '/admin'],
    ];
    const shots = process.env.REZO_SCREENSHOTS;
    if (shots) await mkdir(shots, { recursive: true });
    // Every page and size is checked before failing, so that one run lists all the problems.
    const problems: string[] = [];
    for (const viewport of [
      { width: 360, height: 740 },
      { width: 1280, height: 800 },
    ]) {
      const context = await newVisitor(browser, viewport);
      try {
        const page = await context.newPage();
        await logIn(page, 'ops@example.org');
        for (const [name, path] of pages) {
          const response = await page.goto(`${base}${path}`);
          assert.equal(response?.status(), 200, `${path} opens`);
          await assertLabelled(page);
          if (shots) await page.screenshot({ path: join(shots, `${name}-${viewport.width}.png`), fullPage: true });
          const { page: width, screen } = await horizontalOverflow(page);
          if (width > screen) problems.push(`${path} at ${viewport.width} px is ${width} px wide: it scrolls sideways`);
          const small = await page.evaluate(() =>
            [
              ...document.querySelectorAll<HTMLElement>(
                'button:not(.link), a.button, header.site nav a, header.site nav button, .tabs a',
              ),
            ]
              .map((el) => ({
                what: `${el.tagName.toLowerCase()} “${el.textContent?.trim()}”`,
                height: Math.round(el.getBoundingClientRect().height),
              }))
              .filter((b) => b.height < 44),
          );
          for (const b of small)
            problems.push(`${path} at ${viewport.width} px: ${b.what} is ${b.height} px high (44 px to touch it)`);
        }
      } finally {
        await context.close();
      }
    }
    assert.deepEqual(problems, []);
  });
  test('no page visited above broke its Content-Security-Policy', () => {
    assert.deepEqual(cspViolations, []);
  });
});
