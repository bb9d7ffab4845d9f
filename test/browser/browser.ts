import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Config } from '../../src/config.ts';
import { createTestNode, type TestNode } from '../harness.ts';

/** Debian's Chromium: the tests never download a browser (CI installs the `chromium` package). */
export const CHROMIUM = '/usr/bin/chromium';
export const noChromium: string | false = existsSync(CHROMIUM)
  ? false
  : 'Chromium not installed: apt-get install chromium';

/**
 * A headless Chromium, quiet on the network (no updates, sync or QUIC). Playwright gives it a fresh
 * temporary profile and removes it on close.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * Every Content-Security-Policy violation a page of this test file met: Chromium's console message
 * ("Refused to …") and the page's `securitypolicyviolation` event, with the page's address. Each
 * browser test file ends by asserting it is empty.
 */
export const cspViolations: string[] = [];

/** A new person at the browser: own cookies, French, a desktop screen unless told. */
export async function newVisitor(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'fr-FR', viewport });
  // Generous: the machine running the tests may be busy with other test files in parallel.
  context.setDefaultTimeout(10_000);
  // Init scripts run outside the page's policy (through the DevTools protocol): this one reports
  // what the policy refused, as the page itself sees it.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      // eslint-disable-next-line no-console -- in the page: the console is how it reaches the test
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} in ${e.documentURI}`),
    );
  });
  context.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|CSP violation/i.test(text)) cspViolations.push(`${message.page()?.url()}: ${text}`);
  });
  // The tests run through tsx, whose esbuild wraps named functions in a `__name(…)` helper; the
  // functions given to page.evaluate run in the page, where that helper must exist too.
  await context.addInitScript('globalThis.__name = (fn) => fn;');
  return context;
}

/**
 * A free port on 127.0.0.1, chosen before the node is built so that its baseUrl (used in the links
 * of the mails) is the real address.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A test node listening on 127.0.0.1 and the Chromium that visits it. */
export interface BrowserNode {
  t: TestNode;
  browser: Browser;
  /** http://127.0.0.1:port, also the node's baseUrl (the links of its mails lead to it). */
  base: string;
}

/**
 * Registers the enclosing describe's before and after: a node on a free port (its config `overrides`,
 * read when it starts, with the real baseUrl), listening, and a headless Chromium; `ready` is given
 * both once started, for the file's own fixtures. After the tests, both are closed.
 */
export function useBrowserNode(
  overrides: Partial<Config> | (() => Partial<Config>),
  ready: (node: BrowserNode) => unknown,
): void {
  let node: BrowserNode | undefined;
  before(async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const t = await createTestNode({ ...(typeof overrides === 'function' ? overrides() : overrides), baseUrl: base });
    try {
      await t.app.listen({ host: '127.0.0.1', port });
      node = { t, browser: await launchBrowser(), base };
    } catch (error) {
      await t.close();
      throw error;
    }
    await ready(node);
  });
  after(async () => {
    await node?.browser.close();
    await node?.t.close();
  });
}

/** The visible form controls of the page that have no accessible name (label, aria-label or aria-labelledby). */
export function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const text = (s: string | null | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();
    const nameOf = (el: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement) => {
      const labelledBy = el.getAttribute('aria-labelledby');
      if (labelledBy)
        return labelledBy
          .split(/\s+/)
          .map((id) => text(document.getElementById(id)?.textContent))
          .join(' ')
          .trim();
      if (el.getAttribute('aria-label')) return text(el.getAttribute('aria-label'));
      return [...(el.labels ?? [])]
        .map((l) => text(l.textContent))
        .join(' ')
        .trim();
    };
    return [
      ...document.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
        'input, select, textarea',
      ),
    ]
      .filter((el) => el.type !== 'hidden')
      .filter((el) => nameOf(el) === '')
      .map((el) => el.outerHTML.slice(0, 120));
  });
}

/** How wide the page is against the screen: wider means the person must scroll sideways. */
export function horizontalOverflow(page: Page): Promise<{ page: number; screen: number }> {
  return page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    screen: document.documentElement.clientWidth,
  }));
}

type Rgb = [number, number, number];

/** `#rgb`, `#rrggbb` or `rgb(r, g, b)` / `rgba(…)` into [r, g, b]. */
export function parseColour(value: string): Rgb {
  const v = value.trim();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(v)?.[1];
  if (hex) {
    const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
    return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16)) as Rgb;
  }
  const rgb = /^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i.exec(v);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  throw new Error(`colour not understood: ${value}`);
}

/** WCAG 2 contrast ratio of two colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const luminance = (c: Rgb) => {
    const [r, g, bl] = c.map((x) => {
      const s = x / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }) as Rgb;
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [l1, l2] = [luminance(parseColour(a)), luminance(parseColour(b))].sort((x, y) => y - x) as [number, number];
  return (l1 + 0.05) / (l2 + 0.05);
}

/** Logs in through the pages and the development outbox (/dev/mail), as a person would. */
export async function logInThroughMail(page: Page, base: string, email: string): Promise<void> {
  await page.goto(`${base}/login`);
  await logInFromLoginPage(page, base, email);
  await page.waitForURL(/\/account/);
}

/**
 * From the login page the browser is on (with whatever `next` it carries): asks for the link, opens
 * the newest mail of the development outbox, follows its link and confirms. Where it lands is the test's.
 */
export async function logInFromLoginPage(page: Page, base: string, email: string): Promise<void> {
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByRole('button', { name: 'Recevoir le lien' }).click();
  await page.getByRole('heading', { name: 'Vérifiez vos courriels' }).waitFor();
  await page.goto(`${base}/dev/mail`);
  const newest = page.getByRole('article').first();
  await newest.getByText(email).waitFor();
  await newest.getByRole('link', { name: /\/login\// }).click();
  await page.getByRole('button', { name: 'Me connecter' }).click();
}

/**
 * A page as a person would judge it, at 1366 then 390 px: every control labelled, no sideways scroll,
 * and with REZO_SCREENSHOTS=/some/dir a full-page picture `<name>-<width>.png` of each width.
 */
export async function lookAt(page: Page, name: string): Promise<void> {
  assert.deepEqual(await unlabelledControls(page), [], page.url());
  const dir = process.env.REZO_SCREENSHOTS;
  for (const width of [1366, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    const { page: wide, screen } = await horizontalOverflow(page);
    assert.ok(wide <= screen, `${page.url()}: ${wide} px wide on a ${screen} px screen`);
    if (dir) {
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, `${name}-${width}.png`), fullPage: true });
    }
  }
}
